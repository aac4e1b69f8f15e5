# MMMC (arXiv 2112.08902) Table 6: APS's scale and spatial steps, each alone and together, on the
# model with RFA (row 1 = Table 2's "RFA" row, row 4 = the full MMMC).
_base_ = ['./_base_/synthetic.py']
title = 'Table 6: scale and spatial assignment (COCO val2017)'
metrics = [
    dict(name='AP', key='coco/bbox_mAP', scale=100),
    dict(name='AP50', key='coco/bbox_mAP_50', scale=100),
    dict(name='AP75', key='coco/bbox_mAP_75', scale=100),
]
rows = [
    dict(label='neither (FCOS assignment)',
         config='configs/mmmc/mmmc-rfa_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=40.5, AP50=58.0, AP75=44.3)),
    dict(label='scale only', config='configs/mmmc/mmmc-scale-only_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=40.8, AP50=58.9, AP75=44.2)),
    dict(label='spatial only',
         config='configs/mmmc/mmmc-spatial-only_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=41.0, AP50=58.8, AP75=45.0)),
    dict(label='scale + spatial', config='configs/mmmc/mmmc_r50-caffe_fpn_gn-head_1x_coco.py',
         paper=dict(AP=41.7, AP50=59.3, AP75=45.1)),
]
