# Table 6, row "Scale" (40.8 AP): RFA + APS's scale step only; all candidates of the two chosen
# levels (the K cheapest in-box points of each) are positives, no score / GMM split.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(train_cfg=dict(assigner=dict(use_spatial=False)))
