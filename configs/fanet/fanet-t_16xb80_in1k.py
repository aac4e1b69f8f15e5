# FANet-T ImageNet-1k classification (paper Table 4: 36.7 M parameters, 5.8 GFLOPs, 82.5 top-1).
# Paper Sec. 4.2: 300 epochs, AdamW, lr 1e-3, weight decay 0.05, batch 80 on each of 16 GPUs.
# The paper does not give the augmentation, warmup or head; this uses mmpretrain's Swin/VAN
# ImageNet recipe (RandAugment, Mixup 0.8, CutMix 1.0, label smoothing 0.1, random erasing,
# 20-epoch warmup, cosine decay, no weight decay on norms and biases) and the head that the
# released code and the parameter count imply: global average pooling, LayerNorm, Linear.
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py',
    'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py',
    '../_base_/mmpretrain_runtime.py'
]
model = dict(
    type='ImageClassifier',
    backbone=dict(type='FANet', arch='tiny', drop_path_rate=0.1, out_indices=(3, ),
                  out_norm=True, gap_before_final_norm=True),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=768,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02, bias=0.)),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))

train_dataloader = dict(batch_size=80)
val_dataloader = dict(batch_size=80)
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.05))
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
# lr 1e-3 is for 16 GPUs x 80 images; --auto-scale-lr rescales it for other batch sizes
auto_scale_lr = dict(base_batch_size=1280)
