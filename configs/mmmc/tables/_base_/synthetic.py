# What `tools/run_table.py configs/mmmc/tables/<table>.py --synthetic` adds to every row: the
# synthetic COCO set (4 classes, 256 px; python tools/misc/generate_synthetic_data.py coco
# data/synthetic/coco), a ResNet-18 without ImageNet init in place of ResNet-50/101 (the rows keep
# their head, assigner and schedule shape), 8 training images, one epoch and no score threshold.
# A pipeline check on CPU, not a reproduction: its numbers say nothing about the paper's.
_root = 'data/synthetic/coco/'
_classes = '[disc,square,triangle,hexagon]'
synthetic = [
    f'train_dataloader.dataset.data_root={_root}',
    f'train_dataloader.dataset.metainfo.classes={_classes}',
    'train_dataloader.dataset.indices=8',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    f'val_dataloader.dataset.data_root={_root}',
    f'val_dataloader.dataset.metainfo.classes={_classes}',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    f'test_dataloader.dataset.data_root={_root}',
    f'test_dataloader.dataset.metainfo.classes={_classes}',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    f'val_evaluator.ann_file={_root}annotations/instances_val2017.json',
    f'test_evaluator.ann_file={_root}annotations/instances_val2017.json',
    'model.bbox_head.num_classes=4',
    'model.backbone.depth=18',
    'model.backbone.init_cfg=None',
    'model.neck.in_channels=[64,128,256,512]',
    'train_cfg.max_epochs=1',
    'model.test_cfg.score_thr=0.0',  # one epoch from scratch scores below 0.05: keep its boxes
]
synthetic_data = ['coco']
