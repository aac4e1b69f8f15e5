# Table 2, row "MMMC, RFA" (40.5 AP), = Table 6, row 1 and Table 3, position 1: RFA + GIoU
# quality, FCOS assignment (no APS).
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(train_cfg=None)
