"""Rescale a low-resolution input, its high-resolution image and its label maps together, keeping
the canvas size."""
from typing import Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


def _axis_window(new: int, old: int, ratio: int) -> Tuple[int, int, int]:
    """(source start, destination start, length) of the centred crop or pad of one axis, given in
    low-resolution pixels and multiplied by ``ratio`` for a ``ratio`` times larger map."""
    if new >= old:
        return (new - old) // 2 * ratio, 0, old * ratio
    return 0, (old - new) // 2 * ratio, new * ratio


@TRANSFORMS.register_module()
class PairedRescale(BaseTransform):
    """Zoom ``img``, ``hr_img`` (when present) and every ``seg_fields`` map by one factor about
    their centres, then centre-crop (factor > 1) or pad (factor < 1) back to their sizes.

    CogSeg (Sec. 4.2) enlarges COVID-19_1 with copies scaled by 0.5, 0.75, 1.25 and 1.5. The
    paper's copies change size; here the canvas is kept so that a batch still stacks and the
    ``k`` times larger maps stay aligned with the input (the crop and pad offsets of a map are
    ``k`` times those of the input, and its rescaled size is exactly ``k`` times the input's).

    Args:
        scale (float): zoom factor.
        img_pad_val (int): fill of both images. Default 60: air (-1000 HU) after the default
            CT window [-1350, 150] HU (see :class:`PairedRotate`).
        seg_pad_val (int): fill of the label maps (0: background). Default 0.
        interpolation (str): of the images; label maps use nearest. Default ``'bilinear'``.
    """

    def __init__(self, scale: float, img_pad_val: int = 60, seg_pad_val: int = 0,
                 interpolation: str = 'bilinear') -> None:
        if scale <= 0:
            raise ValueError(f'scale must be positive, got {scale}')
        self.scale = float(scale)
        self.img_pad_val = img_pad_val
        self.seg_pad_val = seg_pad_val
        self.interpolation = interpolation

    def _apply(self, arr: np.ndarray, lr_size: Tuple[int, int], new_lr: Tuple[int, int],
               pad_val, interpolation: str, key: str) -> np.ndarray:
        (h, w), (nh, nw) = lr_size, new_lr
        ry, rx = arr.shape[0] // h, arr.shape[1] // w
        if ry * h != arr.shape[0] or rx * w != arr.shape[1] or ry != rx:
            raise ValueError(f'PairedRescale: {key} of size {arr.shape[:2]} is not an integer '
                             f'multiple of the input size {(h, w)}')
        resized = mmcv.imresize(arr, (nw * rx, nh * ry), interpolation=interpolation)
        sy, dy, ly = _axis_window(nh, h, ry)
        sx, dx, lx = _axis_window(nw, w, rx)
        out = np.full_like(arr, pad_val)
        out[dy:dy + ly, dx:dx + lx] = resized[sy:sy + ly, sx:sx + lx]
        return out

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        new = (max(1, int(round(h * self.scale))), max(1, int(round(w * self.scale))))
        for key in ('img', 'hr_img'):
            if key in results:
                results[key] = self._apply(results[key], (h, w), new, self.img_pad_val,
                                           self.interpolation, key)
        for key in results.get('seg_fields', []):
            results[key] = self._apply(results[key], (h, w), new, self.seg_pad_val, 'nearest',
                                       key)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, img_pad_val={self.img_pad_val}, '
                f'seg_pad_val={self.seg_pad_val}, interpolation={self.interpolation!r})')
