# Table 3 "DeepLabv2": mmseg has no DeepLabv2 (ASPP of summed dilated 3x3 convs); its DeepLabv3
# (ASPP head, dilated ResNet-101-V1c, output stride 8) stands in. From scratch on 1-channel CT.
_base_ = 'mmseg::_base_/models/deeplabv3_r50-d8.py'
model = dict(
    data_preprocessor=dict(mean=[127.5], std=[127.5], bgr_to_rgb=False, size_divisor=16),
    pretrained=None,
    backbone=dict(in_channels=1, depth=101),
    decode_head=dict(num_classes=4),
    auxiliary_head=dict(num_classes=4))
