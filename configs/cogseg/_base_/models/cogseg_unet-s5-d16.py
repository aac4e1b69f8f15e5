# CogSeg (Sang et al.): one U-Net encoder (mmseg UNet, 5 stages, 64-1024 channels) shared by
# - the segmentation decoder + a x2 head (1x1 conv, softmax): 256x256 CT slice -> 512x512 labels;
# - a training-only SR decoder + a x2 head (1x1 conv to the image): -> 512x512 slice.
# Eq. 1: lambda_1 CE + lambda_2 MSE + lambda_3 sum_{i=1..4} L1(i) + lambda_4 Edge-RMI,
# lambda = 1, 0.5, 0.5, 0.5 (Sec. 4.2). Trained from scratch on 1-channel CT.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.5],
    std=[127.5],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=16)
model = dict(
    type='CogSegSegmentor',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='UNet',
        in_channels=1,
        base_channels=64,
        num_stages=5,
        strides=(1, 1, 1, 1, 1),
        enc_num_convs=(2, 2, 2, 2, 2),
        dec_num_convs=(2, 2, 2, 2),
        downsamples=(True, True, True, True),
        enc_dilations=(1, 1, 1, 1, 1),
        dec_dilations=(1, 1, 1, 1),
        with_cp=False,
        conv_cfg=None,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        upsample_cfg=dict(type='InterpConv'),
        norm_eval=False),
    decode_head=dict(
        type='UpscaleSegHead',
        upscale=2,
        in_channels=64,
        in_index=4,
        channels=64,
        num_convs=1,
        dropout_ratio=0.1,
        num_classes=4,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                 loss_name='loss_ce'),  # lambda_1
            dict(type='EdgeRMILoss', loss_weight=0.5)  # lambda_4, Eq. 3
        ]),
    # the SR decoder copies the backbone's decoder architecture (own weights)
    sr_head=dict(
        type='UNetSRHead', out_channels=1, upscale=2, num_convs=1, norm_cfg=norm_cfg,
        loss_weight=0.5),  # lambda_2
    feat_l1_levels=(1, 2, 3, 4),  # the four L1(i) of Eq. 2
    loss_feat_weight=0.5,  # lambda_3
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
