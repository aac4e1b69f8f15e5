# The upstream baselines on the synthetic sets: a table runner example.
# python tools/run_table.py configs/baselines/tables/synthetic.py --synthetic
# No paper numbers: these rows check the stack end to end.
title = 'Baselines on the synthetic sets'
metrics = [
    dict(name='DOTA mAP', key='dota/mAP', scale=100),
    dict(name='COCO bbox mAP', key='coco/bbox_mAP', scale=100),
    dict(name='mIoU', key='mIoU', scale=1),
]
rows = [
    dict(label='Rotated RetinaNet R18 (mmrotate)',
         config='configs/baselines/rotated-retinanet-rbox-le90_r18_fpn_synthetic-dota.py'),
    dict(label='FCOS R18 (mmdet)', config='configs/baselines/fcos_r18_fpn_gn-head_synthetic-coco.py'),
    dict(label='UperNet R18 (mmseg)', config='configs/baselines/upernet_r18_synthetic-seg.py'),
]
synthetic = []  # the configs already point at data/synthetic/
synthetic_data = ['dota', 'coco', 'seg']
