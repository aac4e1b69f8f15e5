# MMMC (arXiv 2112.08902) Table 1: the standard by which APS chooses an instance's two FPN levels.
# The paper does not say on which model Table 1 was run (its Comb_loss row, 38.6 AP, matches no
# Table 2 / Table 6 row); here the three rows are the full MMMC model with only the standard
# changed.
_base_ = ['./_base_/synthetic.py']
title = 'Table 1: scale assignment standards (COCO val2017)'
metrics = [
    dict(name='AP', key='coco/bbox_mAP', scale=100),
    dict(name='AP50', key='coco/bbox_mAP_50', scale=100),
    dict(name='AP75', key='coco/bbox_mAP_75', scale=100),
]
rows = [
    dict(label='Cls_loss', config='configs/mmmc/mmmc-scale-cls_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=36.7, AP50=56.9, AP75=39.1)),
    dict(label='Reg_loss', config='configs/mmmc/mmmc-scale-reg_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=37.2, AP50=55.8, AP75=40.1)),
    dict(label='Comb_loss', config='configs/mmmc/mmmc_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=38.6, AP50=57.5, AP75=41.6)),
]
