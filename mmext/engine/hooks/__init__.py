"""mmext.engine.hooks."""

__all__ = []
