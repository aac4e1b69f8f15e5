# Table 1, row "GWD, g=0.6 (reproduction, 57.7)": GWD instead of GJSD for the coarse candidates
# (CPS) on DOTA-v2.0, on the reproduction's g=0.6 base. Similarity 1/(1+sqrt(W2)) (mmext's
# normalisation; the released code has no GWD mode).
_base_ = './dcfl-le135_r50_fpn_1x_dotav2_g0.6.py'
model = dict(train_cfg=dict(assigner=dict(measure='gwd')))
