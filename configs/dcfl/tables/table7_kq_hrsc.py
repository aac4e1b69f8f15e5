# DCFL, Table 7 of the reproduction study: K and Q on HRSC2016 (g=0.6).
# python tools/run_table.py configs/dcfl/tables/table7_kq_hrsc.py [--synthetic]
title = 'Table 7: K and Q on HRSC2016'
metrics = [dict(name='mAP', key='dota/mAP', scale=100)]
rows = [
    dict(label='K=16, Q=14, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g0.6_k16q14.py',
         paper=dict(mAP=87.9)),
    dict(label='K=16, Q=12, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g0.6.py',
         paper=dict(mAP=85.1)),
    dict(label='K=16, Q=10, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g0.6_k16q10.py',
         paper=dict(mAP=88.0)),
    dict(label='K=16, Q=8, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g0.6_k16q8.py',
         paper=dict(mAP=87.3)),
    dict(label='K=16, Q=6, g=0.6',
         config='configs/dcfl/dcfl-le135_r50_fpn_6x_hrsc_g0.6_k16q6.py',
         paper=dict(mAP=88.6)),
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
