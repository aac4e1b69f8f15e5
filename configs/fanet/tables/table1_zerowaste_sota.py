# FANet paper, Table 1: comparison on the ZeroWaste-f test set (mIoU, pixel accuracy).
# python tools/run_table.py configs/fanet/tables/table1_zerowaste_sota.py [--synthetic]
title = 'Table 1: comparison with the state of the art on the ZeroWaste-f test set'
metrics = [
    dict(name='mIoU', key='mIoU', scale=1),
    dict(name='Pix. Acc.', key='aAcc', scale=1),
]
semi_note = ('semi-supervised method (uses the unlabelled ZeroWaste-s frames); number quoted by '
         'the paper from the ZeroWaste paper; no OpenMMLab implementation, so no config')
rows = [
    dict(label='CCT', config=None, paper={'mIoU': 29.32, 'Pix. Acc.': 85.91}, note=semi_note),
    dict(label='ReCo', config=None, paper={'mIoU': 52.28, 'Pix. Acc.': 89.33}, note=semi_note),
    dict(label='DeepLabv3+ (R-101, deep stem)',
         config='configs/fanet/deeplabv3plus_r101-d16-mg124_2xb20-10k_zerowaste-f-512x1024.py',
         paper={'mIoU': 52.13, 'Pix. Acc.': 91.38},
         note="paper's number from the ZeroWaste paper (detectron2); config ports its recipe"),
    dict(label='FocalNet-B + UperNet',
         config='configs/fanet/upernet_focalnet-b_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 53.26, 'Pix. Acc.': 91.28}),
    dict(label='FANet-T + UperNet',
         config='configs/fanet/upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 54.89, 'Pix. Acc.': 91.41}),
]
# --synthetic: the synthetic ZeroWaste-f set, no ImageNet weights, a few iterations
synthetic = [
    'train_dataloader.dataset.data_root=data/synthetic/zerowaste/',
    'val_dataloader.dataset.data_root=data/synthetic/zerowaste/',
    'test_dataloader.dataset.data_root=data/synthetic/zerowaste/',
    'model.backbone.init_cfg=None', 'model.pretrained=None',
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'train_dataloader.batch_size=2',
    'train_cfg.max_iters=20', 'train_cfg.val_interval=20',
    'default_hooks.checkpoint.interval=20',
]
synthetic_data = ['zerowaste']
