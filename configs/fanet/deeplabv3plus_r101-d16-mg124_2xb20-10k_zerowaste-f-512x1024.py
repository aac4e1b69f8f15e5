# DeepLabv3+ on ZeroWaste-f: paper Table 1 (52.13 mIoU, 91.38 pixel accuracy), a number the
# FANet paper quotes from the ZeroWaste paper, which trained it with detectron2. This ports the
# detectron2 recipe released with ZeroWaste (dbash/zerowaste deeplab/: the settings of run exp_18
# in outputs/full_config.yaml, configs/zerowaste_config.yaml, and the augmentations of
# train_net.py, which outputs/log.txt confirms) onto mmseg's DeepLabv3+: ResNet-101 with a 3-conv
# stem at output stride 16, multi-grid in the last stage, ASPP dilations 6/12/18, SyncBN, stem
# and first stage frozen (full_config.yaml: FREEZE_AT 2; the yaml in configs/ says 3), crop
# 512x1024, 40 images per batch (2 GPUs x 20), SGD lr 0.01 momentum 0.9 weight decay 0.003,
# 1000-iteration linear warmup from 0.001x, lr x0.1 at 2k/4k/6k/9k, 10k iterations; training:
# resize to 2048x1024, short side drawn from 512-2048 (long side <= 4096), rotation in [-90, 90]
# with the canvas expanded (corners label 0), crop, flip; testing: resize to 2048x1024 (the test
# mapper of train_net.py; its MIN/MAX_SIZE_TEST are unused), scored at the original size.
# The released log is not the paper's run: it trained on an earlier version of the data (1245
# train / 312 val / 317 test frames, not 3002 / 572 / 929) and ends at test mIoU 39.06, pixel
# accuracy 88.47.
#
# Set here to match detectron2 (each differs from mmseg's deeplabv3plus_r50-d8 base):
# * no auxiliary head (detectron2's DeepLabV3PlusHead has none; mmseg's base adds an FCN head on
#   stage 3 with loss weight 0.4): `auxiliary_head=None`;
# * head width 256 (ASPP_CHANNELS and CONVS_DIM; mmseg's base: 512): `decode_head.channels=256`;
# * last-stage dilations 2, 4, 8: detectron2 multiplies RES5_DILATION 2 by the multi-grid
#   (1, 2, 4); mmseg uses `multi_grid` values as the dilations themselves, so (1, 2, 4) there
#   would give 1, 2, 4: `multi_grid=(2, 4, 8)`;
# * weight decay (SOLVER.WEIGHT_DECAY_NORM 0, WEIGHT_DECAY_BIAS 1e-4): none on norm layers and
#   1e-4 on the other biases: `paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=1e-4/3e-3)`
#   (detectron2 decays norm *biases* with 1e-4 too: its bias rule overrides its norm rule; here
#   they get 0);
# * pipelines: the fixed 2048x1024 resize before the scale jitter, the rotation, and the fixed
#   2048x1024 test resize (earlier versions of this config had neither and tested at short side
#   1024, long side <= 1024, the yaml's unused MIN/MAX_SIZE_TEST).
# Still different from detectron2 (no mmseg equivalent, or ImageNet weights would not fit):
# * separable convolutions: mmseg's DepthwiseSeparableASPPHead uses depthwise-separable 3x3
#   convs in the three dilated ASPP branches and in both decoder 3x3 convs; detectron2's run has
#   USE_DEPTHWISE_SEPARABLE_CONV false (plain 3x3 convs in ASPP and decoder). mmseg's ASPP also
#   fuses its branches with a 3x3 conv (detectron2: 1x1), puts a norm on the image-pooling conv
#   and pools globally (detectron2 averages over a window of the training crop's feature size,
#   32x64);
# * stem width: detectron2's R-103 "deeplab" stem (STEM_OUT_CHANNELS 128) is 3x3 convs
#   64/64/128 feeding res2 with 128 channels; mmseg's ResNetV1c-101 stem is 32/32/64 (res2 gets
#   64), so the ImageNet weights are mmseg's open-mmlab://resnet101_v1c, not detectron2's
#   R-103.pkl (`backbone.stem_channels=128` gives detectron2's widths, with no weights to load);
# * dropout: detectron2 drops 0.8 of the ASPP output; mmseg drops 0.1 before the classifier;
# * loss: detectron2's hard-pixel mining (top 20% pixels); plain cross-entropy here;
# * colour augmentation: detectron2's RandomBrightness/RandomSaturation(0.6, 1.4) and
#   RandomLighting(0.3) are not ported.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py', './_base_/datasets/zerowaste-f.py',
    'mmseg::_base_/schedules/schedule_40k.py', '../_base_/mmseg_runtime.py'
]
crop_size = (512, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101, dilations=(1, 1, 1, 2), strides=(1, 2, 2, 1),
                  multi_grid=(2, 4, 8), frozen_stages=1),
    decode_head=dict(channels=256, dilations=(1, 6, 12, 18), num_classes=5),
    auxiliary_head=None)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=False),
    dict(type='RandomChoiceResize', scales=[512, 768, 1024, 1280, 1536, 1792, 2048],
         resize_type='ResizeShortestEdge', max_size=4096),
    dict(type='RandomRotate', prob=1.0, degree=90, pad_val=0, seg_pad_val=0, auto_bound=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=False),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=20, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(
    optimizer=dict(lr=0.01, momentum=0.9, weight_decay=0.003),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=1e-4 / 3e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', milestones=[2000, 4000, 6000, 9000], gamma=0.1, by_epoch=False,
         begin=0, end=10000)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=10000, val_interval=1000)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000, save_best='mIoU'))
