# make demo: the upstream baselines on the synthetic sets.
entries = [
    dict(method='Rotated RetinaNet R18', dataset='synthetic DOTA', data='dota',
         config='configs/baselines/rotated-retinanet-rbox-le90_r18_fpn_synthetic-dota.py',
         metric='dota/mAP'),
    dict(method='FCOS R18', dataset='synthetic COCO', data='coco',
         config='configs/baselines/fcos_r18_fpn_gn-head_synthetic-coco.py', metric='coco/bbox_mAP'),
    dict(method='UperNet R18', dataset='synthetic seg', data='seg',
         config='configs/baselines/upernet_r18_synthetic-seg.py', metric='mIoU'),
]
