# Table 3 (the reproduction's K/Q ablation, run at the official g=0.6), row K=16, Q=10.
_base_ = './dcfl-le135_r50_fpn_1x_dotav2_g0.6.py'
model = dict(train_cfg=dict(assigner=dict(topk=16, topq=10)))
