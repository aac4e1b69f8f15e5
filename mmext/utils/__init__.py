"""mmext.utils: compatibility fixes for the pinned stack and small shared helpers."""
from .compat import CHECKPOINT_SAFE_GLOBALS, apply_all  # noqa: F401
from .tool_loader import PROJECT_ROOT, load_tool  # noqa: F401

__all__ = ['apply_all', 'CHECKPOINT_SAFE_GLOBALS', 'load_tool', 'PROJECT_ROOT']
