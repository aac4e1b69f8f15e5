# CogSeg (Sang et al.) Table 3 on MedSeg COVID-19_2: the paper's numbers (percent).
#   python tools/run_table.py configs/cogseg/tables/table3_sota_covid19-2.py [--synthetic]
title = 'Table 3: comparison with state-of-the-art methods (MedSeg COVID-19_2)'
# DiceSensSpecMetric: mIoU over all classes; DSC, Sens. and Spec. over the lesion classes
# (the paper's mIoU > DSC in every row is only possible that way; see the metric's docstring)
metrics = [
    dict(name='mIoU', key='mIoU', scale=1),
    dict(name='DSC', key='mDice_fg', scale=1),
    dict(name='Sens', key='mSens_fg', scale=1),
    dict(name='Spec', key='mSpec_fg', scale=1),
]
rows = [
    dict(label='U-Net',
         config='configs/cogseg/unet-s5-d16_up2_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=60.44, DSC=57.35, Sens=66.98, Spec=94.67)),
    dict(label='U-Net++',
         config='configs/cogseg/unetpp-s5-b32_up2_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=68.35, DSC=66.72, Sens=75.779, Spec=96.78),
         note='Sens. printed as 75.779 in the paper'),
    dict(label='Attention U-Net',
         config='configs/cogseg/attention-unet-s5-d16_up2_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=68.98, DSC=67.85, Sens=76.36, Spec=97.05)),
    dict(label='H-DenseUNet',
         config=None,
         paper=dict(mIoU=67.93, DSC=63.32, Sens=74.66, Spec=96.75),
         note='2D/3D hybrid network on whole CT volumes (Li et al., TMI 2018); not in mmseg '
              'and not reimplemented: its 3D branch needs volumes, not the 2D slices used here'),
    dict(label='FCN-8s',
         config='configs/cogseg/fcn_r50-d8_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=68.24, DSC=67.47, Sens=75.15, Spec=96.59),
         note="mmseg's FCN (ResNet-50-D8) stands in for FCN-8s"),
    dict(label='DeepLabv2',
         config='configs/cogseg/deeplabv3_r101-d8_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=68.45, DSC=67.69, Sens=76.28, Spec=97.44),
         note="mmseg's DeepLabv3 (ResNet-101-D8) stands in for DeepLabv2"),
    dict(label='HRNet',
         config='configs/cogseg/fcn_hr18_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=71.54, DSC=70.02, Sens=77.23, Spec=97.65),
         note='HRNetV2-W18 (width not given in the paper)'),
    dict(label='CogSeg (Ours)',
         config='configs/cogseg/cogseg_unet-s5-d16_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=73.46, DSC=72.43, Sens=79.32, Spec=98.16)),
]
# --synthetic: the synthetic MedSeg set (64x64 inputs, 128x128 targets) and one epoch
synthetic = [
    'train_dataloader.dataset.data_root=data/synthetic/medseg/medseg_covid19_2/',
    'val_dataloader.dataset.data_root=data/synthetic/medseg/medseg_covid19_2/',
    'test_dataloader.dataset.data_root=data/synthetic/medseg/medseg_covid19_2/',
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
]
synthetic_data = ['medseg']
