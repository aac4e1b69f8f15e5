"""mmext.models.dense_heads."""

__all__ = []
