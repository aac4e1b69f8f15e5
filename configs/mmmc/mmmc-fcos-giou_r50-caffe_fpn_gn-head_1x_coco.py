# Table 2, row "FCOS" (39.4 AP): FCOS with the GIoU quality branch instead of centerness;
# no RFA, FCOS assignment.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(bbox_head=dict(rfa_position=None), train_cfg=None)
