# make demo: CogSeg (full Eq. 1 loss: CE, SR MSE, four feature L1 terms, Edge-RMI) on the
# synthetic MedSeg COVID-19_1 set (python tools/misc/generate_synthetic_data.py medseg
# data/synthetic/medseg): 64x64 inputs, 128x128 outputs. Changed from the paper's config so that
# it trains in a few minutes on 2 CPU cores: a U-Net of width 8 instead of 64, BN instead of
# SyncBN, 20 epochs (of the 28 training slices repeated 11x, the paper's enlargement: 1540
# iterations) at Adam lr 3e-3 (halved after 15) instead of 250 at 1e-4. Losses, heads and
# augmentation are the paper's. With 1x repetition (140 iterations), 4x or 7x the two rarer
# classes, consolidation and pleural effusion, were not learned in every seed (IoU 0 for one).
_base_ = '../cogseg_unet-s5-d16_2xb4-250e_medseg-covid19-1.py'
data_root = 'data/synthetic/medseg/medseg_covid19_1/'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(base_channels=8, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=8, channels=8, norm_cfg=norm_cfg),
    sr_head=dict(norm_cfg=norm_cfg))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(dataset=dict(data_root=data_root)))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=3e-3))
param_scheduler = [dict(type='StepLR', step_size=15, gamma=0.5, by_epoch=True, begin=0, end=20)]
train_cfg = dict(max_epochs=20, val_interval=20)
default_hooks = dict(logger=dict(interval=77), checkpoint=dict(interval=20))
