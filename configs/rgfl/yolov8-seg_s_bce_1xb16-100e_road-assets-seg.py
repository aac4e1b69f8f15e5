# YOLOv8-s-seg baseline: YOLOv8's plain losses (BCE classification on the task-aligned scores,
# BCE masks) instead of the refined GFL; everything else as the refined-GFL seg config.
_base_ = './yolov8-seg_s_rgfl_1xb16-100e_road-assets-seg.py'

model = dict(
    bbox_head=dict(
        cls_target='assigned',
        loss_cls=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=True,
                      reduction='mean', loss_weight=0.5),
        monitor_cls=dict(_delete_=True, cls_qfl=dict(type='RefinedQualityFocalLoss', beta=2.0,
                                                      reduction='mean', loss_weight=0.5)),
        loss_mask=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=True,
                       reduction='mean', loss_weight=7.5)))
