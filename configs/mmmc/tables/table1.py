# MMMC (arXiv 2112.08902) Table 1: the standard by which APS chooses an instance's two FPN levels.
# Table 1 comes before RFA and APS in the paper and studies FCOS: each row is plain FCOS (centerness
# branch, no RFA) whose level assignment is APS's scale step alone, with the standard that ranks
# the levels changed (mean classification, regression or combined loss of the K = 9 cheapest
# in-box points); no spatial step.
_base_ = ['./_base_/synthetic.py']
title = 'Table 1: scale assignment standards (COCO val2017)'
metrics = [
    dict(name='AP', key='coco/bbox_mAP', scale=100),
    dict(name='AP50', key='coco/bbox_mAP_50', scale=100),
    dict(name='AP75', key='coco/bbox_mAP_75', scale=100),
]
rows = [
    dict(label='Cls_loss', config='configs/mmmc/mmmc-fcos-scale-cls_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=36.7, AP50=56.9, AP75=39.1)),
    dict(label='Reg_loss', config='configs/mmmc/mmmc-fcos-scale-reg_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=37.2, AP50=55.8, AP75=40.1)),
    dict(label='Comb_loss', config='configs/mmmc/mmmc-fcos-scale-comb_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=38.6, AP50=57.5, AP75=41.6)),
]
