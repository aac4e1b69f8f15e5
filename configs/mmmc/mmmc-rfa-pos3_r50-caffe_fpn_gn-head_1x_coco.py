# Table 3, position 3 (39.8 AP): RFA at tower conv 3 of both branches, FCOS assignment (no APS).
# Position 1 is mmmc-rfa_r50-caffe_fpn_gn-head_1x_coco.py.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(bbox_head=dict(rfa_position=3), train_cfg=None)
