"""mmext.models.segmentors."""
from .cogseg_segmentor import CogSegSegmentor

__all__ = ['CogSegSegmentor']
