# Table 2 "+RMI": CE + full-image RMI (Zhao et al. 2019, R=3, max-pooling 3) instead of Edge-RMI,
# with the same weight and softmax probabilities, so that only the edge term differs.
_base_ = './cogseg_unet-s5-d16.py'
model = dict(
    decode_head=dict(loss_decode=[
        dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, loss_name='loss_ce'),
        dict(type='RMILoss', activation='softmax', with_bce=False, loss_weight=0.5)
    ]))
