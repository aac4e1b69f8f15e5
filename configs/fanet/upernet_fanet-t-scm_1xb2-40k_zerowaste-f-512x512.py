# Table 2, row 2: baseline + SCM.
# The backbone is pre-trained on ImageNet-1k with the same switches (paper Sec. 4.5):
# configs/fanet/fanet-t-scm_16xb80_in1k.py, its last checkpoint copied to the path below.
_base_ = './upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py'
model = dict(
    backbone=dict(
        afe_cfg=dict(use_scm=True, use_frm_high=False, use_frm_low=False),
        init_cfg=dict(checkpoint='checkpoints/fanet-t-scm_in1k.pth')))
