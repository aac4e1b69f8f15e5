# Table 7, row "MMMC (ours)" (45.7 AP on test-dev): MMMC with a ResNet-101, 2x (24 epochs =
# ~180k iterations at batch 16, LR steps at epochs 16 and 22 = the released 120k and 160k),
# multi-scale training as the released configs/mmmc/mmmc_R_101_FPN_2x.yaml: the shorter side drawn
# uniformly from 480-960 px (MIN_SIZE_RANGE_TRAIN: (480, 960)), the longer at most 1333
# (MAX_SIZE_TRAIN). Evaluates on val2017; for test-dev use
# mmmc_r101-caffe_fpn_gn-head_ms-480-960-2x_coco-test-dev.py with tools/test.py.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron/resnet101_caffe')))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    # RandomResize between two scales: short side uniform in [480, 960], long side 1333
    dict(type='RandomResize', scale=[(1333, 480), (1333, 960)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_epochs = 24
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='ConstantLR', factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[16, 22],
         gamma=0.1)
]
