"""mmext.utils: compatibility fixes for the supported OpenMMLab stacks (pinned, onedl)."""
from .compat import CHECKPOINT_SAFE_GLOBALS, apply_all, installed_stack, strict_torch_load  # noqa: F401

__all__ = ['apply_all', 'CHECKPOINT_SAFE_GLOBALS', 'installed_stack', 'strict_torch_load']
