# Table 1, row "GWD, g=0.8 (DCFL paper, 58.6)": GWD instead of GJSD for the coarse candidates
# (CPS), on DOTA-v2.0. Similarity 1/(1+sqrt(W2)) (mmext's normalisation: the released code has
# no GWD mode and the paper does not give one); other settings as the base.
_base_ = './dcfl-le135_r50_fpn_1x_dotav2.py'
model = dict(train_cfg=dict(assigner=dict(measure='gwd')))
