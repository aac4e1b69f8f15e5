"""mmext.models.utils."""
from .batched_gmm import GMM1DResult, batched_gmm_1d
from .letterbox import unpadded_shape
from .negative_class_loss import negative_class_loss_sum

__all__ = ['GMM1DResult', 'batched_gmm_1d', 'negative_class_loss_sum', 'unpadded_shape']
