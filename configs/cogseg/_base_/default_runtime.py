# mmseg's default runtime with mmext registered (configs/_base_/mmseg_runtime.py), logged by epoch.
_base_ = '../../_base_/mmseg_runtime.py'
log_processor = dict(by_epoch=True)
