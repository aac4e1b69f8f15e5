# Baseline (Table 5, atss_le135) with the 1x schedule (12 epochs, lr steps after epochs 8 and
# 11), otherwise rotated-atss-le135_r50_fpn_6x_hrsc.py.
_base_ = './rotated-atss-le135_r50_fpn_6x_hrsc.py'
train_cfg = dict(max_epochs=12, val_interval=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=4))
