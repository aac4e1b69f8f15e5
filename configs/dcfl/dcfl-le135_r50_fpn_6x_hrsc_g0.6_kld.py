# Table 6, row "KLD": KLD instead of GJSD for the coarse candidates, on HRSC2016 (g=0.6 base).
_base_ = './dcfl-le135_r50_fpn_6x_hrsc_g0.6.py'
model = dict(train_cfg=dict(assigner=dict(measure='kld')))
