"""mmext.models.task_modules.assigners."""

__all__ = []
