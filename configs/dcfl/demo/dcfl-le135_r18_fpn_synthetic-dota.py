# DCFL in `make demo` and the end-to-end test: ResNet-18 FPN (32 channels) on the synthetic DOTA
# set (256 px). Same head, assigner (K=16, Q=12, g=0.8, GJSD) and losses as the paper's config,
# narrowed for 2 CPU cores; no ImageNet init because the demo runs offline (real configs keep
# init_cfg=Pretrained), so it trains with AdamW like the project's other from-scratch demos.
_base_ = [
    '../_base_/dcfl-le135_r50_fpn.py', '../../_base_/datasets/synthetic_dota.py',
    'mmrotate::_base_/schedules/schedule_1x.py', '../../_base_/mmrotate_runtime.py'
]
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=32),
    bbox_head=dict(num_classes=15, in_channels=32, feat_channels=32),
    test_cfg=dict(nms_pre=1000, max_per_img=300))

# a short schedule for 2 CPU cores
train_cfg = dict(max_epochs=12, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[9, 11], gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.001, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
default_hooks = dict(checkpoint=dict(interval=12))
randomness = dict(seed=0)
