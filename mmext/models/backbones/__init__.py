"""mmext.models.backbones."""

from .fanet import FANet
from .focalnet import FocalNet
from .lsknet import LSKNet
from .attention_unet import AttentionUNet
from .unet_plus_plus import UNetPlusPlus
from .yolov8_csp_darknet import YOLOv8CSPDarknet

__all__ = ['FANet', 'FocalNet', 'LSKNet', 'AttentionUNet', 'UNetPlusPlus', 'YOLOv8CSPDarknet']
