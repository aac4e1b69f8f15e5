# FocalNet-B (LRF) + UperNet on ZeroWaste-f: paper Table 1 (53.26 mIoU) and Table 3 (54.26; the
# paper gives both). Same recipe as upernet_focalnet-t_1xb2-40k_zerowaste-f-512x512.py, and the
# same differences from the official FocalNet UperNet configs (stated there): the ImageNet final
# norm is loaded into the backbone's `norm3` (official: starts at 1/0), FANet's recipe.
_base_ = './upernet_focalnet-t_1xb2-40k_zerowaste-f-512x512.py'
model = dict(
    backbone=dict(arch='base',
                  init_cfg=dict(checkpoint='checkpoints/focalnet-b-lrf_in1k.pth')),
    decode_head=dict(in_channels=[128, 256, 512, 1024]),
    auxiliary_head=dict(in_channels=512))
