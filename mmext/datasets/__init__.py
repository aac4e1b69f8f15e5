"""mmext.datasets: dataset classes, transforms and the synthetic-data generators."""
from .transforms import *  # noqa: F401,F403
from .synthetic import GENERATORS, generate, register_generator  # noqa: F401
from .zerowaste import ZeroWasteDataset  # noqa: F401
