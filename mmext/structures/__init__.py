"""mmext.structures."""

from .gaussian import gaussian_similarity, gjsd, gwd, kld, rbox_to_gaussian
from .rotated_iou import rotated_box_iou

__all__ = ['gaussian_similarity', 'gjsd', 'gwd', 'kld', 'rbox_to_gaussian', 'rotated_box_iou']
