# MMMC on the synthetic COCO set, for `make demo` and the end-to-end test: the ResNet-18 FPN of
# configs/baselines/fcos_r18_fpn_gn-head_synthetic-coco.py (no ImageNet init: the demo runs
# offline) with MMMC's head: RFA at tower conv 1 (DCNv2), the GIoU quality branch,
# sqrt(cls * quality) scores and the APS assigner. Narrower (32 channels) and shorter (6 epochs)
# than the FCOS baseline because deformable convs are slow on CPU; about a minute on 2 cores.
_base_ = '../../baselines/fcos_r18_fpn_gn-head_synthetic-coco.py'

model = dict(
    neck=dict(out_channels=32),
    bbox_head=dict(
        type='RFAFCOSHead',
        in_channels=32,
        feat_channels=32,
        rfa_position=1,
        rfa_conv_cfg=dict(type='DCNv2'),
        quality='giou',
        score_fusion='sqrt',
        norm_on_bbox=True,
        centerness_on_reg=True,
        conv_bias=True,
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
        # A box branch starting at ~0 (FCOS's init) makes every GIoU ~0, so APS's losses carry no
        # signal and the GIoU loss hardly moves in a short run; start at 1 stride per side.
        init_cfg=dict(
            type='Normal',
            layer='Conv2d',
            std=0.01,
            override=[
                dict(type='Normal', name='conv_cls', std=0.01, bias_prob=0.01),
                dict(type='Normal', name='conv_reg', std=0.01, bias=1.0)
            ])),
    train_cfg=dict(assigner=dict(type='APSAssigner', topk=9, num_levels=2)),
    test_cfg=dict(nms=dict(type='nms', iou_threshold=0.6)))

train_cfg = dict(max_epochs=6, val_interval=6)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=6, by_epoch=True, milestones=[5], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=6))
randomness = dict(seed=0)
