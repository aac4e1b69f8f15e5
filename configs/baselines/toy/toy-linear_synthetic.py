# A toy linear regression run that exercises the training machinery (checkpoints, resume,
# distributed training) in seconds: tools/dist_train.sh configs/baselines/toy/toy-linear_synthetic.py 2
default_scope = 'mmdet'
custom_imports = dict(imports=['mmext', 'mmext.testing.toy'], allow_failed_imports=False)

model = dict(type='ToyLinearRegressor', in_features=4)
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyRegressionDataset', size=32, seed=0))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyRegressionDataset', size=16, seed=1))
test_dataloader = val_dataloader
val_evaluator = dict(type='ToyMSEMetric')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[1], gamma=0.5)]

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=4),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))  # nccl becomes gloo on machines without CUDA
randomness = dict(seed=0)
log_level = 'INFO'
load_from = None
resume = False
