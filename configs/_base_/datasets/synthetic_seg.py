# Synthetic semantic segmentation (python tools/misc/generate_synthetic_data.py seg data/synthetic/seg):
# images/{train,val}/*.png and annotations/{train,val}/*.png label maps, 128x128, 4 classes.
dataset_type = 'BaseSegDataset'
data_root = 'data/synthetic/seg/'
metainfo = dict(classes=('background', 'disc', 'bar', 'blob'),
                palette=[[0, 0, 0], [220, 40, 40], [40, 200, 60], [50, 90, 230]])
crop_size = (128, 128)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, metainfo=metainfo,
                 img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False,
                 data_prefix=dict(img_path='images/train', seg_map_path='annotations/train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, metainfo=metainfo,
                 img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False,
                 data_prefix=dict(img_path='images/val', seg_map_path='annotations/val'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
