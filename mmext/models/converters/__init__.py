"""mmext.models.converters: renaming released checkpoints' keys onto mmext models (the logic
behind tools/model_converters/)."""
from .yolov8 import convert_yolov8_key, convert_yolov8_state_dict

__all__ = ['convert_yolov8_key', 'convert_yolov8_state_dict']
