# DCFL R50-FPN on HRSC2016 with a 1x schedule (12 epochs, lr steps after epochs 8 and 11, as
# mmrotate's schedule_1x), otherwise dcfl-le135_r50_fpn_6x_hrsc.py (paper's g=0.8). The
# reproduction study does not state its HRSC2016 schedule; its low baselines (Table 5: RetinaNet
# 61.8, ATSS 67.1) fit a short schedule better than 72 epochs, so this is offered beside the 6x.
_base_ = './dcfl-le135_r50_fpn_6x_hrsc.py'
train_cfg = dict(max_epochs=12, val_interval=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=4))
