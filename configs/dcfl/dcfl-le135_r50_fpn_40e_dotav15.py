# DCFL R50-FPN 40e on DOTA-v1.5, trainval -> test-dev (the official
# dotav1.5_test_dcfl_r50_40e.py), with the paper's K=16, Q=12, g=0.8 (official: g=0.6).
# tools/test.py writes the Task1 submission for the DOTA evaluation server.
_base_ = './dcfl-le135_r50_fpn_3x_dotav1.py'
dataset_type = 'DOTAv15Dataset'
data_root = 'data/split_ss_dota1_5/'
model = dict(bbox_head=dict(num_classes=16, dilation=3))
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_evaluator = dict(outfile_prefix='./work_dirs/dcfl_dotav15_test/Task1')

# 40 epochs (mmrotate's schedule_40e: steps at 24, 32, 38)
train_cfg = dict(max_epochs=40)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=40, by_epoch=True, milestones=[24, 32, 38], gamma=0.1)
]
