# FocalNet-T (LRF) ImageNet-1k classification with the same recipe as fanet-t_16xb80_in1k.py
# (paper Table 4 quotes FocalNet-T at 28.6 M parameters, 4.5 GFLOPs, 82.3 top-1, the FocalNet
# paper's own number, trained with drop path 0.2). The FocalNet classifier normalises, then pools.
_base_ = './fanet-t_16xb80_in1k.py'
model = dict(
    backbone=dict(_delete_=True, type='FocalNet', arch='tiny', drop_path_rate=0.2,
                  out_indices=(3, ), out_norm=True),
    neck=dict(_delete_=True, type='GlobalAveragePooling'),
    head=dict(in_channels=768))
