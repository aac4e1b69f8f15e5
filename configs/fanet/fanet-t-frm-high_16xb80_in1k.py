# ImageNet-1k pre-training of the Table 2, row 3 backbone with the recipe of
# fanet-t_16xb80_in1k.py: baseline + FRM high-frequency branch (R = F - Q) only.
_base_ = './fanet-t_16xb80_in1k.py'
model = dict(backbone=dict(afe_cfg=dict(use_scm=False, use_frm_high=True, use_frm_low=False)))
