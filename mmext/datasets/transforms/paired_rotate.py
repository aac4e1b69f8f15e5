"""Rotate a low-resolution input, its high-resolution image and its label maps together."""
import mmcv
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PairedRotate(BaseTransform):
    """Rotate ``img``, ``hr_img`` (when present) and every ``seg_fields`` map by one angle about
    their centres, keeping their sizes (corners filled with the border values).

    CogSeg (Sec. 4.2) enlarges COVID-19_1 with copies rotated by 45, 90, 135, 180, 270 and 360
    degrees; the CogSeg configs pick one of these (or a :class:`PairedRescale`, or nothing) per
    sample with mmcv's ``RandomChoice``, on the high-resolution slice and its label map, and
    derive the low-resolution input afterwards (:class:`DeriveLRInput`). Rotating about the pixel-grid centre ``((w-1)/2,
    (h-1)/2)`` keeps an input and its ``k`` times larger images aligned.

    Args:
        angle (float): degrees, positive clockwise (mmcv's convention).
        img_border_value (int): fill of both images. Default 60: air (-1000 HU) after the
            default CT window [-1350, 150] HU (``350 / 1500 * 255 = 59.5``;
            ``mmext.datasets.converters.medseg_covid.air_value(window)`` for another window).
            0 is -1350 HU, darker than air.
        seg_border_value (int): fill of the label maps (0: background). Default 0.
        interpolation (str): of the images; label maps use nearest. Default ``'bilinear'``.
    """

    def __init__(self, angle: float, img_border_value: int = 60, seg_border_value: int = 0,
                 interpolation: str = 'bilinear') -> None:
        self.angle = float(angle)
        self.img_border_value = img_border_value
        self.seg_border_value = seg_border_value
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        for key in ('img', 'hr_img'):
            if key in results:
                results[key] = mmcv.imrotate(results[key], self.angle,
                                             border_value=self.img_border_value,
                                             interpolation=self.interpolation)
        for key in results.get('seg_fields', []):
            results[key] = mmcv.imrotate(results[key], self.angle,
                                         border_value=self.seg_border_value,
                                         interpolation='nearest')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(angle={self.angle}, '
                f'img_border_value={self.img_border_value}, '
                f'seg_border_value={self.seg_border_value}, '
                f'interpolation={self.interpolation!r})')
