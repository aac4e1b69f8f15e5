"""mmext.models.task_modules."""
from .assigners import *  # noqa: F401,F403
