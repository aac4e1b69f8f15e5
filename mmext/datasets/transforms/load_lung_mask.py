"""Load the lung mask of a CT slice (scoring inside the lung, ``DiceSensSpecMetric``'s ``_lung``
keys)."""
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadLungMask(BaseTransform):
    """Load ``results['lung_mask_path']`` as ``gt_lung_mask`` (uint8, 1 inside the lungs, 0
    outside) and add it to ``seg_fields`` (so that paired augmentations move it with the label).

    ``MedSegCOVIDDataset`` fills ``lung_mask_path`` when ``data_prefix`` has ``lung_mask_path``
    (the converter writes ``lung_masks/`` when the MedSeg lung masks are present).

    Args:
        optional (bool): without ``lung_mask_path`` (a dataset without lung masks, or mmseg's
            ``inference_model`` on a bare image) do nothing instead of raising. Default True.
        backend_args (dict, optional): file backend arguments.
    """

    def __init__(self, optional: bool = True, backend_args=None) -> None:
        self.optional = optional
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results.get('lung_mask_path')
        if path is None:
            if self.optional:
                return results
            raise KeyError(f'LoadLungMask: no lung_mask_path for {results.get("img_path")!r}; '
                           'set data_prefix.lung_mask_path (e.g. lung_masks/test)')
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'LoadLungMask: lung_mask_path {path!r} does not exist')
        mask = mmcv.imfrombytes(data, flag='unchanged', backend='pillow')
        if mask is None or mask.ndim != 2:
            raise ValueError(f'LoadLungMask: {path!r} is not a single-channel mask')
        if 'gt_seg_map' in results and results['gt_seg_map'].shape != mask.shape:
            raise ValueError(f'LoadLungMask: {path!r} is {mask.shape} but the label map is '
                             f'{results["gt_seg_map"].shape}')
        results['gt_lung_mask'] = (mask > 0).astype(np.uint8)
        results.setdefault('seg_fields', [])
        if 'gt_lung_mask' not in results['seg_fields']:
            results['seg_fields'].append('gt_lung_mask')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(optional={self.optional})'
