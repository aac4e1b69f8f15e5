"""mmext.models.losses."""
from .edge_rmi_loss import EdgeRMILoss
from .rmi_loss import RMILoss
from .refined_quality_focal_loss import RefinedQualityFocalLoss
from .rotated_iou_loss import RotatedIoULoss
from .yolov8_ciou_loss import YOLOv8CIoULoss

__all__ = ['EdgeRMILoss', 'RMILoss', 'RefinedQualityFocalLoss', 'RotatedIoULoss',
           'YOLOv8CIoULoss']
