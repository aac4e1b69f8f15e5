"""mmext.models.losses."""

__all__ = []
