"""Synthetic COCO: ``{train,val}2017/*.jpg`` + ``annotations/instances_{train,val}2017.json``.

Instances carry a box ``[x, y, w, h]``, a polygon ``segmentation``, ``area`` and ``iscrowd=0``, as
in the real COCO files. Each class has its own colour and shape. One validation image has no
objects (real COCO has such images too).

Options make the set look like real data (all off by default; the default output is unchanged):
non-square images (``img_size=(w, h)``), objects smaller than the smallest FPN stride
(``tiny_objects``), zero-area annotations (``zero_area``), objects running past the image border
(``out_of_image``), crowded images with hundreds of tiny objects (``crowded_images`` x
``crowd_size``) and training images without objects (``empty_images``).
"""
import json
import os
import os.path as osp

from typing import Sequence, Union

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


def _annotation(ann_id, image_id, label, poly):
    """A COCO instance of polygon ``poly`` (N, 2): box, shoelace area and segmentation."""
    x0, y0 = poly.min(0)
    x1, y1 = poly.max(0)
    area = 0.5 * abs(np.dot(poly[:, 0], np.roll(poly[:, 1], 1)) -
                     np.dot(poly[:, 1], np.roll(poly[:, 0], 1)))
    return dict(
        id=ann_id, image_id=image_id, category_id=label + 1, iscrowd=0,
        bbox=[round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2),
              round(float(y1 - y0), 2)],
        area=round(float(area), 2),
        segmentation=[[round(float(v), 2) for v in poly.reshape(-1)]])


def _draw(img, poly, color):
    cv2.fillPoly(img, [np.round(poly * 16).astype(np.int32)], color, cv2.LINE_AA, shift=4)


def _extra_objects(rng, img, image_id, ann_id, width, height, names, realism, crowded):
    """The realism options' objects of one image; returns their annotations."""
    anns = []
    count_tiny = realism['tiny_objects'] + (realism['crowd_size'] if crowded else 0)
    for _ in range(count_tiny):  # below the smallest stride (8): 1.5-3.5 px radius
        radius = float(rng.uniform(1.5, 3.5))
        cx, cy = rng.uniform(radius, width - radius), rng.uniform(radius, height - radius)
        label = int(rng.integers(len(names)))
        color, vertices = COCO_SYNTHETIC_CLASSES[names[label]]
        poly = _shape_polygon(rng, vertices, cx, cy, radius)
        _draw(img, poly, color)
        anns.append(_annotation(ann_id + len(anns), image_id, label, poly))
    for _ in range(realism['out_of_image']):  # centre near a border: the object runs past it
        radius = float(rng.uniform(0.08, 0.2) * min(width, height))
        side = int(rng.integers(4))
        cx = [-0.3 * radius, width + 0.3 * radius][side % 2] if side < 2 else \
            float(rng.uniform(0, width))
        cy = float(rng.uniform(0, height)) if side < 2 else \
            [-0.3 * radius, height + 0.3 * radius][side % 2]
        label = int(rng.integers(len(names)))
        color, vertices = COCO_SYNTHETIC_CLASSES[names[label]]
        poly = _shape_polygon(rng, vertices, cx, cy, radius)
        _draw(img, poly, color)
        anns.append(_annotation(ann_id + len(anns), image_id, label, poly))
    for _ in range(realism['zero_area']):  # a degenerate annotation (a line), as COCO has a few
        x, y = float(rng.uniform(0, width - 8)), float(rng.uniform(0, height - 8))
        poly = np.array([[x, y], [x + 6, y], [x + 6, y]])
        anns.append(_annotation(ann_id + len(anns), image_id, int(rng.integers(len(names))),
                                poly))
    return anns


