"""mmext.models.utils."""

__all__ = []
