# Table 1, row "Comb_loss" (38.6 AP): plain FCOS (centerness branch, no RFA; Table 2's "FCOS*")
# whose level assignment is APS's scale step alone: each instance is assigned to the two FPN levels
# with the lowest mean combined loss of their K = 9 cheapest in-box points, and those points are
# its positives (no spatial step). Table 1 comes before RFA and APS in the paper and studies FCOS.
_base_ = './mmmc-fcos-centerness_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(
    train_cfg=dict(  # the base (FCOS targets) has train_cfg=None
        _delete_=True,
        assigner=dict(type='APSAssigner', scale_standard='comb', use_spatial=False)))
