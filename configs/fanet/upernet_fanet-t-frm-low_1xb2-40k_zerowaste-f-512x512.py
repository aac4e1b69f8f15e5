# Table 2, row 4: baseline + FRM low-frequency branch (S = F * Q) only.
# The backbone is pre-trained on ImageNet-1k with the same switches (paper Sec. 4.5):
# configs/fanet/fanet-t-frm-low_16xb80_in1k.py, its last checkpoint copied to the path below.
_base_ = './upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py'
model = dict(
    backbone=dict(
        afe_cfg=dict(use_scm=False, use_frm_high=False, use_frm_low=True),
        init_cfg=dict(checkpoint='checkpoints/fanet-t-frm-low_in1k.pth')))
