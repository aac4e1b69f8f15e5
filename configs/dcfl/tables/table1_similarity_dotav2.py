# DCFL, Table 1 of the reproduction study: similarity measure for the coarse candidates (CPS)
# on DOTA-v2.0 val (mAP@0.5). Two columns, two settings: "Paper" is the DCFL paper's number as
# the study quotes it (the paper's g=0.8 base); "Ours" is the study's own run, made at the
# official g=0.6 (its GJSD 59.4 is its g=0.6 result of Tables 3, 4 and 9), so each number has
# its own row and config.
# python tools/run_table.py configs/dcfl/tables/table1_similarity_dotav2.py [--synthetic]
title = 'Table 1: similarity measures for CPS on DOTA-v2.0 val'
metrics = [dict(name='mAP', key='dota/mAP', scale=100)]
rows = [
    dict(label='KLD, g=0.8',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_kld.py',
         paper=dict(mAP=57.8),
         note='DCFL paper ("Paper" column)'),
    dict(label='GWD, g=0.8',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_gwd.py',
         paper=dict(mAP=58.6),
         note='DCFL paper ("Paper" column)'),
    dict(label='GJSD, g=0.8',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py',
         paper=dict(mAP=59.2),
         note='DCFL paper ("Paper" column)'),
    dict(label='KLD, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_g0.6_kld.py',
         paper=dict(mAP=50.6),
         note='reproduction ("Ours" column)'),
    dict(label='GWD, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_g0.6_gwd.py',
         paper=dict(mAP=57.7),
         note='reproduction ("Ours" column)'),
    dict(label='GJSD, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_g0.6.py',
         paper=dict(mAP=59.4),
         note='reproduction ("Ours" column)'),
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
