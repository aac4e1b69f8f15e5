# Table 1 "+SR with 4 L1 losses" = Table 2 "CE (Baseline)": CogSeg without Edge-RMI (CE only).
_base_ = './cogseg_unet-s5-d16.py'
model = dict(
    decode_head=dict(loss_decode=[
        dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, loss_name='loss_ce')
    ]))
