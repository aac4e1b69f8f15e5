"""YOLOv8's random affine augmentation (centred, mask-aware), on top of mmdet's RandomAffine."""
import random
from typing import Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms.utils import cache_randomness
from mmdet.datasets.transforms import RandomAffine
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes, autocast_box_type
from mmdet.structures.mask import BitmapMasks, PolygonMasks


@TRANSFORMS.register_module()
class YOLOv8RandomAffine(RandomAffine):
    """Random rotation / scale / shear / translation as in YOLOv5 and YOLOv8, with masks.

    With input size (H_in, W_in) and output size (H, W) = input + 2 * ``border`` (YOLOv8 uses
    ``border = -img_scale / 2`` after a 2x mosaic, giving back the training size), the warp is

        M = T @ S @ R @ C,

    where C moves the input centre to the origin, R rotates by a ~ U(-rot, rot) degrees and scales
    by s ~ U(scaling_ratio_range), S shears by U(-shear, shear) degrees on each axis, and T moves
    the origin to ((0.5 + U(-t, t)) W, (0.5 + U(-t, t)) H). mmdet's :class:`RandomAffine`
    composes the same matrices about the top-left corner instead (no C, T from the corner), so
    after a mosaic it crops the top-left part; this is the only change to the matrix.

    Boxes become the bounds of their warped corners, or, when ``gt_masks`` are present, the tight
    boxes of the warped masks (each mask warped with nearest-neighbour sampling; PolygonMasks are
    rasterised first). Objects are then kept by YOLOv8's ``box_candidates`` rule: warped width and
    height > ``min_bbox_size`` pixels, warped area / (original area * s^2) > ``min_area_ratio``
    (0.1 for boxes, 0.01 with masks in YOLOv8) and aspect ratio < ``max_aspect_ratio``.

    YOLOv8 defaults: rotation 0, translation 0.1, scale (0.5, 1.5), shear 0, border value 114.
    """

    def __init__(self,
                 max_rotate_degree: float = 0.0,
                 max_translate_ratio: float = 0.1,
                 scaling_ratio_range: Tuple[float, float] = (0.5, 1.5),
                 max_shear_degree: float = 0.0,
                 border: Tuple[int, int] = (0, 0),
                 border_val: Tuple[int, int, int] = (114, 114, 114),
                 min_bbox_size: float = 2.0,
                 min_area_ratio: float = 0.1,
                 min_area_ratio_masks: float = 0.01,
                 max_aspect_ratio: float = 100.0) -> None:
        super().__init__(
            max_rotate_degree=max_rotate_degree,
            max_translate_ratio=max_translate_ratio,
            scaling_ratio_range=scaling_ratio_range,
            max_shear_degree=max_shear_degree,
            border=border,
            border_val=border_val,
            bbox_clip_border=True)
        self.min_bbox_size = min_bbox_size
        self.min_area_ratio = min_area_ratio
        self.min_area_ratio_masks = min_area_ratio_masks
        self.max_aspect_ratio = max_aspect_ratio

    @cache_randomness
    def _get_centred_matrix(self, in_h: int, in_w: int, out_h: int, out_w: int):
        """(3x3 warp matrix, scale s) of the class docstring."""
        centre = self._get_translation_matrix(-in_w / 2, -in_h / 2)
        scale = random.uniform(*self.scaling_ratio_range)
        rotation = self._get_rotation_matrix(
            random.uniform(-self.max_rotate_degree, self.max_rotate_degree))
        shear = self._get_shear_matrix(
            random.uniform(-self.max_shear_degree, self.max_shear_degree),
            random.uniform(-self.max_shear_degree, self.max_shear_degree))
        t = self.max_translate_ratio
        translate = self._get_translation_matrix(
            random.uniform(0.5 - t, 0.5 + t) * out_w, random.uniform(0.5 - t, 0.5 + t) * out_h)
        matrix = translate @ shear @ rotation @ self._get_scaling_matrix(scale) @ centre
        return matrix.astype(np.float32), scale

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        img = results['img']
        in_h, in_w = img.shape[:2]
        out_h, out_w = in_h + self.border[1] * 2, in_w + self.border[0] * 2
        matrix, scale = self._get_centred_matrix(in_h, in_w, out_h, out_w)
        results['img'] = cv2.warpPerspective(img, matrix, dsize=(out_w, out_h),
                                             borderValue=self.border_val)
        results['img_shape'] = results['img'].shape[:2]
        bboxes = results['gt_bboxes']
        masks = results.get('gt_masks', None)
        if masks is not None:
            if isinstance(masks, PolygonMasks):
                masks = masks.to_bitmap()
            warped = np.stack([
                cv2.warpPerspective(m, matrix, dsize=(out_w, out_h), flags=cv2.INTER_NEAREST)
                for m in masks.masks
            ]) if len(masks) else np.zeros((0, out_h, out_w), dtype=np.uint8)
            masks = BitmapMasks(warped, out_h, out_w)
        if len(bboxes) == 0:
            if masks is not None:
                results['gt_masks'] = masks
            return results
        old_wh = (bboxes.tensor[:, 2:] - bboxes.tensor[:, :2]).numpy()
        if masks is not None:
            new = masks.get_bboxes('hbox')
            area_thr = self.min_area_ratio_masks
        else:
            new = bboxes.clone()
            new.project_(matrix)
            new.clip_([out_h, out_w])
            area_thr = self.min_area_ratio
        new_wh = (new.tensor[:, 2:] - new.tensor[:, :2]).numpy()
        w2, h2 = new_wh[:, 0], new_wh[:, 1]
        ratio = np.maximum(w2 / (h2 + 1e-16), h2 / (w2 + 1e-16))
        keep = ((w2 > self.min_bbox_size) & (h2 > self.min_bbox_size) &
                (w2 * h2 / (old_wh[:, 0] * old_wh[:, 1] * scale * scale + 1e-16) > area_thr) &
                (ratio < self.max_aspect_ratio))
        results['gt_bboxes'] = HorizontalBoxes(new.tensor[torch.from_numpy(keep)])
        results['gt_bboxes_labels'] = results['gt_bboxes_labels'][keep]
        results['gt_ignore_flags'] = results['gt_ignore_flags'][keep]
        if masks is not None:
            results['gt_masks'] = masks[np.nonzero(keep)[0]]
        return results

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', min_bbox_size={self.min_bbox_size}, '
                f'min_area_ratio={self.min_area_ratio}, '
                f'min_area_ratio_masks={self.min_area_ratio_masks}, '
                f'max_aspect_ratio={self.max_aspect_ratio})')


