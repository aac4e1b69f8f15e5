# CogSeg (Sang et al.) Table 2 on MedSeg COVID-19_1: the paper's numbers (percent).
#   python tools/run_table.py configs/cogseg/tables/table2_losses_covid19-1.py [--synthetic]
title = 'Table 2: influence of loss functions (MedSeg COVID-19_1)'
# DiceSensSpecMetric: mIoU over all classes; DSC, Sens. and Spec. over the lesion classes
# (the paper's mIoU > DSC in every row is only possible that way; see the metric's docstring)
metrics = [
    dict(name='mIoU', key='mIoU', scale=1),
    dict(name='DSC', key='mDice_fg', scale=1),
    dict(name='Sens', key='mSens_fg', scale=1),
    dict(name='Spec', key='mSpec_fg', scale=1),
]
rows = [
    dict(label='CE (Baseline)',
         config='configs/cogseg/cogseg-sr-4l1-ce_unet-s5-d16_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=86.24, DSC=78.89, Sens=84.63, Spec=96.65)),
    dict(label='+RMI',
         config='configs/cogseg/cogseg-rmi_unet-s5-d16_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=87.45, DSC=80.67, Sens=85.16, Spec=97.33)),
    dict(label='+Edge-RMI (ours)',
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
