# DCFL, Table 2 of the reproduction study: the DCFL paper's K/Q ablation on DOTA-v2.0 val
# (mAP@0.5, g=0.8).
# python tools/run_table.py configs/dcfl/tables/table2_kq_dotav2.py [--synthetic]
title = "Table 2: K and Q on DOTA-v2.0 val (the DCFL paper's numbers)"
metrics = [dict(name='mAP', key='dota/mAP', scale=100)]
rows = [
    dict(label='K=16, Q=12, g=0.8',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py',
         paper=dict(mAP=59.2)),
    dict(label='K=16, Q=10, g=0.8',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_k16q10.py',
         paper=dict(mAP=58.6)),
    dict(label='K=16, Q=8, g=0.8',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_k16q8.py',
         paper=dict(mAP=59.0)),
    dict(label='K=16, Q=6, g=0.8',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_k16q6.py',
         paper=dict(mAP=57.8)),
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
