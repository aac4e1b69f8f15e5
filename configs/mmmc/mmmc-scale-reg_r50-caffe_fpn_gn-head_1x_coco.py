# Table 1, row "Reg_loss" (37.2 AP): APS chooses each instance's two levels by the mean reg loss
# of their candidates instead of the combined loss (row "Comb_loss" is
# mmmc_r50-caffe_fpn_gn-head_1x_coco.py).
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(train_cfg=dict(assigner=dict(scale_standard='reg')))
