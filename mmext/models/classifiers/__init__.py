"""mmext.models.classifiers."""

__all__ = []
