# DCFL R50-FPN on HRSC2016 with the released head (DCFLHead official=True) and assigner
# (DCFLAssigner official=True). The released code has no HRSC2016 config: g=0.6 as in every
# released config; data and schedule as dcfl-le135_r50_fpn_6x_hrsc.py (mmext's choice).
_base_ = './dcfl-le135_r50_fpn_6x_hrsc.py'
model = dict(
    bbox_head=dict(official=True),
    train_cfg=dict(assigner=dict(official=True, gauss_thr=0.6)))
