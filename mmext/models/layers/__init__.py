"""mmext.models.layers."""

from .frm import FeatureRefinementModule
from .c2f import C2f, C2fBottleneck
from .sppf import SPPF

__all__ = ['FeatureRefinementModule', 'C2f', 'C2fBottleneck', 'SPPF']
