"""mmext.models.decode_heads: segmentation and auxiliary-task heads (mmseg)."""
from .unet_sr_head import UNetSRHead
from .upscale_seg_head import UpscaleSegHead

__all__ = ['UNetSRHead', 'UpscaleSegHead']
