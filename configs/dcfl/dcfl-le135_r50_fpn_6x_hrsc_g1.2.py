# Table 8, row g=1.2, on HRSC2016.
_base_ = './dcfl-le135_r50_fpn_6x_hrsc.py'
model = dict(train_cfg=dict(assigner=dict(gauss_thr=1.2)))
