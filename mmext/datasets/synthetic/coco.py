"""Synthetic COCO: ``{train,val}2017/*.jpg`` + ``annotations/instances_{train,val}2017.json``.

Instances carry a box ``[x, y, w, h]``, a polygon ``segmentation``, ``area`` and ``iscrowd=0``, as
in the real COCO files. Each class has its own colour and shape. One validation image has no
objects (real COCO has such images too).
"""
import json
import os
import os.path as osp

import cv2
import numpy as np

from . import register_generator
from .drawing import save_rgb, textured_background

# name -> (RGB colour, polygon vertex count: 0 = ellipse)
COCO_SYNTHETIC_CLASSES = {
    'disc': ((220, 40, 40), 0),
    'square': ((40, 200, 60), 4),
    'triangle': ((50, 90, 230), 3),
    'hexagon': ((240, 220, 40), 6),
}


def _shape_polygon(rng, kind_vertices, cx, cy, radius):
    if kind_vertices == 0:  # ellipse approximated by 24 points
        ratio = float(rng.uniform(0.6, 1.0))
        angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        xs, ys = radius * np.cos(angles), radius * ratio * np.sin(angles)
    else:
        start = float(rng.uniform(0, 2 * np.pi))
        angles = start + np.linspace(0, 2 * np.pi, kind_vertices, endpoint=False)
        xs, ys = radius * np.cos(angles), radius * np.sin(angles)
    return np.stack([cx + xs, cy + ys], axis=1)


def _write_split(rng, out_dir, split, count, img_size, max_objects, first_id, empty_index):
    img_dir = osp.join(out_dir, f'{split}2017')
    os.makedirs(img_dir, exist_ok=True)
    names = list(COCO_SYNTHETIC_CLASSES)
    images, annotations = [], []
    ann_id = first_id
    for i in range(count):
        image_id = first_id + i
        file_name = f'{image_id:012d}.jpg'
        img = textured_background(rng, img_size, img_size)
        n = 0 if i == empty_index else int(rng.integers(1, max_objects + 1))
        placed = []
        for _ in range(n * 4):
            if len(placed) == n:
                break
            radius = float(rng.uniform(img_size * 0.05, img_size * 0.18))
            cx, cy = rng.uniform(radius + 1, img_size - radius - 1, size=2)
            if any(np.hypot(cx - px, cy - py) < radius + pr for px, py, pr in placed):
                continue
            placed.append((cx, cy, radius))
            label = int(rng.integers(len(names)))
            color, vertices = COCO_SYNTHETIC_CLASSES[names[label]]
            poly = _shape_polygon(rng, vertices, cx, cy, radius)
            cv2.fillPoly(img, [np.round(poly * 16).astype(np.int32)], color, cv2.LINE_AA, shift=4)
            x0, y0 = poly.min(0)
            x1, y1 = poly.max(0)
            # shoelace area of the polygon
            area = 0.5 * abs(np.dot(poly[:, 0], np.roll(poly[:, 1], 1)) -
                             np.dot(poly[:, 1], np.roll(poly[:, 0], 1)))
            annotations.append(dict(
                id=ann_id, image_id=image_id, category_id=label + 1, iscrowd=0,
                bbox=[round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2),
                      round(float(y1 - y0), 2)],
                area=round(float(area), 2),
                segmentation=[[round(float(v), 2) for v in poly.reshape(-1)]]))
            ann_id += 1
        save_rgb(osp.join(img_dir, file_name), img)
        images.append(dict(id=image_id, file_name=file_name, height=img_size, width=img_size))
    categories = [dict(id=k + 1, name=name, supercategory='shape') for k, name in enumerate(names)]
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    with open(osp.join(out_dir, 'annotations', f'instances_{split}2017.json'), 'w') as f:
        json.dump(dict(info=dict(description='mmext synthetic COCO'), licenses=[], images=images,
                       annotations=annotations, categories=categories), f)


@register_generator('coco')
def generate_coco(out_dir: str, seed: int = 0, num_train: int = 32, num_val: int = 8,
                  img_size: int = 256, max_objects: int = 4) -> None:
    """Write a small COCO-format instance set (boxes and polygon masks)."""
    rng = np.random.default_rng(seed)
    _write_split(rng, out_dir, 'train', num_train, img_size, max_objects, 1, empty_index=-1)
    _write_split(rng, out_dir, 'val', num_val, img_size, max_objects, 100001,
                 empty_index=num_val - 1)
