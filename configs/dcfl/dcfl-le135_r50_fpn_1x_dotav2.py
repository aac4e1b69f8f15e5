# DCFL R50-FPN 1x on DOTA-v2.0: the paper's ablation setting (train -> val, 1024x1024 patches
# with gap 200, mAP@0.5) with its defaults K=16, Q=12, g=0.8, GJSD. The official code's g=0.6 is
# dcfl-le135_r50_fpn_1x_dotav2_g0.6.py. SGD lr 0.0025 for 2 images per iteration (1 GPU x 2).
_base_ = [
    './_base_/dcfl-le135_r50_fpn.py', 'mmrotate::_base_/datasets/dotav2.py',
    'mmrotate::_base_/schedules/schedule_1x.py', '../_base_/mmrotate_runtime.py'
]
model = dict(bbox_head=dict(num_classes=18))

train_dataloader = dict(
    dataset=dict(ann_file='train/annfiles/', data_prefix=dict(img_path='train/images/')))
val_dataloader = dict(
    dataset=dict(ann_file='val/annfiles/', data_prefix=dict(img_path='val/images/')))
test_dataloader = val_dataloader

# the official configs save and evaluate every 4 epochs
train_cfg = dict(val_interval=4)
default_hooks = dict(checkpoint=dict(interval=4))
# the official runs: 2 images per iteration (tools/train.py --auto-scale-lr scales the lr)
auto_scale_lr = dict(enable=False, base_batch_size=2)
