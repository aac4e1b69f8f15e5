# The released config's schedule (techmn/fanet uper_fanet_tiny_zerowaste_40k.py) instead of the
# paper's: mmcv-1.x poly with power 0.95 and min_lr 1e-7, times a linear warmup from 1e-6 over
# the first 1500 iterations (both from iteration 0, as mmcv 1.x computed them).
_base_ = './upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py'
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', power=0.95, eta_min=1e-7, begin=0, end=40000, by_epoch=False)
]
