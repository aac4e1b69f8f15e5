# DeepLabv3+ on ZeroWaste-f: paper Table 1 (52.13 mIoU, 91.38 pixel accuracy), a number the
# FANet paper quotes from the ZeroWaste paper, which trained it with detectron2. This ports the
# detectron2 config released with ZeroWaste (dbash/zerowaste, deeplab/, exp_18 in its log):
# ResNet-101 with the 3-conv "DeepLab" stem (detectron2's R-103 = mmseg's ResNetV1c-101) at output
# stride 16 with multi-grid (1, 2, 4) in the last stage, ASPP dilations 6/12/18, SyncBN, stem and
# first stage frozen, crop 512x1024, 40 images per batch (2 GPUs x 20), SGD lr 0.01 momentum 0.9
# weight decay 0.003, 1000-iteration linear warmup from 0.001x, lr x0.1 at 2k/4k/6k/9k,
# 10k iterations; training short side drawn from 512-2048 (long side <= 4096), testing short
# side 1024 with the long side capped at 1024. Not ported: detectron2's hard-pixel-mining loss
# (top 20% pixels; plain cross-entropy here) and its ASPP dropout of 0.8 (mmseg: 0.1).
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py', './_base_/datasets/zerowaste-f.py',
    'mmseg::_base_/schedules/schedule_40k.py', '../_base_/mmseg_runtime.py'
]
crop_size = (512, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101, dilations=(1, 1, 1, 2), strides=(1, 2, 2, 1),
                  multi_grid=(1, 2, 4), frozen_stages=1),
    decode_head=dict(dilations=(1, 6, 12, 18), num_classes=5),
    auxiliary_head=dict(num_classes=5))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomChoiceResize', scales=[512, 768, 1024, 1280, 1536, 1792, 2048],
         resize_type='ResizeShortestEdge', max_size=4096),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeShortestEdge', scale=1024, max_size=1024),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=20, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.01, momentum=0.9, weight_decay=0.003))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', milestones=[2000, 4000, 6000, 9000], gamma=0.1, by_epoch=False,
         begin=0, end=10000)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=10000, val_interval=1000)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000, save_best='mIoU'))
