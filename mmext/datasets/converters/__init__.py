"""mmext.datasets.converters: reusable dataset-conversion logic (the tools/dataset_converters/
scripts are argument parsing over these functions)."""
from .yolo2coco import convert_yolo_dataset  # noqa: F401
from .medseg_covid import convert_covid19_1, convert_covid19_2  # noqa: F401
