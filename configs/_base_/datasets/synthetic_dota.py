# Synthetic DOTA (python tools/misc/generate_synthetic_data.py dota data/synthetic/dota):
# raw DOTA layout, 256x256 images, real DOTA class names. Replaces mmrotate's split-DOTA paths.
_base_ = 'mmrotate::_base_/datasets/dota.py'

data_root = 'data/synthetic/dota/'
img_scale = (256, 256)
backend_args = None

train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.75, direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='mmdet.PackDetInputs')
]
val_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='train/labelTxt/',
                 data_prefix=dict(img_path='train/images/'), img_shape=img_scale,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='val/labelTxt/',
                 data_prefix=dict(img_path='val/images/'), img_shape=img_scale,
                 pipeline=val_pipeline))
test_dataloader = val_dataloader
