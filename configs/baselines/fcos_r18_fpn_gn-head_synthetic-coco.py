# FCOS (mmdet) with a ResNet-18 FPN and GN head on the synthetic COCO set.
# Same model as mmdet's fcos_r50-caffe_fpn_gn-head_1x_coco.py, narrowed for CPU; no ImageNet init
# because the demo runs offline (a real run keeps init_cfg=Pretrained).
_base_ = [
    '../_base_/datasets/synthetic_coco.py', 'mmdet::_base_/schedules/schedule_1x.py',
    '../_base_/mmdet_runtime.py'
]

model = dict(
    type='FCOS',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='ResNet', depth=18, num_stages=4, out_indices=(0, 1, 2, 3),
                  frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, style='pytorch', init_cfg=None),
    neck=dict(type='FPN', in_channels=[64, 128, 256, 512], out_channels=64, start_level=1,
              add_extra_convs='on_output', num_outs=5, relu_before_extra_convs=True),
    bbox_head=dict(
        type='FCOSHead',
        num_classes=4,
        in_channels=64,
        stacked_convs=2,
        feat_channels=64,
        strides=[8, 16, 32, 64, 128],
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                      loss_weight=1.0),
        loss_bbox=dict(type='IoULoss', loss_weight=1.0),
        loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    test_cfg=dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05,
                  nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))

# a short schedule for 2 CPU cores
train_cfg = dict(max_epochs=12, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[9, 11], gamma=0.1)
]
# trained from scratch on a few images: AdamW converges where SGD 0.01 barely starts
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.001, weight_decay=0.05),
    paramwise_cfg=dict(_delete_=True, norm_decay_mult=0., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
default_hooks = dict(checkpoint=dict(interval=12))
randomness = dict(seed=0)
