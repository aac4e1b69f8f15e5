"""mmext.structures."""

from .ciou import bbox_ciou
from .gaussian import gaussian_similarity, gjsd, gwd, kld, rbox_to_gaussian
from .ltrb_giou import ltrb_giou
from .rotated_iou import rotated_box_iou

__all__ = [
    'bbox_ciou', 'gaussian_similarity', 'gjsd', 'gwd', 'kld', 'ltrb_giou', 'rbox_to_gaussian',
    'rotated_box_iou'
]
