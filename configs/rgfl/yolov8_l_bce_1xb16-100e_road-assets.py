# YOLOv8-l baseline: the plain YOLOv8 classification loss (BCE on the task-aligned soft
# scores) instead of the refined GFL; everything else as yolov8_l_rgfl_1xb16-100e_road-assets.py.
_base_ = './yolov8_l_rgfl_1xb16-100e_road-assets.py'

model = dict(
    bbox_head=dict(
        cls_target='assigned',
        loss_cls=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=True,
                      reduction='mean', loss_weight=0.5),
        # logged only: the refined GFL's QFL on the same logits and targets (loss scale)
        monitor_cls=dict(_delete_=True, cls_qfl=dict(type='RefinedQualityFocalLoss', beta=2.0,
                                                      reduction='mean', loss_weight=0.5))))
