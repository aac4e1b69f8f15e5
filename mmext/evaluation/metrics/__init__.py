"""mmext.evaluation.metrics."""

__all__ = []
