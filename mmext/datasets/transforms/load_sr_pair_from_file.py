"""Load a low-resolution network input and its high-resolution image (CogSeg's LR/HR pairs)."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSRPairFromFile(BaseTransform):
    """Load ``results['lr_img_path']`` as the network input and ``results['img_path']`` as the
    high-resolution image (the super-resolution target).

    Added keys: ``img`` (LR, ``[h, w]`` for grayscale or ``[h, w, 3]``), ``img_shape`` (its size),
    ``hr_img`` (HR, ``[H, W(, 3)]``) and ``ori_shape`` (the HR size: predictions of an upscaling
    model are compared with the high-resolution label map, and mmseg resizes predictions to
    ``ori_shape``).

    Args:
        scale (int): expected ``H / h`` and ``W / w``; a pair of other sizes raises an error naming
            both files. Default 2.
        color_type (str): ``'grayscale'`` (CT, default) or ``'color'``.
        to_float32 (bool): convert both images to float32. Default False (uint8).
        imdecode_backend (str): mmcv image decoding backend. Default ``'cv2'``.
        backend_args (dict, optional): file backend arguments.
    """

    def __init__(self,
                 scale: int = 2,
                 color_type: str = 'grayscale',
                 to_float32: bool = False,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        self.scale = scale
        self.color_type = color_type
        self.to_float32 = to_float32
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def _load(self, path: str, field: str) -> np.ndarray:
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'LoadSRPairFromFile: {field} {path!r} does not exist')
        try:
            img = mmcv.imfrombytes(data, flag=self.color_type, backend=self.imdecode_backend)
        except Exception as e:  # noqa: BLE001 - decoder errors vary by backend
            raise ValueError(f'LoadSRPairFromFile: cannot decode {field} {path!r}: {e}')
        if img is None:
            raise ValueError(f'LoadSRPairFromFile: cannot decode {field} {path!r} (corrupt or '
                             'not an image)')
        return img.astype(np.float32) if self.to_float32 else img

    def transform(self, results: dict) -> dict:
        if 'lr_img_path' not in results:
            raise KeyError(f'LoadSRPairFromFile: no lr_img_path for {results.get("img_path")!r}; '
                           'use a dataset that provides it (MedSegCOVIDDataset)')
        lr = self._load(results['lr_img_path'], 'lr_img_path')
        hr = self._load(results['img_path'], 'img_path')
        want = (lr.shape[0] * self.scale, lr.shape[1] * self.scale)
        if hr.shape[:2] != want:
            raise ValueError(
                f'LoadSRPairFromFile: {results["img_path"]!r} is {hr.shape[:2]} but its '
                f'low-resolution input {results["lr_img_path"]!r} is {lr.shape[:2]}; expected '
                f'{want} (scale={self.scale})')
        results['img'] = lr
        results['img_shape'] = lr.shape[:2]
        results['hr_img'] = hr
        results['ori_shape'] = hr.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, color_type={self.color_type!r}, '
                f'to_float32={self.to_float32}, imdecode_backend={self.imdecode_backend!r})')
