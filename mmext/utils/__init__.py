"""mmext.utils: compatibility fixes for the pinned stack."""
from .compat import CHECKPOINT_SAFE_GLOBALS, apply_all  # noqa: F401

__all__ = ['apply_all', 'CHECKPOINT_SAFE_GLOBALS']
