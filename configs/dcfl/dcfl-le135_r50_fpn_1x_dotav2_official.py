# DCFL R50-FPN 1x on DOTA-v2.0 train -> val as the released code runs it: the official
# configs/dcfl/dotav2_val_dcfl_r50_1x.py of Chasel-Tsui/mmrotate-dcfl (K=16, Q=12, g=0.6, GJSD,
# negative threshold 0.8) with the released head (DCFLHead official=True) and assigner
# (DCFLAssigner official=True). The paper's reading is dcfl-le135_r50_fpn_1x_dotav2.py.
_base_ = './dcfl-le135_r50_fpn_1x_dotav2.py'
model = dict(
    bbox_head=dict(official=True),
    train_cfg=dict(assigner=dict(official=True, gauss_thr=0.6)))
