"""mmext.datasets: dataset classes, transforms and the synthetic-data generators."""
from .transforms import *  # noqa: F401,F403
from .synthetic import GENERATORS, generate, register_generator  # noqa: F401
from .medseg_covid_dataset import MedSegCOVIDDataset  # noqa: F401
from .zerowaste import ZeroWasteDataset  # noqa: F401
from .road_asset_dataset import RoadAssetDataset, RoadAssetInsSegDataset  # noqa: F401
