"""mmext.models.utils."""
from .batched_gmm import GMM1DResult, batched_gmm_1d
from .letterbox import unpadded_shape

__all__ = ['GMM1DResult', 'batched_gmm_1d', 'unpadded_shape']
