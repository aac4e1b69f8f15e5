# Table 9, row LSKNet: LSKNet-S (ImageNet-1k, 300 epochs) instead of ResNet-50, on the
# reproduction's base (g=0.6, DOTA-v2.0). The table does not name the LSKNet size; -S is the one
# LSKNet reports on DOTA. Optimiser unchanged (the row changes only the backbone).
_base_ = './dcfl-le135_r50_fpn_1x_dotav2_g0.6.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='LSKNet',
        arch='s',
        drop_path_rate=0.1,
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmrotate/v1.0/lsknet/backbones/'
            'lsk_s_backbone-e9d2e551.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))
