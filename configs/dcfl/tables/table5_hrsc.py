# DCFL, Table 5 of the reproduction study: HRSC2016 (mAP@0.5, VOC07-style DOTAMetric) against
# the le135 baselines. The study's DCFL run used the official g=0.6.
# python tools/run_table.py configs/dcfl/tables/table5_hrsc.py [--synthetic]
title = 'Table 5: DCFL on HRSC2016 against two baselines'
metrics = [dict(name='mAP', key='dota/mAP', scale=100)]
rows = [
    dict(label='atss_le135',
         config='configs/dcfl/rotated-atss-le135_r50_fpn_6x_hrsc.py',
         paper=dict(mAP=67.1)),
    dict(label='retinanet_le135',
         config='configs/dcfl/rotated-retinanet-rbox-le135_r50_fpn_6x_hrsc.py',
         paper=dict(mAP=61.8)),
    dict(label='DCFL, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g0.6.py',
         paper=dict(mAP=85.1)),
]
# --synthetic: the synthetic HRSC2016 set (320 x 256 px), no ImageNet weights, one epoch
synthetic = [
    'model.backbone.init_cfg=None',
    'train_dataloader.dataset.data_root=data/synthetic/hrsc/',
    'train_dataloader.dataset.pipeline.3.scale=(320,256)',
    'val_dataloader.dataset.data_root=data/synthetic/hrsc/',
    'val_dataloader.dataset.pipeline.1.scale=(320,256)',
    'test_dataloader.dataset.data_root=data/synthetic/hrsc/',
    'test_dataloader.dataset.pipeline.1.scale=(320,256)',
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
]
synthetic_data = ['hrsc']
