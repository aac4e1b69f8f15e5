# Table 3 "U-Net++" (Zhou et al.): U-Net++ (32-512 channels, its paper's widths) with the same x2
# head and CE loss as the U-Net baseline.
_base_ = './unet-s5-d16_up2.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='UNetPlusPlus',
        in_channels=1,
        base_channels=32,
        num_stages=5,
        norm_cfg=norm_cfg,
        upsample_cfg=dict(type='InterpConv')),
    decode_head=dict(in_channels=32, channels=32))
