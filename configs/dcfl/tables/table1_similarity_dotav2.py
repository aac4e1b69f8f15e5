# DCFL, Table 1 of the reproduction study: similarity measure for the coarse candidates (CPS)
# on DOTA-v2.0 val (mAP@0.5). 'paper' is the DCFL paper's number as the study quotes it (g=0.8);
# the note gives the study's own reproduction (run at the official g=0.6).
# python tools/run_table.py configs/dcfl/tables/table1_similarity_dotav2.py [--synthetic]
title = 'Table 1: similarity measures for CPS on DOTA-v2.0 val'
metrics = [dict(name='mAP', key='dota/mAP', scale=100)]
rows = [
    dict(label='KLD',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_kld.py',
         paper=dict(mAP=57.8),
         note='reproduction: 50.6'),
    dict(label='GWD',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2_gwd.py',
         paper=dict(mAP=58.6),
         note='reproduction: 57.7'),
    dict(label='GJSD',
         config='configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py',
         paper=dict(mAP=59.2),
         note='reproduction: 59.4'),
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
