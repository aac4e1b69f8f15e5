# Table 1, row "KLD, g=0.8 (DCFL paper, 57.8)": KLD instead of GJSD for the coarse candidates
# (CPS), on DOTA-v2.0. Similarity 1/(1+sqrt(KLD)) (mmext's normalisation: the released code has
# no KLD mode and the paper does not give one); other settings as the base.
_base_ = './dcfl-le135_r50_fpn_1x_dotav2.py'
model = dict(train_cfg=dict(assigner=dict(measure='kld')))
