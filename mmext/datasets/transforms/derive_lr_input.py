"""Derive the low-resolution network input from the (augmented) high-resolution slice."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image

_PIL_FILTERS = dict(bicubic=Image.BICUBIC, bilinear=Image.BILINEAR, box=Image.BOX,
                    nearest=Image.NEAREST, lanczos=Image.LANCZOS)


def pil_downsample(img: np.ndarray, size, interpolation: str = 'bicubic') -> np.ndarray:
    """``img`` (``[H, W]`` or ``[H, W, C]``, uint8 or float) resized to ``size = (h, w)`` with
    PIL's (antialiased) filter, the operation ``mmext.datasets.converters.medseg_covid`` writes
    ``images_lr/`` with; the dtype is kept."""
    h, w = int(size[0]), int(size[1])
    flt = _PIL_FILTERS[interpolation]
    if img.ndim == 3:
        return np.stack([pil_downsample(img[..., c], size, interpolation)
                         for c in range(img.shape[2])], axis=-1)
    if img.dtype == np.uint8:
        return np.asarray(Image.fromarray(img).resize((w, h), flt))
    out = Image.fromarray(img.astype(np.float32), mode='F').resize((w, h), flt)
    return np.asarray(out).astype(img.dtype)


@TRANSFORMS.register_module()
class DeriveLRInput(BaseTransform):
    """Make ``results['img']`` (the high-resolution slice, after any augmentation) the SR target
    ``hr_img`` and replace ``img`` by its ``scale`` times down-sampled copy, the network input.

    CogSeg learns super-resolution from (LR input, HR target) pairs, so an augmentation must be
    applied to the HR slice and its label map first and the LR input derived afterwards; then
    the input is exactly a down-sample of its target whatever the augmentation (transforming the
    two images separately breaks this at every rotation and scaling that is not a pixel
    permutation). Without augmentation the result equals the converter's ``images_lr/`` PNG
    (same PIL bicubic filter on the same uint8 slice).

    Sets ``img`` (LR), ``img_shape`` (LR size), ``hr_img`` (HR) and ``ori_shape`` (HR size: an
    upscaling model's prediction is compared with the HR label map). With ``resize_seg`` the
    ``seg_fields`` maps are down-sampled too (nearest), for a baseline trained on subsampled
    labels whose output is rescaled at test time (CogSeg Sec. 3.2); ``ori_shape`` then stays the
    HR size, so mmseg resizes the prediction bilinearly to the HR label map.

    Args:
        scale (int): HR / LR size ratio; the HR size must be divisible by it. Default 2.
        interpolation (str): PIL filter of the image (bicubic, bilinear, box, lanczos).
            Default ``'bicubic'`` (the converter's).
        resize_seg (bool): also down-sample the label maps. Default False.
        keep_hr (bool): keep ``hr_img`` (the SR target). Default True.
    """

    def __init__(self, scale: int = 2, interpolation: str = 'bicubic', resize_seg: bool = False,
                 keep_hr: bool = True) -> None:
        if int(scale) != scale or scale < 1:
            raise ValueError(f'DeriveLRInput: scale must be a positive integer, got {scale}')
        if interpolation not in _PIL_FILTERS:
            raise ValueError(f'DeriveLRInput: interpolation must be one of '
                             f'{sorted(_PIL_FILTERS)}, got {interpolation!r}')
        self.scale = int(scale)
        self.interpolation = interpolation
        self.resize_seg = resize_seg
        self.keep_hr = keep_hr

    def transform(self, results: dict) -> dict:
        hr = results['img']
        h, w = hr.shape[:2]
        if h % self.scale or w % self.scale:
            raise ValueError(f'DeriveLRInput: {results.get("img_path") or "the image"} is '
                             f'{(h, w)}, not divisible by scale={self.scale}')
        size = (h // self.scale, w // self.scale)
        results['img'] = pil_downsample(hr, size, self.interpolation)
        results['img_shape'] = size
        results['ori_shape'] = (h, w)
        if self.keep_hr:
            results['hr_img'] = hr
        if self.resize_seg:
            for key in results.get('seg_fields', []):
                seg = results[key]
                if seg.shape[:2] != (h, w):
                    raise ValueError(f'DeriveLRInput: {key} is {seg.shape[:2]} but the image is '
                                     f'{(h, w)}')
                results[key] = pil_downsample(seg.astype(np.uint8), size, 'nearest').astype(
                    seg.dtype)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'interpolation={self.interpolation!r}, resize_seg={self.resize_seg}, '
                f'keep_hr={self.keep_hr})')
