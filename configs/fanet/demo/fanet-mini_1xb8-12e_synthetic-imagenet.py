# A reduced-width FANet ImageNet classifier (backbone + global pooling + LayerNorm + Linear-1000,
# as configs/fanet/fanet-t_16xb80_in1k.py) on the synthetic ImageNet folder
# (python tools/misc/generate_synthetic_data.py imagenet data/synthetic/imagenet): 4 real
# ImageNet classes, 64x64 images, the real folder layout and meta/{train,val}.txt files.
_base_ = ['../../_base_/mmpretrain_runtime.py']
data_root = 'data/synthetic/imagenet/'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='FANet', arch=dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 1, 1]),
                  drop_path_rate=0.0, out_indices=(3, ), out_norm=True,
                  gap_before_final_norm=True),
    neck=None,
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=128,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5)))
data_preprocessor = dict(
    num_classes=1000, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ImageNet', data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageNet', data_root=data_root, split='val', pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=12, by_epoch=True, eta_min=1e-5)]
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=12)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=4), checkpoint=dict(interval=12))
randomness = dict(seed=0)
