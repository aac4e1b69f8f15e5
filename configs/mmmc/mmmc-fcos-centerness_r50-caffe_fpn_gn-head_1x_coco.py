# Table 2, row "FCOS*" (38.6 AP): FCOS with its centerness branch; no RFA, FCOS assignment
# (center sampling, regress ranges), score cls * centerness.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(
    bbox_head=dict(rfa_position=None, quality='centerness', score_fusion='product'),
    train_cfg=None)
