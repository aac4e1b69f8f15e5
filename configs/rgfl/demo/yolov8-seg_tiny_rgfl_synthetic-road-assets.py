# tests (and `make demo` if wanted): a narrow YOLOv8-seg with the refined GFL on the synthetic
# road-asset polygons (YOLO layout; `python tools/misc/generate_synthetic_data.py yolo_seg
# data/synthetic/yolo_seg`). Same head, losses (QFL + focal mask loss of Formula 2), assigner
# and optimiser as the paper's seg configs, reduced for 2 CPU cores like the detection demo.
_base_ = '../yolov8-seg_n_rgfl_1xb16-100e_road-assets-seg.py'

data_root = 'data/synthetic/yolo_seg/'
img_scale = (192, 192)

# mosaic / affine outputs have no single scale factor
train_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip', 'flip_direction')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='YOLOv8CachedMosaic', img_scale=img_scale, pad_val=114.0, max_cached_images=20),
    dict(type='YOLOv8RandomAffine', scaling_ratio_range=(0.5, 1.5), max_translate_ratio=0.1,
         border=(-img_scale[0] // 2, -img_scale[1] // 2)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=train_meta_keys)
]
train_pipeline_stage2 = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type='YOLOv8RandomAffine', scaling_ratio_range=(0.8, 1.2), max_translate_ratio=0.1),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=train_meta_keys)
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='labels/train/',
                 data_prefix=dict(img='images/train/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='labels/val/',
                 data_prefix=dict(img='images/val/'), pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    backbone=dict(arch='n', widen_factor=0.125),
    neck=dict(in_channels=[32, 64, 128], num_csp_blocks=1),
    bbox_head=dict(in_channels=[32, 64, 128], proto_channels=32),
    test_cfg=dict(nms_pre=1000, max_per_img=100))

# batch 4, no accumulation: Ultralytics' clipping at 10 is 10 / (4 x 1) here (see the base's
# optim_wrapper comment)
optim_wrapper = dict(optimizer=dict(lr=0.006), accumulative_counts=1,
                     clip_grad=dict(max_norm=10.0 / (4 * 1)))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.05, by_epoch=True, begin=0)
]
# validation and the checkpoint at the end of training (both follow train_cfg.max_epochs)
train_cfg = dict(max_epochs=20, val_interval=1000)
default_hooks = dict(
    checkpoint=dict(interval=1000, max_keep_ckpts=1, save_best=None),
    logger=dict(interval=5))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.01, gamma=20,
         update_buffers=True, strict_load=False, priority=49),
    # mosaic closed for the last 16 epochs (the first 4 of 20 keep it), from train_cfg.max_epochs
    dict(type='YOLOv8CloseMosaicHook', close_mosaic_epochs=16,
         switch_pipeline=train_pipeline_stage2, val_interval=None),
    dict(type='ImgScaleHook'),
    dict(type='ClassNamesCheckHook')
]

# seeded (tools/demo.py --seed overrides it)
randomness = dict(seed=0)
