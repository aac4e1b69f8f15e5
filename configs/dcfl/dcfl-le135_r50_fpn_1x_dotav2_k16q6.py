# Table 2 (the DCFL paper's K/Q ablation), row K=16, Q=6, on DOTA-v2.0 (g=0.8 base).
_base_ = './dcfl-le135_r50_fpn_1x_dotav2.py'
model = dict(train_cfg=dict(assigner=dict(topk=16, topq=6)))
