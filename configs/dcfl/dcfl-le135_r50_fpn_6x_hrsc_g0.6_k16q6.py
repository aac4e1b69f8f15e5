# Table 7, row K=16, Q=6, on HRSC2016 (g=0.6 base).
_base_ = './dcfl-le135_r50_fpn_6x_hrsc_g0.6.py'
model = dict(train_cfg=dict(assigner=dict(topk=16, topq=6)))
