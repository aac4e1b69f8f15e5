# MMMC (arXiv 2112.08902) Table 7: ResNet-101, 2x (180k iterations) multi-scale training, COCO
# test-dev. The paper's numbers are test-dev (the baselines' from their own papers); the configs
# evaluate val2017 (for test-dev: mmmc_r101-caffe_fpn_gn-head_ms-480-960-2x_coco-test-dev.py and
# the evaluation server). Methods mmdet 3.1 does not ship have no config.
_base_ = ['./_base_/synthetic.py']
title = 'Table 7: comparison with the state of the art, ResNet-101 (COCO test-dev)'
metrics = [
    dict(name='AP', key='coco/bbox_mAP', scale=100),
    dict(name='AP50', key='coco/bbox_mAP_50', scale=100),
    dict(name='AP75', key='coco/bbox_mAP_75', scale=100),
    dict(name='APS', key='coco/bbox_mAP_s', scale=100),
    dict(name='APM', key='coco/bbox_mAP_m', scale=100),
    dict(name='APL', key='coco/bbox_mAP_l', scale=100),
]
_dir = 'configs/mmmc/baselines/'
rows = [
    dict(label='FCOS', config=_dir + 'fcos_r101-caffe_fpn_gn-head_ms-640-800-2x_coco.py',
         paper=dict(AP=41.5, AP50=60.7, AP75=45.0, APS=24.4, APM=44.8, APL=51.6)),
    dict(label='F.Anchor', config=_dir + 'freeanchor_r101_fpn_ms-640-800-2x_coco.py',
         paper=dict(AP=41.8, AP50=61.1, AP75=44.9, APS=23.4, APM=44.9, APL=52.9)),
    dict(label='SAPD', config=None, note='not in mmdet 3.1',
         paper=dict(AP=43.1, AP50=62.2, AP75=46.4, APS=24.5, APM=46.1, APL=54.8)),
    dict(label='MAL', config=None, note='not in mmdet 3.1',
         paper=dict(AP=43.6, AP50=61.8, AP75=47.1, APS=25.0, APM=46.9, APL=55.8)),
    dict(label='ATSS', config=_dir + 'atss_r101_fpn_ms-640-800-2x_coco.py',
         paper=dict(AP=43.6, AP50=62.1, AP75=47.4, APS=26.1, APM=47.0, APL=53.6)),
    dict(label='GFL', config=_dir + 'gfl_r101_fpn_ms-2x_coco.py',
         paper=dict(AP=45.0, AP50=63.7, AP75=48.9, APS=27.2, APM=48.8, APL=54.5)),
    dict(label='PAA', config=_dir + 'paa_r101_fpn_ms-640-800-2x_coco.py',
         paper=dict(AP=44.8, AP50=63.3, AP75=48.7, APS=26.5, APM=48.8, APL=56.3)),
    dict(label='IQ-DET', config=None, note='not in mmdet 3.1',
         paper=dict(AP=45.1, AP50=63.4, AP75=49.3, APS=26.7, APM=48.5, APL=56.5)),
    dict(label='OTA', config=None, note='not in mmdet 3.1 (YOLOX has SimOTA, a different method)',
         paper=dict(AP=45.3, AP50=63.5, AP75=49.3, APS=26.9, APM=48.8, APL=56.1)),
    dict(label='MMMC (ours)',
         config='configs/mmmc/mmmc_r101-caffe_fpn_gn-head_ms-480-960-2x_coco.py',
         paper=dict(AP=45.7, AP50=64.0, AP75=49.8, APS=27.6, APM=49.2, APL=56.8)),
]
