"""mmext.datasets.transforms."""

__all__ = []
