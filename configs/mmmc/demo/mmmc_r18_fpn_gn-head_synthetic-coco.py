# MMMC on the synthetic COCO set, for `make demo` and the end-to-end test: the FCOS baseline of
# configs/baselines/fcos_r18_fpn_gn-head_synthetic-coco.py (ResNet-18 FPN, 64-channel GN head with
# 2 tower convs, no ImageNet init because the demo runs offline) with MMMC's head: RFA at tower
# conv 1 (DCNv2), the GIoU quality branch, sqrt(cls * quality) scores and the APS assigner.
_base_ = '../../baselines/fcos_r18_fpn_gn-head_synthetic-coco.py'

model = dict(
    bbox_head=dict(
        type='RFAFCOSHead',
        rfa_position=1,
        rfa_conv_cfg=dict(type='DCNv2'),
        quality='giou',
        score_fusion='sqrt',
        norm_on_bbox=True,
        centerness_on_reg=True,
        conv_bias=True,
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
        # start the box branch at 1 stride per side instead of ~0 (see the README's demo notes)
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
