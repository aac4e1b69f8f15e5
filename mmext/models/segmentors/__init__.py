"""mmext.models.segmentors."""

__all__ = []
