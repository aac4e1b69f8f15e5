# DCFL ReResNet-101 + ReFPN 40e on DIOR-R as the released code runs it: the official
# configs/dcfl/diorr_dcfl_rer101_40e.py (K=15, Q=13, g=0.6, 800 px, so the released prior-shift
# scale is 800/1024 of the paper's) with the released head (DCFLHead official=True) and assigner
# (DCFLAssigner official=True). The released file passes `inside_circle='dgmm'`, which its
# assigner rejects; the DGMM is on here, as in the other released configs.
_base_ = './dcfl-le135_rer101_refpn_40e_dior.py'
model = dict(
    bbox_head=dict(official=True),
    train_cfg=dict(assigner=dict(official=True, gauss_thr=0.6)))
