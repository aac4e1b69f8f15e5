"""mmext.structures."""

__all__ = []
