"""mmext.models.necks."""

from .yolov8_pafpn import YOLOv8PAFPN

__all__ = ['YOLOv8PAFPN']
