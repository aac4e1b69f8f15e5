# Table 6, row "Spatial" (41.0 AP): RFA + APS's spatial step only; FCOS's regress ranges decide
# the levels (the K cheapest in-range in-box points of every level are the candidates), then the
# score + GMM split.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(train_cfg=dict(assigner=dict(use_scale=False)))
