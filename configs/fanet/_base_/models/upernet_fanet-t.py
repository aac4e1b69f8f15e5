# UperNet + FANet-T as the released FANet config builds it (techmn/fanet
# configs/sem_fpn/fanet/uper_fanet_tiny_zerowaste_40k.py on top of mmseg's upernet_r50):
# UPerHead with 256 channels, an FCN auxiliary head on stage 3 with loss weight 0.5, plain BN
# (trained on one GPU with batch 2).
_base_ = 'mmseg::_base_/models/upernet_r50.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    # pad training crops to 512x512; at test time pad to a multiple of 32 (the released
    # AlignResize resized to a multiple of 32 instead)
    data_preprocessor=dict(size=(512, 512), test_cfg=dict(size_divisor=32)),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='FANet',
        arch='tiny',
        drop_path_rate=0.1,
        out_indices=(0, 1, 2, 3),
        # ImageNet-1k weights: the released model_best.pth.tar converted with
        # tools/model_converters/fanet2mmext.py (see configs/fanet/README.md), or an mmext
        # ImageNet checkpoint (configs/fanet/fanet-t_16xb80_in1k.py)
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/fanet-t_in1k.pth',
                      prefix='backbone.')),
    decode_head=dict(in_channels=[96, 192, 384, 768], channels=256, num_classes=5,
                     norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=384, in_index=2, channels=256, num_classes=5,
                        norm_cfg=norm_cfg, loss_decode=dict(loss_weight=0.5)))
