"""mmext.models.backbones."""

from .fanet import FANet
from .focalnet import FocalNet

__all__ = ['FANet', 'FocalNet']
