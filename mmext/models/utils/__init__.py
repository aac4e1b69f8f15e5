"""mmext.models.utils."""
from .batched_gmm import GMM1DResult, batched_gmm_1d

__all__ = ['GMM1DResult', 'batched_gmm_1d']
