"""mmext.models.necks."""

__all__ = []
