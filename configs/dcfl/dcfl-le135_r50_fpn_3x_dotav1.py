# DCFL R50-FPN 3x on DOTA-v1.0, trainval -> test-dev (the official dotav1_test_dcfl_r50_3x.py:
# dilation 4, 36 epochs), with the paper's K=16, Q=12, g=0.8 (the official config: g=0.6).
# tools/test.py writes the Task1 submission for the DOTA evaluation server.
_base_ = [
    './_base_/dcfl-le135_r50_fpn.py', 'mmrotate::_base_/datasets/dota.py',
    'mmrotate::_base_/schedules/schedule_3x.py', '../_base_/mmrotate_runtime.py'
]
model = dict(bbox_head=dict(num_classes=15, dilation=4))

# no validation split: the official runs train on trainval and are scored by the server
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        ann_file='',
        data_prefix=dict(img_path='test/images/'),
        img_shape=(1024, 1024),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_evaluator = dict(
    type='DOTAMetric',
    format_only=True,
    merge_patches=True,
    outfile_prefix='./work_dirs/dcfl_dotav1_test/Task1')
default_hooks = dict(checkpoint=dict(interval=4))
# the official runs: 2 images per iteration (tools/train.py --auto-scale-lr scales the lr)
auto_scale_lr = dict(enable=False, base_batch_size=2)
