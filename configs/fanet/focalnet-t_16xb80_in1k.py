# FocalNet-T (LRF) ImageNet-1k classification with the same recipe as fanet-t_16xb80_in1k.py
# (paper Table 4 quotes FocalNet-T at 28.6 M parameters, 4.5 GFLOPs, 82.3 top-1, the FocalNet
# paper's own number, trained with drop path 0.2). The FocalNet classifier normalises, then pools:
# `out_norm=True` makes the backbone's `norm3` (on the stage-4 output) the official classifier's
# final `norm`, so the official checkpoint (tools/model_converters/focalnet2mmext.py renames
# `norm.*` to `backbone.norm3.*`) loads strictly, and this config's checkpoints give the UperNet
# configs' `norm3` in turn. What differs from the official training (microsoft/FocalNet main.py,
# optimizer.py, config.py, configs/focalnet_tiny_lrf.yaml): the recipe is fanet-t_16xb80_in1k.py's
# (batch 1280, lr 1e-3, weight decay 0.05 except on norms and biases, no gradient clipping); the
# official code clips gradients at 5.0, and its FocalNet.no_weight_decay_keywords() returns {''},
# which optimizer.py's substring test finds in every parameter name, so the released training
# code applies no weight decay at all.
_base_ = './fanet-t_16xb80_in1k.py'
model = dict(
    backbone=dict(_delete_=True, type='FocalNet', arch='tiny', drop_path_rate=0.2,
                  out_indices=(3, ), out_norm=True),
    neck=dict(_delete_=True, type='GlobalAveragePooling'),
    head=dict(in_channels=768))
