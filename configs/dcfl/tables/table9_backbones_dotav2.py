# DCFL, Table 9 of the reproduction study: backbones on DOTA-v2.0 val (mAP@0.5), on its base
# with the official g=0.6 (its ResNet50 number equals its g=0.6 result, 59.4).
# python tools/run_table.py configs/dcfl/tables/table9_backbones_dotav2.py [--synthetic]
title = 'Table 9: backbone replacement on DOTA-v2.0 val'
metrics = [dict(name='mAP', key='dota/mAP', scale=100)]
rows = [
    dict(label='LSKNet, g=0.6',
         config='configs/dcfl/dcfl-le135_lsknet-s_fpn_1x_dotav2_g0.6.py',
         paper=dict(mAP=54.6),
         note='LSKNet size not stated in the study; LSKNet-S here'),
    dict(label='ResNet50, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_g0.6.py',
         paper=dict(mAP=59.4)),
    dict(label='ResNet101, g=0.6',
         config='configs/dcfl/dcfl-le135_r101_fpn_1x_dotav2_g0.6.py',
         paper=dict(mAP=60.6)),
    dict(label='ResNet152, g=0.6',
         config='configs/dcfl/dcfl-le135_r152_fpn_1x_dotav2_g0.6.py',
         paper=dict(mAP=61.4)),
]
# --synthetic: the synthetic DOTA set (256 px), no ImageNet weights, one epoch
synthetic = [
    'model.backbone.init_cfg=None',
    'train_dataloader.dataset.data_root=data/synthetic/dota/',
    'train_dataloader.dataset.ann_file=train/labelTxt/',
    'train_dataloader.dataset.data_prefix.img_path=train/images/',
    'train_dataloader.dataset.pipeline.3.scale=(256,256)',
    'val_dataloader.dataset.data_root=data/synthetic/dota/',
    'val_dataloader.dataset.ann_file=val/labelTxt/',
    'val_dataloader.dataset.data_prefix.img_path=val/images/',
    'val_dataloader.dataset.pipeline.1.scale=(256,256)',
    'test_dataloader.dataset.data_root=data/synthetic/dota/',
    'test_dataloader.dataset.ann_file=val/labelTxt/',
    'test_dataloader.dataset.data_prefix.img_path=val/images/',
    'test_dataloader.dataset.pipeline.1.scale=(256,256)',
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
]
synthetic_data = ['dota']
