# MMMC (arXiv 2112.08902) Table 3: the tower position of RFA's two deformable convs (the same
# position in both branches). The paper does not state the rest of the model; here the rows are
# RFA + GIoU quality with FCOS assignment (Table 2's "RFA" row, 40.5 AP, is position 1).
_base_ = ['./_base_/synthetic.py']
title = 'Table 3: plug-in position of RFA (COCO val2017)'
metrics = [
    dict(name='AP', key='coco/bbox_mAP', scale=100),
    dict(name='AP50', key='coco/bbox_mAP_50', scale=100),
    dict(name='AP75', key='coco/bbox_mAP_75', scale=100),
]
rows = [
    dict(label='Position 1', config='configs/mmmc/mmmc-rfa_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=39.8, AP50=58.4, AP75=43.2)),
    dict(label='Position 2', config='configs/mmmc/mmmc-rfa-pos2_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=39.8, AP50=58.3, AP75=42.9)),
    dict(label='Position 3', config='configs/mmmc/mmmc-rfa-pos3_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=39.8, AP50=57.8, AP75=43.0)),
    dict(label='Position 4', config='configs/mmmc/mmmc-rfa-pos4_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=39.9, AP50=58.2, AP75=43.3)),
]
