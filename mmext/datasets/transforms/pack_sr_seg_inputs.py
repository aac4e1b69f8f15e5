"""Pack segmentation inputs together with the high-resolution image of an SR branch."""
import numpy as np
from mmcv.transforms import to_tensor
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackSRSegInputs(PackSegInputs):
    """mmseg's ``PackSegInputs``, plus ``results['hr_img']`` as ``data_sample.gt_sr_img``
    (``PixelData``, ``[C, H, W]``, the dtype of the image), the target of CogSeg's SR branch, and
    ``results['gt_lung_mask']`` (``LoadLungMask``) as ``data_sample.gt_lung_mask``
    (``PixelData``, ``[1, H, W]``), read by ``DiceSensSpecMetric``'s ``_lung`` keys.

    Takes mmseg's ``meta_keys``.
    """

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if 'hr_img' in results:
            hr = results['hr_img']
            if hr.ndim == 2:
                hr = hr[..., None]
            packed['data_samples'].gt_sr_img = PixelData(
                data=to_tensor(np.ascontiguousarray(hr.transpose(2, 0, 1))))
        if 'gt_lung_mask' in results:
            packed['data_samples'].gt_lung_mask = PixelData(
                data=to_tensor(np.ascontiguousarray(results['gt_lung_mask'][None])))
        return packed
