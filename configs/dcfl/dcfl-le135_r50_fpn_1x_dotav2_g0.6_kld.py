# Table 1, row "KLD, g=0.6 (reproduction, 50.6)": KLD instead of GJSD for the coarse candidates
# (CPS) on DOTA-v2.0, on the reproduction's g=0.6 base. Similarity 1/(1+sqrt(KLD)) (mmext's
# normalisation; the released code has no KLD mode).
_base_ = './dcfl-le135_r50_fpn_1x_dotav2_g0.6.py'
model = dict(train_cfg=dict(assigner=dict(measure='kld')))
