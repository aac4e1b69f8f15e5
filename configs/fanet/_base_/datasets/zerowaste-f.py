# ZeroWaste-f (Bashkirova et al., CVPR 2022) in its released layout. Download zerowaste-f-final.zip
# (Zenodo record 6412647) and unzip it into data/zerowaste-f/, which gives
#   data/zerowaste-f/splits_final_deblurred/{train,val,test}/{data,sem_seg}/*.PNG
# 5 classes with background as a class (reduce_zero_label=False). Pipelines follow the released
# FANet config (techmn/fanet configs/_base_/datasets/zero_waste.py) ported to mmseg 1.x: its
# AlignResize (resize so that H, W are multiples of 32) becomes a keep-ratio Resize plus padding to
# a multiple of 32 in the model's data preprocessor.
dataset_type = 'ZeroWasteDataset'
data_root = 'data/zerowaste-f/'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='splits_final_deblurred/train/data',
                         seg_map_path='splits_final_deblurred/train/sem_seg'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='splits_final_deblurred/val/data',
                         seg_map_path='splits_final_deblurred/val/sem_seg'),
        pipeline=test_pipeline))
# the paper reports the test split
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='splits_final_deblurred/test/data',
                         seg_map_path='splits_final_deblurred/test/sem_seg'),
        pipeline=test_pipeline))
# mIoU and pixel accuracy (aAcc), as the paper reports
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
