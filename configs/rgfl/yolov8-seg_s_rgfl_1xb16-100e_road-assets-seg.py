# YOLOv8-s-seg with the refined GFL on road-asset instance segmentation (the paper's 5 classes).
# Detection part as yolov8_s_rgfl_1xb16-100e_road-assets.py; a prototype-mask branch (32
# prototypes) and per-detection mask coefficients are added (YOLOv8-seg), and the per-pixel mask
# loss takes the focal weighting of the paper's Formula 2, -alpha (1 - p_t)^gamma log p_t.
_base_ = './yolov8_s_rgfl_1xb16-100e_road-assets.py'

dataset_type = 'RoadAssetInsSegDataset'
data_root = 'data/road_assets_seg/'
img_scale = (640, 640)
num_classes = 5
backend_args = None
# mosaic / affine outputs have no single scale factor
train_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip', 'flip_direction')
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='YOLOv8CachedMosaic', img_scale=img_scale, pad_val=114.0, max_cached_images=40),
    dict(type='YOLOv8RandomAffine', max_rotate_degree=0.0, max_shear_degree=0.0,
         max_translate_ratio=0.1, scaling_ratio_range=(0.5, 1.5),
         border=(-img_scale[0] // 2, -img_scale[1] // 2), border_val=(114, 114, 114)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=train_meta_keys)
]
train_pipeline_stage2 = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type='YOLOv8RandomAffine', max_rotate_degree=0.0, max_shear_degree=0.0,
         max_translate_ratio=0.1, scaling_ratio_range=(0.5, 1.5), border_val=(114, 114, 114)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=train_meta_keys)
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DetPRF1Metric', metric=['bbox', 'segm'])
test_evaluator = val_evaluator

model = dict(
    data_preprocessor=dict(pad_mask=True),
    bbox_head=dict(
        type='YOLOv8InsHead',
        num_classes=num_classes,
        num_protos=32,
        proto_channels=128,  # 256 x widen factor
        # Formula 2 of the paper (focal weighting per pixel, gamma 2); YOLOv8's plain BCE is
        # dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=7.5). The paper gives no
        # alpha; 0.5 weighs mask and background pixels equally inside the box crop (with the
        # detection default 0.25 the mask probabilities stay below the 0.5 binarisation
        # threshold far longer: 0 mask mAP after 10 synthetic epochs, against 0.25 with 0.5)
        loss_mask=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5,
                       reduction='mean', loss_weight=7.5)),
    test_cfg=dict(mask_thr_binary=0.5, max_per_img=100))

optim_wrapper = dict(optimizer=dict(lr=round(0.002 * 5 / (4 + num_classes), 6)))
# best checkpoint by Ultralytics' segmentation fitness: box + mask (0.1 mAP50 + 0.9 mAP50-95)
default_hooks = dict(checkpoint=dict(save_best='prf1/fitness'))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0001, gamma=2000,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='YOLOv8CloseMosaicHook', close_mosaic_epochs=10,
         switch_pipeline=train_pipeline_stage2, val_interval=1),
    dict(type='ImgScaleHook'),
    dict(type='ClassNamesCheckHook')
]
