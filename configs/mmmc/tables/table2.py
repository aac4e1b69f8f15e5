# MMMC (arXiv 2112.08902) Table 2: RFA and APS added to FCOS (ResNet-50 FPN, 1x). "*": centerness
# branch; the other rows predict GIoU. FPS is the paper's (V100-class GPU), not a metric here.
_base_ = ['./_base_/synthetic.py']
title = 'Table 2: RFA and APS ablation (COCO val2017)'
metrics = [
    dict(name='AP', key='coco/bbox_mAP', scale=100),
    dict(name='AP50', key='coco/bbox_mAP_50', scale=100),
    dict(name='AP75', key='coco/bbox_mAP_75', scale=100),
]
rows = [
    dict(label='FCOS*', config='configs/mmmc/mmmc-fcos-centerness_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=38.6, AP50=57.2, AP75=41.9)),
    dict(label='FCOS', config='configs/mmmc/mmmc-fcos-giou_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=39.4, AP50=57.3, AP75=42.7)),
    dict(label='MMMC: RFA', config='configs/mmmc/mmmc-rfa_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=40.5, AP50=58.0, AP75=44.3)),
    dict(label='MMMC: APS', config='configs/mmmc/mmmc-aps_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=40.2, AP50=58.2, AP75=43.1)),
    dict(label='MMMC: RFA + APS', config='configs/mmmc/mmmc_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=41.7, AP50=59.3, AP75=45.1)),
]
