"""mmext.datasets.transforms."""
from .load_sr_pair_from_file import LoadSRPairFromFile
from .derive_lr_input import DeriveLRInput
from .load_lung_mask import LoadLungMask
from .window_hu import WindowHU
from .pack_sr_seg_inputs import PackSRSegInputs
from .paired_rescale import PairedRescale
from .paired_rotate import PairedRotate
from .yolov8_cached_mosaic import YOLOv8CachedMosaic
from .yolov8_random_affine import YOLOv8RandomAffine

__all__ = ['LoadSRPairFromFile', 'PackSRSegInputs', 'PairedRescale', 'PairedRotate', 'YOLOv8CachedMosaic', 'YOLOv8RandomAffine', 'DeriveLRInput', 'LoadLungMask', 'WindowHU']
