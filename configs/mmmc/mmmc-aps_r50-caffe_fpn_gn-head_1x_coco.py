# Table 2, row "MMMC, APS" (40.2 AP): APS + GIoU quality, no RFA.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(bbox_head=dict(rfa_position=None))
