# YOLOv8-s with the refined Generalized Focal Loss on the road-asset detection data (7 classes).
# The base config of the refined-GFL paper (Panboonyuen et al., 2024): YOLOv8 built from mmdet
# parts, classification by Quality Focal Loss (beta = 2) on IoU targets, DFL (16 bins) + CIoU
# boxes, YOLOv8's task-aligned assignment and training recipe (mosaic, random affine, HSV,
# flip, close-mosaic for the last 10 epochs, AdamW with Ultralytics' automatic lr, nominal batch
# 64, EMA of weights). Sizes n/m/l/x and the BCE baseline inherit from this file.
# Each setting is defined once and what follows from it is derived when the run starts, so an
# override carries everything: train_cfg.max_epochs sets the lr schedule's end (mmengine's
# default end) and the close-mosaic epoch (YOLOv8CloseMosaicHook, the last 10 epochs);
# img_scale sets every pipeline (ImgScaleHook); the dataset's classes come from its data.yaml
# and ClassNamesCheckHook stops the run when they disagree with model.bbox_head.num_classes.
_base_ = ['../_base_/mmdet_runtime.py']

# ----------------------------------------------------------------------------- data
# Prepare: YOLO-format data at data/road_assets/ (data.yaml, images/{train,val}, labels/...),
# then `python tools/dataset_converters/yolo2coco.py data/road_assets/data.yaml`, or set
# ann_file='labels/train/' to read the YOLO labels directly.
dataset_type = 'RoadAssetDataset'
data_root = 'data/road_assets/'
img_scale = (640, 640)  # (w, h); ImgScaleHook applies it to every pipeline at run time
num_classes = 7
backend_args = None
# mosaic / affine outputs have no single scale factor
train_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'flip', 'flip_direction')
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='YOLOv8CachedMosaic', img_scale=img_scale, pad_val=114.0, max_cached_images=40),
    dict(type='YOLOv8RandomAffine', max_rotate_degree=0.0, max_shear_degree=0.0,
         max_translate_ratio=0.1, scaling_ratio_range=(0.5, 1.5),
         border=(-img_scale[0] // 2, -img_scale[1] // 2), border_val=(114, 114, 114)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=train_meta_keys)
]
# close-mosaic stage (YOLOv8CloseMosaicHook, the last 10 epochs): letterbox + affine, no mosaic
train_pipeline_stage2 = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
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
    # annotations after Resize: ground truth stays in original image coordinates
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
# the paper's metrics: mAP50, mAP50-95, precision, recall, F1 (YOLOv8 validation definitions)
val_evaluator = dict(type='DetPRF1Metric', metric='bbox')
test_evaluator = val_evaluator

# ----------------------------------------------------------------------------- model (size s)
norm_cfg = dict(type='BN', momentum=0.03, eps=0.001)
act_cfg = dict(type='SiLU', inplace=True)
model = dict(
    type='SingleStageDetector',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[0., 0., 0.],
                           std=[255., 255., 255.], bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='YOLOv8CSPDarknet', arch='s', norm_cfg=norm_cfg, act_cfg=act_cfg),
    neck=dict(type='YOLOv8PAFPN', in_channels=[128, 256, 512], num_csp_blocks=1,
              norm_cfg=norm_cfg, act_cfg=act_cfg),
    bbox_head=dict(
        type='YOLOv8Head',
        num_classes=num_classes,
        in_channels=[128, 256, 512],
        strides=[8, 16, 32],
        reg_max=16,
        norm_cfg=norm_cfg,
        act_cfg=act_cfg,
        # refined GFL: QFL on the IoU of the predicted box with its GT (GFL's quality target)
        cls_target='iou',
        loss_cls=dict(type='RefinedQualityFocalLoss', use_sigmoid=True, beta=2.0, alpha=None,
                      reduction='mean', loss_weight=0.5),
        # Ultralytics' CIoU (aspect term at every IoU); aspect_iou_gate=0.5 is mmdet's CIoULoss
        loss_bbox=dict(type='YOLOv8CIoULoss', aspect_iou_gate=None, reduction='mean',
                       loss_weight=7.5),
        loss_dfl=dict(type='DistributionFocalLoss', reduction='mean', loss_weight=1.5),
        # logged beside loss_cls, no gradient: YOLOv8's BCE (gain 0.5) on the same logits and
        # targets, so the QFL and BCE runs of tables/loss_ablation.py share one loss scale
        monitor_cls=dict(cls_bce=dict(type='CrossEntropyLoss', use_sigmoid=True,
                                      reduction='mean', loss_weight=0.5))),
    train_cfg=dict(assigner=dict(type='YOLOv8TaskAlignedAssigner', topk=10, alpha=0.5,
                                 beta=6.0, iou_mode='ciou')),
    # YOLOv8 validation: multi-label, score > 0.001, NMS IoU 0.7, at most 300 per image
    test_cfg=dict(nms_pre=30000, score_thr=0.001, nms=dict(type='nms', iou_threshold=0.7),
                  max_per_img=300))

# ----------------------------------------------------------------------------- schedule
# Ultralytics optimizer='auto' for short runs: AdamW, lr = 0.002 * 5 / (4 + num_classes),
# betas (0.9, 0.999), weight decay 5e-4 on conv/linear weights only, nominal batch 64
# (batch 16 x 4 accumulated steps), gradient norm clipped at 10.
# Clipping threshold: Ultralytics back-propagates each batch's loss multiplied by the batch size
# (16) and sums 4 batches; mmengine back-propagates loss / accumulative_counts (4) of losses that
# are not multiplied by the batch, so its accumulated gradient is 1 / (16 * 4) = 1 / 64 of
# Ultralytics'. Clipping at 10 / 64 clips the same steps as Ultralytics' 10 (change the 16 and
# the 4 with the batch size and accumulative_counts).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=round(0.002 * 5 / (4 + num_classes), 6),
                   betas=(0.9, 0.999), weight_decay=0.0005),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    accumulative_counts=4,
    clip_grad=dict(max_norm=10.0 / (16 * 4)))
param_scheduler = [
    # 3 warm-up epochs, per iteration
    dict(type='LinearLR', start_factor=0.001, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    # linear decay to lrf = 0.01 over the run, per epoch; no `end`: mmengine ends it at
    # train_cfg.max_epochs
    dict(type='LinearLR', start_factor=1.0, end_factor=0.01, by_epoch=True, begin=0)
]
# validation every 10 epochs, every epoch once mosaic is closed (YOLOv8CloseMosaicHook)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    # best checkpoint by Ultralytics' fitness, 0.1 mAP50 + 0.9 mAP50-95 (its best.pt)
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3,
                    save_best='prf1/fitness', rule='greater'),
    logger=dict(type='LoggerHook', interval=50))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0001, gamma=2000,
         update_buffers=True, strict_load=False, priority=49),
    dict(type='YOLOv8CloseMosaicHook', close_mosaic_epochs=10,
         switch_pipeline=train_pipeline_stage2, val_interval=1),
    dict(type='ImgScaleHook'),
    dict(type='ClassNamesCheckHook')
]
auto_scale_lr = dict(enable=False, base_batch_size=64)
