"""mmext.models.dense_heads."""
from .dcfl_head import DCFLHead
from .rfa_fcos_head import RFAFCOSHead
from .yolov8_head import YOLOv8Head
from .yolov8_ins_head import YOLOv8InsHead

__all__ = ['DCFLHead', 'RFAFCOSHead', 'YOLOv8Head', 'YOLOv8InsHead']
