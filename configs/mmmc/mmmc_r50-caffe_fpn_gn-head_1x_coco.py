# MMMC (arXiv 2112.08902): FCOS with the receptive field adaptor (RFA), a GIoU quality branch and
# the aligned points sampler (APS); ResNet-50 FPN, 1x (12 epochs = ~90k iterations at batch 16),
# COCO train2017 / val2017. Table 2, last row (RFA + APS, 41.7 AP). The paper's base config: every
# ablation config of configs/mmmc/ inherits it and changes only its row's fields.
#
# Built on mmdet's FCOS "tricks" config (norm_on_bbox, centerness_on_reg, GIoU loss, biased tower
# convs, NMS 0.6, no gradient clipping), with the official code's (HaoGood/MOD) training settings:
# MSRA caffe ResNet-50 with its pixel mean, constant 1/3 warm-up for 500 iterations, SGD lr 0.01,
# bias lr x2, no bias decay. center_sampling (inherited, True) only matters for the rows without
# APS (FCOS assignment, as FCOS "imprv").
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head-center-normbbox-centeronreg-giou_1x_coco.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)

model = dict(
    data_preprocessor=dict(mean=[102.9801, 115.9465, 122.7717]),
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron/resnet50_caffe')),
    bbox_head=dict(
        type='RFAFCOSHead',
        # RFA: the first tower conv of each branch is a DCNv2 (paper Sec. 3.1; official code: 4)
        rfa_position=1,
        rfa_conv_cfg=dict(type='DCNv2'),
        # quality branch: BCE against the GIoU of the prediction; score sqrt(cls * quality)
        quality='giou',
        detach_quality_target=False,
        score_fusion='sqrt',
        loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='APSAssigner',
            topk=9,  # K
            num_levels=2,
            scale_standard='comb',
            score='paper',  # Eqs. 7-9; 'official' for the released code's score
            separation='component',  # Eq. 10; 'official' for the released code's PAA-style cut
            gmm_scale=10.0,
            gmm_precision_init=0.1)))

param_scheduler = [
    dict(type='ConstantLR', factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(lr=0.01),
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.),
    clip_grad=None)
