# What `tools/run_table.py configs/fanet/tables/<table>.py --synthetic` adds to the rows: the
# ZeroWaste-f segmentation rows and the ImageNet classification rows train on their synthetic
# sets (python tools/misc/generate_synthetic_data.py zerowaste|imagenet ...). Pipeline checks on
# CPU, not reproductions.
# --synthetic: the synthetic ZeroWaste-f set, no ImageNet weights, a few iterations
synthetic_zerowaste = [
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

# --synthetic: the synthetic ImageNet folder (4 classes, 64 px images), two epochs (warmup, cosine)
synthetic_imagenet = [
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
