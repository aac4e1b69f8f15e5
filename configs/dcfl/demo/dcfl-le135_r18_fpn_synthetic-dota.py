# DCFL in `make demo`: ResNet-18 FPN (64 channels) on the synthetic DOTA set (256 px), about a
# minute on 2 CPU cores. Same head, assigner and losses as the paper's config, narrowed for CPU;
# no ImageNet init because the demo runs offline (real configs keep init_cfg=Pretrained).
_base_ = [
    '../_base_/dcfl-le135_r50_fpn.py', '../../_base_/datasets/synthetic_dota.py',
    'mmrotate::_base_/schedules/schedule_1x.py', '../../_base_/mmrotate_runtime.py'
]
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    bbox_head=dict(num_classes=15, in_channels=64, feat_channels=64),
    test_cfg=dict(nms_pre=1000, max_per_img=300))

# a short schedule for 2 CPU cores
train_cfg = dict(max_epochs=12, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[9, 11], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(checkpoint=dict(interval=12))
