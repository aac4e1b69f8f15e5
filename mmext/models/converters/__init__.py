"""mmext.models.converters: renaming released checkpoints' keys onto mmext models (the logic
behind tools/model_converters/)."""
from .yolov8 import convert_yolov8_key, convert_yolov8_state_dict
from .classifier import (load_source_checkpoint, rename_classifier_keys, save_converted,
                         unwrap_state_dict)
from .fanet import FANET_BACKBONE_KEY, convert_fanet_state_dict
from .focalnet import FOCALNET_BACKBONE_KEY, convert_focalnet_state_dict

__all__ = ['convert_yolov8_key', 'convert_yolov8_state_dict']
__all__ += ['load_source_checkpoint', 'unwrap_state_dict', 'rename_classifier_keys',
            'save_converted', 'FANET_BACKBONE_KEY', 'convert_fanet_state_dict',
            'FOCALNET_BACKBONE_KEY', 'convert_focalnet_state_dict']
