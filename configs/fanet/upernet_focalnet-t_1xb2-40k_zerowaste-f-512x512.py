# FocalNet-T (LRF) + UperNet on ZeroWaste-f: paper Table 3 (51.71 mIoU). The paper does not give
# its FocalNet settings; this swaps the backbone into the FANet recipe (same head, schedule and
# data) and sets the backbone as the official FocalNet UperNet configs do (microsoft/FocalNet
# segmentation/configs/focalnet/upernet_focalnet_tiny_patch4_512x512_160k_ade20k_lrf.py):
# drop path 0.3, focal windows 9 (ImageNet kernels 3/5/7 are zero-padded to 9/11/13 on loading).
# What differs from that source:
# * the ImageNet final norm is loaded into `norm3`: focalnet2mmext.py renames the classifier's
#   final LayerNorm `norm.*` to `backbone.norm3.*`, and `Pretrained(prefix='backbone.')` loads it
#   into this backbone's norm on the stage-4 output (the UperNet's deepest input), the norm the
#   classifier applied at the same place (before pooling). The official FocalNet segmentation
#   code loads the checkpoint with strict=False, where `norm.*` matches nothing, so its `norm3`
#   starts at weight 1, bias 0. Here only `norm0`-`norm2` start at 1/0 (they are new in both),
#   and `norm3` starts from ImageNet's learnt scale and shift (LayerNorm's normalisation itself
#   has no parameters), so the deepest UperNet input starts scaled as the classifier's was;
# * the recipe is FANet's (AdamW lr 9e-5, weight decay 1e-3 on all parameters, norms included,
#   batch 2, 40k iterations, poly, plain BN), not the official FocalNet UperNet one (AdamW lr 6e-5,
#   weight decay 0.01 with decay_mult 0 on norms, 1500-iteration warmup, 8 GPUs x 2, 160k
#   iterations, SyncBN): the paper gives no FocalNet settings; with FANet's recipe Table 3
#   compares the backbones under one recipe.
_base_ = './upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='FocalNet',
        arch='tiny',
        drop_path_rate=0.3,
        focal_windows=[9, 9, 9, 9],
        out_indices=(0, 1, 2, 3),
        # focalnet_tiny_lrf.pth (microsoft/FocalNet release) converted with
        # tools/model_converters/focalnet2mmext.py
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/focalnet-t-lrf_in1k.pth',
                      prefix='backbone.')),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384))
