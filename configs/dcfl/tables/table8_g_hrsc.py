# DCFL, Table 8 of the reproduction study: the DGMM threshold g on HRSC2016.
# python tools/run_table.py configs/dcfl/tables/table8_g_hrsc.py [--synthetic]
title = 'Table 8: the DGMM threshold g on HRSC2016'
metrics = [dict(name='mAP', key='dota/mAP', scale=100)]
rows = [
    dict(label='g=1.2',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g1.2.py',
         paper=dict(mAP=86.3)),
    dict(label='g=1.0',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g1.0.py',
         paper=dict(mAP=88.2)),
    dict(label='g=0.8',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc.py',
         paper=dict(mAP=87.1)),
    dict(label='g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g0.6.py',
         paper=dict(mAP=85.1)),
    dict(label='g=0.4',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g0.4.py',
         paper=dict(mAP=88.0)),
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
