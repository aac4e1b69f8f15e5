"""Synthetic DOTA in the raw release layout: ``{train,val}/images/*.png`` + ``{train,val}/labelTxt/*.txt``.

Each label file starts with the ``imagesource:`` and ``gsd:`` header lines of DOTA v1.0, followed by
one object a line: ``x1 y1 x2 y2 x3 y3 x4 y4 class difficult`` (corners clockwise). Objects use
real DOTA class names, range from about 4 px to 100 px, include extreme aspect ratios (up to
1:8) and arbitrary angles, and every class has its own colour and shape so that a detector can
learn them in a short run. Some images have no objects.
"""
import os
import os.path as osp

import cv2
import numpy as np

from . import register_generator
from .drawing import fill_polygon, rbox_to_corners, save_rgb, textured_background

# class name -> (RGB colour, long side range in px, aspect ratio range long/short, shape)
DOTA_SYNTHETIC_CLASSES = {
    'plane': ((235, 235, 235), (24, 64), (1.0, 1.3), 'cross'),
    'ship': ((200, 40, 40), (16, 100), (3.0, 6.0), 'box'),
    'small-vehicle': ((250, 220, 30), (4, 12), (1.5, 2.5), 'box'),
    'large-vehicle': ((240, 120, 20), (14, 36), (4.0, 8.0), 'box'),
    'storage-tank': ((40, 200, 230), (10, 40), (1.0, 1.0), 'disc'),
}


def _draw_object(img, rng, name, cx, cy, w, h, theta):
    color, _, _, shape = DOTA_SYNTHETIC_CLASSES[name]
    corners = rbox_to_corners(cx, cy, w, h, theta)
    if shape == 'disc':
        cv2.circle(img, (int(round(cx * 16)), int(round(cy * 16))), int(round(w / 2 * 16)),
                   color, -1, lineType=cv2.LINE_AA, shift=4)
    else:
        fill_polygon(img, corners, color)
    if shape == 'cross':  # a dark fuselage stripe along the short axis
        fill_polygon(img, rbox_to_corners(cx, cy, w, h * 0.25, theta), (60, 60, 70))
    return corners


def _sample_objects(rng, size, max_objects):
    objects, occupied = [], []
    names = list(DOTA_SYNTHETIC_CLASSES)
    for _ in range(max_objects * 4):
        if len(objects) == max_objects:
            break
        name = names[rng.integers(len(names))]
        _, (lo, hi), (ar_lo, ar_hi), _ = DOTA_SYNTHETIC_CLASSES[name]
        long_side = float(rng.uniform(lo, min(hi, size * 0.45)))
        short_side = max(long_side / float(rng.uniform(ar_lo, ar_hi)), 2.5)
        theta = float(rng.uniform(-np.pi / 2, np.pi / 2))
        radius = 0.5 * np.hypot(long_side, short_side)
        cx, cy = rng.uniform(radius + 1, size - radius - 1, size=2)
        if any(np.hypot(cx - ox, cy - oy) < radius + r + 2 for ox, oy, r in occupied):
            continue
        occupied.append((cx, cy, radius))
        objects.append((name, float(cx), float(cy), long_side, short_side, theta))
    return objects


@register_generator('dota')
def generate_dota(out_dir: str, seed: int = 0, num_train: int = 24, num_val: int = 8,
                  img_size: int = 256, max_objects: int = 10, empty_every: int = 12) -> None:
    """Write ``num_train``/``num_val`` square images of ``img_size`` px with their DOTA labels.

    Every ``empty_every``-th image has no objects (its label file holds only the header).
    """
    rng = np.random.default_rng(seed)
    for split, count in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(out_dir, split, 'images'), exist_ok=True)
        os.makedirs(osp.join(out_dir, split, 'labelTxt'), exist_ok=True)
        for i in range(count):
            name = f'P{i:04d}'
            img = textured_background(rng, img_size, img_size)
            n = 0 if empty_every and i % empty_every == empty_every - 1 else int(
                rng.integers(3, max_objects + 1))
            lines = ['imagesource:GoogleEarth', 'gsd:0.5']
            for cls, cx, cy, w, h, theta in _sample_objects(rng, img_size, n):
                corners = _draw_object(img, rng, cls, cx, cy, w, h, theta)
                difficult = int(max(w, h) < 6)
                coords = ' '.join(f'{v:.1f}' for v in corners.reshape(-1))
                lines.append(f'{coords} {cls} {difficult}')
            save_rgb(osp.join(out_dir, split, 'images', name + '.png'), img)
            with open(osp.join(out_dir, split, 'labelTxt', name + '.txt'), 'w') as f:
                f.write('\n'.join(lines) + '\n')
