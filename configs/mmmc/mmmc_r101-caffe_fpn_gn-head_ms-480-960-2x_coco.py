# Table 7, row "MMMC (ours)" (45.7 AP on test-dev): MMMC with a ResNet-101, 2x (24 epochs =
# ~180k iterations at batch 16), multi-scale training (shorter side 640 or 800, as mmdet's FCOS
# ms-640-800-2x and the official code's 2x models). Evaluates on val2017; for test-dev use
# mmmc_r101-caffe_fpn_gn-head_ms-640-800-2x_coco-test-dev.py with tools/test.py.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron/resnet101_caffe')))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', scales=[(1333, 640), (1333, 800)], keep_ratio=True),
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
