"""mmext.models.layers."""

from .frm import FeatureRefinementModule
from .afe_block import AFE, AFEBlock, ConvMLP
from .c2f import C2f, C2fBottleneck
from .sppf import SPPF

__all__ = ['FeatureRefinementModule', 'AFEBlock', 'AFE', 'ConvMLP', 'C2f', 'C2fBottleneck',
           'SPPF']
