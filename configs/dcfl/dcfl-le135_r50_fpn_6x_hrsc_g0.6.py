# DCFL R50-FPN on HRSC2016 with the official g=0.6: Table 5 (DCFL, 85.1), Table 8 (g=0.6) and
# the base of Tables 6 and 7 (their GJSD / Q=12 rows repeat its 85.1).
_base_ = './dcfl-le135_r50_fpn_6x_hrsc.py'
model = dict(train_cfg=dict(assigner=dict(gauss_thr=0.6)))
