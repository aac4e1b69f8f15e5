"""Synthetic ZeroWaste-f in the released layout.

``splits_final_deblurred/{train,val,test}/{data,sem_seg}/*.PNG``.

Frames are a dark, streaky conveyor belt with 2-6 pieces of "waste", one per class look:
rigid_plastic is translucent (the belt shows through), cardboard is brown and matte, metal is
bright with specular stripes, soft_plastic is a wrinkled pink film. Pieces overlap (later ones on
top), as clutter does on the real belt. Label maps are single-channel PNGs with values 0-4 and
the same file names as the frames (``<video>_frame_<n>.PNG``), which is what
:class:`mmext.datasets.ZeroWasteDataset` reads. The release's per-split ``labels.json`` (COCO
instances) is not written: semantic segmentation does not read it.
"""
import os
import os.path as osp

import cv2
import numpy as np

from . import register_generator
from .drawing import save_rgb, textured_background

ZEROWASTE_COLORS = {  # RGB base colour per class
    1: (170, 205, 235),  # rigid_plastic (blended at 55% over the belt: translucent)
    2: (150, 105, 60),  # cardboard
    3: (200, 200, 205),  # metal
    4: (225, 90, 170),  # soft_plastic
}


def _piece_mask(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A random convex-ish blob or rotated rectangle, as a ``(H, W)`` uint8 mask."""
    mask = np.zeros((height, width), np.uint8)
    cx, cy = rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height
    size = rng.uniform(0.18, 0.4) * min(height, width)
    if rng.random() < 0.5:
        box = cv2.boxPoints(((cx, cy), (size * rng.uniform(1.0, 2.2), size * rng.uniform(0.5, 1.0)),
                             float(rng.uniform(0, 180))))
        cv2.fillPoly(mask, [np.round(box).astype(np.int32)], 1)
    else:
        pts = rng.normal(0, size * 0.55, size=(9, 2)) + np.array([cx, cy])
        cv2.fillPoly(mask, [cv2.convexHull(np.round(pts).astype(np.int32))], 1)
    return mask


def _paint(rng: np.random.Generator, img: np.ndarray, mask: np.ndarray, cls: int) -> None:
    """Paint piece ``cls`` into ``img`` (float32 RGB) where ``mask`` is set."""
    h, w = mask.shape
    base = np.asarray(ZEROWASTE_COLORS[cls], np.float32) + rng.normal(0, 8, size=3)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    m = mask.astype(bool)
    if cls == 1:  # translucent: the belt shows through
        img[m] = 0.45 * img[m] + 0.55 * base
        return
    texture = rng.normal(0, 6, size=(h, w, 1)).astype(np.float32)
    if cls == 3:  # specular stripes
        angle = rng.uniform(0, np.pi)
        stripes = 25 * np.sin((xx * np.cos(angle) + yy * np.sin(angle)) / 2.5)
        texture = texture + stripes[..., None]
    elif cls == 4:  # wrinkles
        wrinkles = 18 * np.sin(xx / 5.0 + 3 * np.sin(yy / 7.0))
        texture = texture + wrinkles[..., None]
    img[m] = (base + texture)[m]


@register_generator('zerowaste')
def generate_zerowaste(out_dir: str, seed: int = 0, num_train: int = 24, num_val: int = 6,
                       num_test: int = 6, img_width: int = 192, img_height: int = 108) -> None:
    """Write a small ZeroWaste-f look-alike (16:9 frames, default 192x108) under ``out_dir``."""
    rng = np.random.default_rng(seed)
    root = osp.join(out_dir, 'splits_final_deblurred')
    for split, count in (('train', num_train), ('val', num_val), ('test', num_test)):
        for sub in ('data', 'sem_seg'):
            os.makedirs(osp.join(root, split, sub), exist_ok=True)
        for i in range(count):
            img = textured_background(rng, img_height, img_width, base=(62, 64, 60),
                                      noise=6.0).astype(np.float32)
            img += 6 * np.sin(np.arange(img_height, dtype=np.float32) / 1.5)[:, None, None]  # belt
            label = np.zeros((img_height, img_width), np.uint8)
            for _ in range(int(rng.integers(2, 7))):
                cls = int(rng.integers(1, 5))
                mask = _piece_mask(rng, img_height, img_width)
                _paint(rng, img, mask, cls)
                label[mask > 0] = cls
            name = f'{split}{i // 100:02d}_frame_{i % 100 * 10:06d}.PNG'
            save_rgb(osp.join(root, split, 'data', name), np.clip(img, 0, 255).astype(np.uint8))
            if not cv2.imwrite(osp.join(root, split, 'sem_seg', name), label):
                raise OSError(f'could not write {osp.join(root, split, "sem_seg", name)}')
