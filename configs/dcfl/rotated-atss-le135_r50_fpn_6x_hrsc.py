# Baseline (Table 5, atss_le135): the HRSC2016 Rotated RetinaNet le135 baseline with the head and
# assigner of mmrotate's rotated-atss-le90_r50_fpn_1x_dota.py (one anchor per location, ATSS
# top-9, rotated IoU loss x2 weighted by centerness, centerness loss). mmext's choice: the study
# does not say how its ATSS baseline was built, nor its schedule (1x variant:
# rotated-atss-le135_r50_fpn_1x_hrsc.py).
_base_ = './rotated-retinanet-rbox-le135_r50_fpn_6x_hrsc.py'
model = dict(
    bbox_head=dict(
        type='RotatedATSSHead',
        anchor_generator=dict(scales_per_octave=1, ratios=[1.0]),
        loss_bbox=dict(_delete_=True, type='RotatedIoULoss', mode='linear', loss_weight=2.0),
        loss_centerness=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True,
                             loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(_delete_=True, type='RotatedATSSAssigner', topk=9,
                      iou_calculator=dict(type='RBboxOverlaps2D'))))
