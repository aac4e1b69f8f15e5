# FANet paper, Table 4: ImageNet-1k validation top-1 (parameters / GFLOPs at 224x224 as the
# paper quotes them, in the labels; tools/analysis_tools/benchmark_fanet.py measures both).
# python tools/run_table.py configs/fanet/tables/table4_imagenet.py [--synthetic]
title = 'Table 4: ImageNet-1k classification (validation set)'
metrics = [dict(name='Top-1', key='accuracy/top1', scale=1)]
rows = [
    dict(label='FocalNet-T (28.6 M, 4.5 G)', config='configs/fanet/focalnet-t_16xb80_in1k.py',
         paper={'Top-1': 82.3}, note="paper's number is the FocalNet paper's own recipe"),
    dict(label='FANet-T (36.7 M, 5.8 G)', config='configs/fanet/fanet-t_16xb80_in1k.py',
         paper={'Top-1': 82.5}),
]
# --synthetic: the synthetic ImageNet folder (4 classes, 64 px images), two epochs (warmup, cosine)
synthetic = [
    'train_dataloader.dataset.data_root=data/synthetic/imagenet/',
    'val_dataloader.dataset.data_root=data/synthetic/imagenet/',
    'test_dataloader.dataset.data_root=data/synthetic/imagenet/',
    'train_dataloader.batch_size=8', 'val_dataloader.batch_size=8',
    'test_dataloader.batch_size=8',
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=2', 'param_scheduler.0.end=1', 'param_scheduler.1.begin=1',
]
synthetic_data = ['imagenet']
