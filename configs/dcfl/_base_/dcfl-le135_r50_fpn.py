# DCFL (CVPR 2023) model: RetinaNet-O (R50-FPN, P3-P7) with the prior capturing block, dynamic
# priors and the coarse-to-fine assigner; one square prior (4 x stride) per location, le135.
# Paper defaults: K=16, Q=12, g=0.8, GJSD; official code: g=0.6 (see the *_g0.6 configs); the
# released head and assigner as a whole: the *_official configs.
# Losses and test settings as the official configs (focal loss, rotated IoU loss on decoded
# boxes, rotated NMS 0.4, 2000 boxes per image). num_classes is set by each dataset config.
angle_version = 'le135'
model = dict(
    type='mmdet.RetinaNet',
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        boxtype2tensor=False),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,
        add_extra_convs='on_input',
        num_outs=5),
    bbox_head=dict(
        type='DCFLHead',
        num_classes=15,
        in_channels=256,
        stacked_convs=4,  # two 3x3 convs, the dilated conv and the deformable conv
        feat_channels=256,
        dilation=3,
        dynamic_prior=True,
        # True: the released head (prior-shift scale img_h/256 on P3, predictions for PT decoded
        # from the moved priors with the released 'oc' coder, kaiming-uniform dilated convs; see
        # DCFLHead). Each has its own option, which wins when set.
        official=False,
        anchor_generator=dict(
            type='FakeRotatedAnchorGenerator',
            angle_version=angle_version,
            octave_base_scale=4,
            scales_per_octave=1,
            ratios=[1.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHTRBBoxCoder',
            angle_version=angle_version,
            norm_factor=1,
            edge_swap=False,
            proj_xy=True,
            target_means=(.0, .0, .0, .0, .0),
            target_stds=(1.0, 1.0, 1.0, 1.0, 1.0)),
        reg_decoded_bbox=True,
        loss_cls=dict(
            type='mmdet.FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='RotatedIoULoss', mode='log', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='DCFLAssigner',
            topk=16,
            topq=12,
            gauss_thr=0.8,
            measure='gjsd',
            neg_sim_thr=0.8,
            cls_score_mode='gt_class',
            dgmm=True,
            dgmm_weights=(0.7, 0.3)),
        sampler=dict(type='mmdet.PseudoSampler'),  # focal loss: no sampling
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=2000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms_rotated', iou_threshold=0.4),
        max_per_img=2000))
