# Table 3 "HRNet": mmseg's HRNetV2-W18 with its FCN head (the paper does not give the width).
# From scratch on 1-channel CT, 4 classes.
_base_ = 'mmseg::_base_/models/fcn_hr18.py'
model = dict(
    data_preprocessor=dict(mean=[127.5], std=[127.5], bgr_to_rgb=False, size_divisor=16),
    pretrained=None,
    backbone=dict(in_channels=1),
    decode_head=dict(num_classes=4))
