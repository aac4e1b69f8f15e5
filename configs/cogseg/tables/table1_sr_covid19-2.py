# CogSeg (Sang et al.) Table 1 on MedSeg COVID-19_2: the paper's numbers (percent).
#   python tools/run_table.py configs/cogseg/tables/table1_sr_covid19-2.py [--synthetic]
title = 'Table 1: the effectiveness of SR (MedSeg COVID-19_2)'
# DiceSensSpecMetric: mIoU over all classes; DSC, Sens. and Spec. over the lesion classes
# (the paper's mIoU > DSC in every row is only possible that way; see the metric's docstring)
metrics = [
    dict(name='mIoU', key='mIoU', scale=1),
    dict(name='DSC', key='mDice_fg', scale=1),
    dict(name='Sens', key='mSens_fg', scale=1),
    dict(name='Spec', key='mSpec_fg', scale=1),
]
rows = [
    dict(label='U-Net (Baseline)',
         config='configs/cogseg/unet-s5-d16_up2_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=60.44, DSC=57.35, Sens=66.98, Spec=94.67)),
    dict(label='+SR with 1 L1 loss',
         config='configs/cogseg/cogseg-sr-1l1-ce_unet-s5-d16_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=67.81, DSC=66.84, Sens=73.84, Spec=96.16),
         note='the one L1 term is on the finest decoder stage (the paper does not say which)'),
    dict(label='+SR with 4 L1 losses',
         config='configs/cogseg/cogseg-sr-4l1-ce_unet-s5-d16_2xb4-250e_medseg-covid19-2.py',
         paper=dict(mIoU=69.96, DSC=68.52, Sens=75.47, Spec=96.88)),
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
