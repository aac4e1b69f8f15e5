"""Window a CT slice given in Hounsfield units to the 0-255 grey values the CogSeg models see."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ..converters.medseg_covid import DEFAULT_WINDOW, check_hu, hu_to_uint8


@TRANSFORMS.register_module()
class WindowHU(BaseTransform):
    """Turn a float ``results['img']`` in Hounsfield units into the windowed uint8 slice that
    ``mmext.datasets.converters.medseg_covid`` writes (clip to ``window``, map to 0-255); a uint8
    image (an already windowed PNG) passes unchanged.

    With it first in the test pipeline, mmseg's ``inference_model(model, hu_slice)`` runs a CogSeg
    model on a raw CT slice (a float ``[H, W]`` array in HU, e.g. ``np.rot90(volume[:, :, k])``
    of a NIfTI volume). The slice must look like HU (``check_hu``: air/lung below -500), else the
    error says what was found.

    Args:
        window (tuple): ``(low, high)`` HU. Default ``(-1350, 150)`` (the converter's).
        check (bool): refuse float images that do not look like HU. Default True.
    """

    def __init__(self, window=DEFAULT_WINDOW, check: bool = True) -> None:
        self.window = tuple(float(v) for v in window)
        self.check = check

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype == np.uint8:
            return results
        if self.check:
            check_hu(img, results.get('img_path') or 'the input slice')
        results['img'] = hu_to_uint8(img, self.window)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(window={self.window}, check={self.check})'
