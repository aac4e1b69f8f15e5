"""mmext.models.layers."""

from .frm import FeatureRefinementModule

__all__ = ['FeatureRefinementModule']
