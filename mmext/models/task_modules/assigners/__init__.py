"""mmext.models.task_modules.assigners."""
from .aps_assigner import APSAssigner
from .dcfl_assigner import DCFLAssigner
from .gaussian_topk import GaussianTopK
from .yolov8_task_aligned_assigner import YOLOv8TaskAlignedAssigner

__all__ = ['APSAssigner', 'DCFLAssigner', 'GaussianTopK', 'YOLOv8TaskAlignedAssigner']
