# CogSeg (Sang et al.) Table 3 on MedSeg COVID-19_1: the paper's numbers (percent).
#   python tools/run_table.py configs/cogseg/tables/table3_sota_covid19-1.py [--synthetic]
title = 'Table 3: comparison with state-of-the-art methods (MedSeg COVID-19_1)'
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
         config='configs/cogseg/unet-s5-d16_up2_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=79.12, DSC=73.35, Sens=80.36, Spec=95.83)),
    dict(label='U-Net++',
         config='configs/cogseg/unetpp-s5-b32_up2_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=84.21, DSC=77.24, Sens=83.53, Spec=96.56)),
    dict(label='Attention U-Net',
         config='configs/cogseg/attention-unet-s5-d16_up2_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=83.72, DSC=75.45, Sens=83.84, Spec=96.86)),
    dict(label='H-DenseUNet',
         config=None,
         paper=dict(mIoU=83.94, DSC=74.78, Sens=82.65, Spec=96.29),
         note='2D/3D hybrid network on whole CT volumes (Li et al., TMI 2018); not in mmseg '
              'and not reimplemented: its 3D branch needs volumes, not the 2D slices used here'),
    dict(label='FCN-8s',
         config='configs/cogseg/fcn_r50-d8_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=83.12, DSC=75.15, Sens=83.41, Spec=96.66),
         note="mmseg's FCN (ResNet-50-D8) stands in for FCN-8s"),
    dict(label='DeepLabv2',
         config='configs/cogseg/deeplabv3_r101-d8_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=85.98, DSC=77.55, Sens=83.52, Spec=96.46),
         note="mmseg's DeepLabv3 (ResNet-101-D8) stands in for DeepLabv2"),
    dict(label='HRNet',
         config='configs/cogseg/fcn_hr18_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=87.56, DSC=80.35, Sens=85.77, Spec=97.18),
         note='HRNetV2-W18 (width not given in the paper)'),
    dict(label='CogSeg (Ours)',
         config='configs/cogseg/cogseg_unet-s5-d16_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=89.75, DSC=83.04, Sens=86.98, Spec=98.09)),
]
# --synthetic: the synthetic MedSeg set (64x64 inputs, 128x128 targets) and one epoch
synthetic = [
    'train_dataloader.dataset.dataset.data_root=data/synthetic/medseg/medseg_covid19_1/',
    'train_dataloader.dataset.times=1',
    'val_dataloader.dataset.data_root=data/synthetic/medseg/medseg_covid19_1/',
    'test_dataloader.dataset.data_root=data/synthetic/medseg/medseg_covid19_1/',
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
]
synthetic_data = ['medseg']
