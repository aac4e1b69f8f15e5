# mmseg's default runtime with mmext registered (configs/_base_/mmseg_runtime.py), logged by epoch,
# seeded (`--cfg-options randomness.seed=S` for another seed; the paper gives none).
_base_ = '../../_base_/mmseg_runtime.py'
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
