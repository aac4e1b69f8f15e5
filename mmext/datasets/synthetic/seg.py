"""Synthetic semantic segmentation: ``images/{train,val}/*.png`` + ``annotations/{train,val}/*.png``.

Label maps are single-channel PNGs with values ``0..C-1`` (0 background) and 255 for ignored pixels
along a thin border, the layout mmseg's ``BaseSegDataset`` reads with ``img_suffix='.png'``.
"""
import os
import os.path as osp

import cv2
import numpy as np

from . import register_generator
from .drawing import save_rgb, textured_background

SEG_SYNTHETIC_CLASSES = ('background', 'disc', 'bar', 'blob')
SEG_SYNTHETIC_PALETTE = [[0, 0, 0], [220, 40, 40], [40, 200, 60], [50, 90, 230]]


@register_generator('seg')
def generate_seg(out_dir: str, seed: int = 0, num_train: int = 24, num_val: int = 8,
                 img_size: int = 128, max_objects: int = 5) -> None:
    """Write images with discs, bars and blobs and their label maps."""
    rng = np.random.default_rng(seed)
    for split, count in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(out_dir, 'images', split), exist_ok=True)
        os.makedirs(osp.join(out_dir, 'annotations', split), exist_ok=True)
        for i in range(count):
            img = textured_background(rng, img_size, img_size)
            label = np.zeros((img_size, img_size), np.uint8)
            for _ in range(int(rng.integers(1, max_objects + 1))):
                cls = int(rng.integers(1, len(SEG_SYNTHETIC_CLASSES)))
                mask = np.zeros_like(label)
                c = tuple(int(v) for v in rng.integers(8, img_size - 8, size=2))
                r = int(rng.integers(img_size // 16, img_size // 5))
                if cls == 1:
                    cv2.circle(mask, c, r, 1, -1)
                elif cls == 2:
                    angle = float(rng.uniform(0, 180))
                    box = cv2.boxPoints(((c[0], c[1]), (2.5 * r, 0.6 * r), angle))
                    cv2.fillPoly(mask, [np.round(box).astype(np.int32)], 1)
                else:
                    pts = rng.normal(0, r * 0.6, size=(7, 2)) + np.asarray(c)
                    cv2.fillPoly(mask, [cv2.convexHull(np.round(pts).astype(np.int32))], 1)
                label[mask > 0] = cls
                img[mask > 0] = SEG_SYNTHETIC_PALETTE[cls]
            label[:2, :] = 255  # an ignored border strip, as real sets have unlabeled pixels
            save_rgb(osp.join(out_dir, 'images', split, f'{i:05d}.png'), img)
            cv2.imwrite(osp.join(out_dir, 'annotations', split, f'{i:05d}.png'), label)
