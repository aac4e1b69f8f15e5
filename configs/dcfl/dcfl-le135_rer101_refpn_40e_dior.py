# DCFL on DIOR-R, as the official diorr_dcfl_rer101_40e.py: ReResNet-101 + ReFPN (P3-P7, P6/P7
# by max-pooling), K=15, Q=13, 800 x 800 input, 4 images per iteration with lr 0.005, rotated NMS
# 0.5, 40 epochs; the paper's g=0.8 (official: 0.6; its assigner key `inside_circle` is a typo
# for `constraint`, so the released config does not build). trainval -> test.
# ReResNet-101 ImageNet weights: re_resnet101_v2_c8_batch256-f248cc41.pth from the ReDet
# authors (the DCFL authors point to it in their issue #32); put it at the path below.
_base_ = [
    './_base_/dcfl-le135_r50_fpn.py', 'mmrotate::_base_/datasets/dior.py',
    'mmrotate::_base_/schedules/schedule_40e.py', '../_base_/mmrotate_runtime.py'
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='ReResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/pretrain/re_resnet101_v2_c8_batch256-f248cc41.pth')),
    neck=dict(
        _delete_=True,
        type='ReFPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,
        add_extra_convs=False,
        num_outs=5),
    bbox_head=dict(num_classes=20),
    train_cfg=dict(assigner=dict(topk=15, topq=13)),
    test_cfg=dict(nms=dict(iou_threshold=0.5)))
train_dataloader = dict(batch_size=4)
optim_wrapper = dict(optimizer=dict(lr=0.005))
default_hooks = dict(checkpoint=dict(interval=4))
train_cfg = dict(val_interval=4)
auto_scale_lr = dict(enable=False, base_batch_size=4)
