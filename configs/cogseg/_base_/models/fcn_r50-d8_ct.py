# Table 3 "FCN-8s": mmseg has no FCN-8s (VGG-16 with 8s skips); its FCN (dilated ResNet-50-V1c,
# output stride 8) stands in. From scratch (as in the paper) on 1-channel CT, 4 classes.
_base_ = 'mmseg::_base_/models/fcn_r50-d8.py'
model = dict(
    data_preprocessor=dict(mean=[127.5], std=[127.5], bgr_to_rgb=False, size_divisor=16),
    pretrained=None,
    backbone=dict(in_channels=1),
    decode_head=dict(num_classes=4),
    auxiliary_head=dict(num_classes=4))
