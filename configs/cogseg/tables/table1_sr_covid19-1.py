# CogSeg (Sang et al.) Table 1 on MedSeg COVID-19_1: the paper's numbers (percent).
#   python tools/run_table.py configs/cogseg/tables/table1_sr_covid19-1.py [--synthetic]
title = 'Table 1: the effectiveness of SR (MedSeg COVID-19_1)'
# How the paper's columns are read (keys of DiceSensSpecMetric; configs/cogseg/README.md, "Metric
# conventions"). The paper does not say. With 4 classes, mmseg's 4-class mIoU is at most
# (100 + 3 DSC) / 4 when DSC is the lesion-class mean Dice, which 10 of the 11 COVID-19_1 rows
# exceed, and the binary "infection" Dice is ruled out likewise; the reading below is one under
# which every row of both datasets is possible (tests/configs/test_cogseg_configs.py checks it):
#   mIoU = mean IoU of background and "any infection" (the three lesion classes merged),
#   DSC, Sens., Spec. = means over the three lesion classes; counts summed over the test set.
# The other readings are printed beside (no paper numbers): 4-class mIoU, the any-infection Dice,
# per-image averages (classes empty in label and prediction skipped) and inside the lung mask.
metrics = [
    dict(name='mIoU', key='mIoU_bin', scale=1),
    dict(name='DSC', key='mDice_fg', scale=1),
    dict(name='Sens', key='mSens_fg', scale=1),
    dict(name='Spec', key='mSpec_fg', scale=1),
    dict(name='mIoU 4-cls', key='mIoU', scale=1),
    dict(name='DSC any-inf', key='mDice_inf', scale=1),
    dict(name='mIoU per-img', key='mIoU_bin_img', scale=1),
    dict(name='DSC per-img', key='mDice_fg_img', scale=1),
    dict(name='mIoU in-lung', key='mIoU_bin_lung', scale=1),
    dict(name='DSC in-lung', key='mDice_fg_lung', scale=1),
]
rows = [
    dict(label='U-Net (Baseline)',
         config='configs/cogseg/unet-s5-d16_ds2_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=79.12, DSC=73.35, Sens=80.36, Spec=95.83),
         note=('the baseline of Sec. 3.2: 256x256 input, label maps down-sampled to 256, logits '
               'resized bilinearly x2 at test')),
    dict(label='U-Net (Baseline), 512 labels',
         config='configs/cogseg/unet-s5-d16_up2_2xb4-250e_medseg-covid19-1.py',
         note=('the learned x2 head (as in CogSeg) trained on the 512x512 label maps (logits '
               'resized to them in the loss); no paper numbers')),
    dict(label='+SR with 1 L1 loss',
         config='configs/cogseg/cogseg-sr-1l1-ce_unet-s5-d16_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=85.03, DSC=77.46, Sens=83.78, Spec=96.14),
         note='the one L1 term is on the finest decoder stage (the paper does not say which)'),
    dict(label='+SR with 4 L1 losses',
         config='configs/cogseg/cogseg-sr-4l1-ce_unet-s5-d16_2xb4-250e_medseg-covid19-1.py',
         paper=dict(mIoU=86.24, DSC=78.89, Sens=84.63, Spec=96.65)),
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
