# UperNet (mmseg) with ResNet-18 (V1c) on the synthetic segmentation set.
# mmseg's upernet_r50 model with the depth of upernet_r18_4xb2-40k_cityscapes, BN instead of SyncBN
# (SyncBN has no CPU path) and no ImageNet init because the demo runs offline.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py', '../_base_/datasets/synthetic_seg.py',
    'mmseg::_base_/schedules/schedule_40k.py', '../_base_/mmseg_runtime.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
crop_size = (128, 128)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=[64, 128, 256, 512], channels=64, num_classes=4,
                     norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=32, num_classes=4, norm_cfg=norm_cfg))

# a short schedule for 2 CPU cores
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=300, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(by_epoch=False, interval=300))
randomness = dict(seed=0)
