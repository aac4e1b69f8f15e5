# Table 3, position 2 (39.8 AP): RFA at tower conv 2 of both branches, FCOS assignment (no APS).
# Position 1 is mmmc-rfa_r50-caffe_fpn_gn-head_1x_coco.py.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(bbox_head=dict(rfa_position=2), train_cfg=None)
