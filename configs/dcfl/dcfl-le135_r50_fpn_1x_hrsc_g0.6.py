# Table 5 (DCFL, 85.1) with the 1x schedule: dcfl-le135_r50_fpn_1x_hrsc.py at the official g=0.6
# (the reproduction's DCFL runs used g=0.6).
_base_ = './dcfl-le135_r50_fpn_1x_hrsc.py'
model = dict(train_cfg=dict(assigner=dict(gauss_thr=0.6)))
