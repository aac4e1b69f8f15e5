# Table 7, row "PAA" (44.8 AP test-dev in the paper): mmdet's PAA R-101 trained with
# the MMMC R-101 schedule, 2x with multi-scale training (shorter side 640 or 800);
# mmdet ships PAA R-101 at 1x, 2x and ms-3x.
_base_ = 'mmdet::paa/paa_r101_fpn_1x_coco.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)

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
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[16, 22],
         gamma=0.1)
]
