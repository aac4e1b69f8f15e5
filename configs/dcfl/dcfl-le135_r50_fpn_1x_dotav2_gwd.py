# Table 1, row "GWD": GWD instead of GJSD for the coarse candidates (CPS), on DOTA-v2.0.
# Similarity 1/(1+sqrt(GWD)) as the official research-era metric; other settings as the base.
_base_ = './dcfl-le135_r50_fpn_1x_dotav2.py'
model = dict(train_cfg=dict(assigner=dict(measure='gwd')))
