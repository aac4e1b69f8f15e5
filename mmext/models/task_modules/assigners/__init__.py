"""mmext.models.task_modules.assigners."""
from .aps_assigner import APSAssigner
from .dcfl_assigner import DCFLAssigner
from .yolov8_task_aligned_assigner import YOLOv8TaskAlignedAssigner

__all__ = ['APSAssigner', 'DCFLAssigner', 'YOLOv8TaskAlignedAssigner']
