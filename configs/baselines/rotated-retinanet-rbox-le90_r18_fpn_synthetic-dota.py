# Rotated RetinaNet (mmrotate) with a ResNet-18 FPN on the synthetic DOTA set.
# Same model as mmrotate's rotated-retinanet-rbox-le90_r50_fpn_1x_dota.py, narrowed for CPU;
# no ImageNet init because the demo runs offline (a real run keeps init_cfg=Pretrained).
_base_ = [
    '../_base_/datasets/synthetic_dota.py', 'mmrotate::_base_/schedules/schedule_1x.py',
    '../_base_/mmrotate_runtime.py'
]
angle_version = 'le90'

model = dict(
    type='mmdet.RetinaNet',
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32,
        boxtype2tensor=False),
    backbone=dict(type='mmdet.ResNet', depth=18, num_stages=4, out_indices=(0, 1, 2, 3),
                  frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, style='pytorch', init_cfg=None),
    neck=dict(type='mmdet.FPN', in_channels=[64, 128, 256, 512], out_channels=64,
              start_level=1, add_extra_convs='on_input', num_outs=5),
    bbox_head=dict(
        type='mmdet.RetinaHead',
        num_classes=15,
        in_channels=64,
        stacked_convs=2,
        feat_channels=64,
        anchor_generator=dict(type='FakeRotatedAnchorGenerator', angle_version=angle_version,
                              octave_base_scale=4, scales_per_octave=3, ratios=[1.0, 0.5, 2.0],
                              strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(type='DeltaXYWHTRBBoxCoder', angle_version=angle_version,
                        norm_factor=None, edge_swap=True, proj_xy=True,
                        target_means=(.0, .0, .0, .0, .0), target_stds=(1.0, 1.0, 1.0, 1.0, 1.0)),
        loss_cls=dict(type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                      loss_weight=1.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                      min_pos_iou=0, ignore_iof_thr=-1,
                      iou_calculator=dict(type='RBboxOverlaps2D')),
        sampler=dict(type='mmdet.PseudoSampler'),
        allowed_border=-1, pos_weight=-1, debug=False),
    test_cfg=dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05,
                  nms=dict(type='nms_rotated', iou_threshold=0.1), max_per_img=300))

# a short schedule for 2 CPU cores
train_cfg = dict(max_epochs=24, val_interval=24)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=24, by_epoch=True, milestones=[18, 22], gamma=0.1)
]
# trained from scratch on a few images: AdamW converges where SGD 0.01 barely starts
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=0.001, weight_decay=0.05))
default_hooks = dict(checkpoint=dict(interval=24))
randomness = dict(seed=0)