def _write_split(rng, out_dir, split, count, img_size, max_objects, first_id, empty_index,
                 realism=None):
    img_dir = osp.join(out_dir, f'{split}2017')
    os.makedirs(img_dir, exist_ok=True)
    names = list(COCO_SYNTHETIC_CLASSES)
    images, annotations = [], []
    ann_id = first_id
    width, height = (img_size, img_size) if isinstance(img_size, int) else img_size
    short = min(width, height)
    realism = realism or {}
    empty = set(range(count - realism.get('empty_images', 0), count)) | {empty_index}
    crowded = set(range(1, 1 + realism.get('crowded_images', 0)))
    for i in range(count):
        image_id = first_id + i
        file_name = f'{image_id:012d}.jpg'
        img = textured_background(rng, height, width)
        n = 0 if i in empty else int(rng.integers(1, max_objects + 1))
        placed = []
        for _ in range(n * 4):
            if len(placed) == n:
                break
            radius = float(rng.uniform(short * 0.05, short * 0.18))
            if width == height:
                cx, cy = rng.uniform(radius + 1, width - radius - 1, size=2)
            else:
                cx = rng.uniform(radius + 1, width - radius - 1)
                cy = rng.uniform(radius + 1, height - radius - 1)
            if any(np.hypot(cx - px, cy - py) < radius + pr for px, py, pr in placed):
                continue
            placed.append((cx, cy, radius))
            label = int(rng.integers(len(names)))
            color, vertices = COCO_SYNTHETIC_CLASSES[names[label]]
            poly = _shape_polygon(rng, vertices, cx, cy, radius)
            _draw(img, poly, color)
            annotations.append(_annotation(ann_id, image_id, label, poly))
            ann_id += 1
        if realism and i not in empty:
            extra = _extra_objects(rng, img, image_id, ann_id, width, height, names,
                                   realism, i in crowded)
            annotations.extend(extra)
            ann_id += len(extra)
        save_rgb(osp.join(img_dir, file_name), img)
        images.append(dict(id=image_id, file_name=file_name, height=height, width=width))
    categories = [dict(id=k + 1, name=name, supercategory='shape') for k, name in enumerate(names)]
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    with open(osp.join(out_dir, 'annotations', f'instances_{split}2017.json'), 'w') as f:
        json.dump(dict(info=dict(description='mmext synthetic COCO'), licenses=[], images=images,
                       annotations=annotations, categories=categories), f)


@register_generator('coco')
def generate_coco(out_dir: str, seed: int = 0, num_train: int = 32, num_val: int = 8,
                  img_size: Union[int, Sequence[int]] = 256, max_objects: int = 4,
                  tiny_objects: int = 0, zero_area: int = 0, out_of_image: int = 0,
                  crowded_images: int = 0, crowd_size: int = 200,
                  empty_images: int = 0) -> None:
    """Write a small COCO-format instance set (boxes and polygon masks).

    Args:
        img_size (int | (w, h)): image size; ``(w, h)`` for non-square images (16:9, portrait).
        max_objects (int): most regular objects per image (at least one, except empty images).
        tiny_objects (int): objects of 3-7 px (below the smallest FPN stride) per non-empty image.
        zero_area (int): zero-area annotations (a line: height 0) per non-empty image.
        out_of_image (int): objects per non-empty image whose centre lies just outside the image
            (box partly outside; COCO's boxes are clipped, a user's may not be).
        crowded_images (int): training and validation images (from the second on) with
            ``crowd_size`` more tiny objects (crowded scenes).
        empty_images (int): the last ``empty_images`` training images have no objects (the last
            validation image never has any).
    With every option at its default the output is byte-identical to the generator without them.
    """
    if isinstance(img_size, (list, tuple)):
        if len(img_size) != 2:
            raise ValueError(f'generate_coco: img_size={img_size!r} must be an int or (w, h)')
        img_size = (int(img_size[0]), int(img_size[1]))
    realism = dict(tiny_objects=tiny_objects, zero_area=zero_area, out_of_image=out_of_image,
                   crowded_images=crowded_images, crowd_size=crowd_size, empty_images=0)
    on = any((tiny_objects, zero_area, out_of_image, crowded_images, empty_images))
    rng = np.random.default_rng(seed)
    _write_split(rng, out_dir, 'train', num_train, img_size, max_objects, 1, empty_index=-1,
                 realism=dict(realism, empty_images=empty_images) if on else None)
    _write_split(rng, out_dir, 'val', num_val, img_size, max_objects, 100001,
                 empty_index=num_val - 1, realism=realism if on else None)
