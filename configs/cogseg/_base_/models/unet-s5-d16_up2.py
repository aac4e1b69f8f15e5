# Table 1 "U-Net (Baseline)" and Table 3 "U-Net": the CogSeg U-Net and x2 segmentation head without
# the SR branch and without Edge-RMI (CE only).
_base_ = './cogseg_unet-s5-d16.py'
model = dict(
    sr_head=None,
    feat_l1_levels=(),
    decode_head=dict(loss_decode=[
        dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, loss_name='loss_ce')
    ]))
