# Table 1 "+SR with 1 L1 loss": CE only and one L1 term, on the finest decoder stage (the paper
# does not say which stage).
_base_ = './cogseg_unet-s5-d16.py'
model = dict(
    feat_l1_levels=(4, ),
    decode_head=dict(loss_decode=[
        dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, loss_name='loss_ce')
    ]))
