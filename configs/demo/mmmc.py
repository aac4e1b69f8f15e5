# `make demo` entries for MMMC (arXiv 2112.08902).
entries = [
    dict(method='MMMC', dataset='synthetic COCO', data='coco',
         config='configs/mmmc/demo/mmmc_r18_fpn_gn-head_synthetic-coco.py', metric='coco/bbox_mAP'),
]
