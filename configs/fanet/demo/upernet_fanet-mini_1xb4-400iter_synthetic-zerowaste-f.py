# A reduced-width FANet (channels 32-256, 1/1/2/1 blocks, every AFE part kept) + UperNet on the
# synthetic ZeroWaste-f set (python tools/misc/generate_synthetic_data.py zerowaste
# data/synthetic/zerowaste): trains from scratch in about a minute on 2 CPU cores. Everything
# else is the paper's config (configs/fanet/upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py):
# same data layout, dataset class, UperNet + FCN heads, AdamW and poly decay, BN; the learning
# rate is higher (2e-3) because there is no ImageNet initialisation and only 400 iterations.
_base_ = ['../upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py']
data_root = 'data/synthetic/zerowaste/'
img_size = (108, 192)  # (H, W) of the synthetic frames
model = dict(
    data_preprocessor=dict(size=img_size, test_cfg=None),
    backbone=dict(
        _delete_=True,
        type='FANet',
        arch=dict(embed_dims=[32, 64, 128, 256], depths=[1, 1, 2, 1],
                  ce_kernel_sizes=[5, 5, 3, 3]),
        drop_path_rate=0.0,
        out_indices=(0, 1, 2, 3)),
    decode_head=dict(in_channels=[32, 64, 128, 256], channels=64, pool_scales=(1, 2, 3)),
    auxiliary_head=dict(in_channels=128, channels=32))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=2e-3, weight_decay=1e-2))
max_iters = 400
param_scheduler = [
    dict(type='PolyLR', power=1.0, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, save_best=None))
randomness = dict(seed=0)
