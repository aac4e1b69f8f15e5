# FocalNet-T (LRF) + UperNet on ZeroWaste-f: paper Table 3 (51.71 mIoU). The paper does not give
# its FocalNet settings; this swaps the backbone into the FANet recipe (same head, schedule and
# data) and sets the backbone as the official FocalNet UperNet configs do (microsoft/FocalNet
# segmentation/configs/focalnet/upernet_focalnet_tiny_patch4_512x512_160k_ade20k_lrf.py):
# drop path 0.3, focal windows 9 (ImageNet kernels 3/5/7 are zero-padded to 9/11/13 on loading).
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
