# ImageNet-1k pre-training of the Table 2, row 2 backbone with the recipe of
# fanet-t_16xb80_in1k.py: baseline + SCM.
_base_ = './fanet-t_16xb80_in1k.py'
model = dict(backbone=dict(afe_cfg=dict(use_scm=True, use_frm_high=False, use_frm_low=False)))
