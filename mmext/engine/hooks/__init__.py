"""mmext.engine.hooks."""
from .loss_gap_hook import LossGapHook
from .yolov8_close_mosaic_hook import YOLOv8CloseMosaicHook
from .img_scale_hook import ImgScaleHook
from .class_names_check_hook import ClassNamesCheckHook

__all__ = ['LossGapHook', 'YOLOv8CloseMosaicHook', 'ImgScaleHook', 'ClassNamesCheckHook']
