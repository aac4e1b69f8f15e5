"""Synthetic road assets in the YOLO text layout: formats 'yolo' (detection) and 'yolo_seg'.

Layout (as Ultralytics YOLOv8 reads it)::

    data.yaml                  train: images/train, val: images/val, names: {0: ..., ...}
    images/{train,val}/*.jpg
    labels/{train,val}/*.txt   'yolo': class cx cy w h; 'yolo_seg': class x1 y1 ... xn yn
                               (all normalised to [0, 1])

'yolo' uses the paper's 7 detection classes, 'yolo_seg' its 5 segmentation classes. Each class is
a flat shape with its own colour (a house-shaped pavilion, a bridge deck on two legs, a blue
information sign, a Gamma-shaped single-arm pole, a bus-stop shelter, a yellow warning diamond, a
low concrete guardrail) on a noisy background. The last validation image has no objects and no
label file (a background image, as YOLO datasets have).

Options for data like real road imagery (defaults write exactly the original square sets):

* ``img_size``: an int (square) or ``(w, h)``, e.g. ``(320, 180)`` (16:9) or ``(180, 320)``
  (portrait);
* ``min_objects`` / ``max_objects`` / ``object_area``: objects per image and their area as a
  fraction of the image, e.g. ``min_objects=150, max_objects=300, object_area=(2e-4, 1e-3)``
  for a crowded scene of tiny objects;
* ``tiny_objects``: that many extra objects per image with sides of 2-7 px, below YOLOv8's
  smallest stride (8);
* ``zero_area_objects``: that many zero-area labels per image (a box line with ``w = 0``, or a
  polygon of three points on one row), as exporters leave them; nothing is drawn. Readers refuse
  them unless told to skip them (``degenerate='skip'``);
* ``empty_images``: the first that many images of each split have no objects and no label file.
"""
import os
import os.path as osp
from typing import Sequence, Tuple, Union

import numpy as np

from . import register_generator
from .drawing import fill_polygon, save_rgb, textured_background

DET_CLASSES = ('pavilion', 'pedestrian bridge', 'information sign', 'single-arm pole',
               'bus stop', 'warning sign', 'concrete guardrail')
SEG_CLASSES = ('pavilion', 'pedestrian bridge', 'information sign', 'warning sign',
               'concrete guardrail')

# name -> (RGB colour, (min, max) aspect ratio w / h)
_STYLE = {
    'pavilion': ((170, 100, 50), (0.9, 1.3)),
    'pedestrian bridge': ((60, 60, 190), (2.2, 3.2)),
    'information sign': ((25, 95, 215), (1.4, 2.0)),
    'single-arm pole': ((150, 150, 160), (0.5, 0.7)),
    'bus stop': ((40, 160, 80), (1.3, 1.8)),
    'warning sign': ((245, 205, 20), (0.9, 1.1)),
    'concrete guardrail': ((225, 225, 215), (3.0, 4.5)),
}


def _outline(name: str, x0: float, y0: float, w: float, h: float) -> np.ndarray:
    """The class's polygon (k, 2) inside the box (x0, y0, w, h), touching all four sides."""
    u = np.array  # shorthand
    if name == 'pavilion':  # roof triangle over a body
        pts = u([[0.5, 0], [1, 0.4], [0.85, 0.4], [0.85, 1], [0.15, 1], [0.15, 0.4], [0, 0.4]])
    elif name == 'pedestrian bridge':  # deck on two legs
        pts = u([[0, 0], [1, 0], [1, 1], [0.9, 1], [0.9, 0.3], [0.1, 0.3], [0.1, 1], [0, 1]])
    elif name == 'information sign':
        pts = u([[0, 0], [1, 0], [1, 1], [0, 1]])
    elif name == 'single-arm pole':  # vertical pole with an arm at the top
        pts = u([[0, 0], [1, 0], [1, 0.15], [0.3, 0.15], [0.3, 1], [0, 1]])
    elif name == 'bus stop':  # roof overhang over a shelter
        pts = u([[0, 0], [1, 0], [1, 0.2], [0.92, 0.2], [0.92, 1], [0.08, 1], [0.08, 0.2],
                 [0, 0.2]])
    elif name == 'warning sign':  # diamond
        pts = u([[0.5, 0], [1, 0.5], [0.5, 1], [0, 0.5]])
    elif name == 'concrete guardrail':  # low trapezoid
        pts = u([[0.08, 0], [0.92, 0], [1, 1], [0, 1]])
    else:
        raise KeyError(name)
    return pts * [w, h] + [x0, y0]


def _size_pair(img_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """img_size int or (w, h) -> (w, h)."""
    if isinstance(img_size, (int, np.integer)):
        return int(img_size), int(img_size)
    if len(img_size) != 2 or min(img_size) < 16:
        raise ValueError(f'img_size must be an int or (w, h), each >= 16, got {img_size!r}')
    return int(img_size[0]), int(img_size[1])


def _label_line(label, poly, box, size, polygons):
    """One YOLO label line: the polygon (seg) or the box (x0, y0, w, h) (det), normalised."""
    width, height = size
    if polygons:
        coords = ' '.join(f'{v:.6f}' for v in (poly / np.array([width, height])).reshape(-1))
        return f'{label} {coords}'
    x0, y0, w, h = box
    cx, cy = (x0 + w / 2) / width, (y0 + h / 2) / height
    return f'{label} {cx:.6f} {cy:.6f} {w / width:.6f} {h / height:.6f}'


def _place(rng, boxes, w, h, width, height, margin=2):
    """Top-left corner for a w x h box clear of ``boxes`` (by ``margin`` px), or None."""
    x0 = float(rng.uniform(1, width - w - 1))
    y0 = float(rng.uniform(1, height - h - 1))
    if any(x0 < bx + bw + margin and bx < x0 + w + margin and y0 < by + bh + margin
           and by < y0 + h + margin for bx, by, bw, bh in boxes):
        return None
    return x0, y0


def _write_split(rng, out_dir, split, count, img_size, max_objects, classes, polygons,
                 background_last, min_objects=1, object_area=(0.03, 0.09), tiny_objects=0,
                 zero_area_objects=0, empty_images=0):
    img_dir = osp.join(out_dir, 'images', split)
    lbl_dir = osp.join(out_dir, 'labels', split)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(lbl_dir, exist_ok=True)
    width, height = _size_pair(img_size)
    for i in range(count):
        stem = f'{split}_{i:04d}'
        img = textured_background(rng, height, width, base=(110, 118, 104))
        empty = (background_last and i == count - 1) or i < empty_images
        n = 0 if empty else int(rng.integers(min_objects, max_objects + 1))
        boxes, lines = [], []
        for _ in range(n * 6):
            if len(boxes) == n:
                break
            label = int(rng.integers(len(classes)))
            name = classes[label]
            color, (ar_lo, ar_hi) = _STYLE[name]
            aspect = float(rng.uniform(ar_lo, ar_hi))
            area = float(rng.uniform(*object_area)) * width * height
            w = min(np.sqrt(area * aspect), width * 0.9)
            h = min(area / w, height * 0.9)
            corner = _place(rng, boxes, w, h, width, height)
            if corner is None:
                continue
            x0, y0 = corner
            boxes.append((x0, y0, w, h))
            poly = _outline(name, x0, y0, w, h)
            jitter = rng.integers(-15, 16, size=3)
            fill_polygon(img, poly, np.clip(np.asarray(color) + jitter, 0, 255))
            lines.append(_label_line(label, poly, (x0, y0, w, h), (width, height), polygons))
        for _ in range(0 if empty else tiny_objects * 6):  # below the smallest stride
            if len(boxes) == n + tiny_objects:
                break
            label = int(rng.integers(len(classes)))
            w, h = (float(v) for v in rng.uniform(2.0, 7.0, size=2))
            corner = _place(rng, boxes, w, h, width, height, margin=1)
            if corner is None:
                continue
            boxes.append((*corner, w, h))
            poly = _outline(classes[label], corner[0], corner[1], w, h)
            fill_polygon(img, poly, _STYLE[classes[label]][0])
            lines.append(_label_line(label, poly, (*corner, w, h), (width, height), polygons))
        for _ in range(0 if empty else zero_area_objects):  # annotation artefacts, not drawn
            label = int(rng.integers(len(classes)))
            x0, y0 = float(rng.uniform(1, width - 9)), float(rng.uniform(1, height - 9))
            if polygons:  # three points on one row (exactly collinear after rounding)
                poly = np.array([[x0, y0], [x0 + 4, y0], [x0 + 8, y0]])
            else:
                poly = None
            lines.append(_label_line(label, poly, (x0, y0, 0.0, 8.0), (width, height),
                                     polygons))
        save_rgb(osp.join(img_dir, stem + '.jpg'), img)
        if n or lines:  # (an image whose objects found no room keeps an empty file)
            with open(osp.join(lbl_dir, stem + '.txt'), 'w') as f:
                f.write('\n'.join(lines) + '\n')


def _write_yaml(out_dir, classes):
    names = '\n'.join(f'  {i}: {name}' for i, name in enumerate(classes))
    with open(osp.join(out_dir, 'data.yaml'), 'w') as f:
        f.write('# synthetic road assets (mmext); paths relative to this file\n'
                f'train: images/train\nval: images/val\nnc: {len(classes)}\nnames:\n{names}\n')


def _generate(out_dir, seed, classes, polygons, num_train, num_val, img_size, max_objects,
              **options):
    # the two formats draw different scenes for the same seed
    rng = np.random.default_rng([seed, int(polygons)])
    _write_split(rng, out_dir, 'train', num_train, img_size, max_objects, classes, polygons,
                 background_last=False, **options)
    _write_split(rng, out_dir, 'val', num_val, img_size, max_objects, classes, polygons,
                 background_last=True, **options)
    _write_yaml(out_dir, classes)


@register_generator('yolo')
def generate_yolo(out_dir: str, seed: int = 0, num_train: int = 48, num_val: int = 12,
                  img_size: Union[int, Sequence[int]] = 256, max_objects: int = 3,
                  min_objects: int = 1, object_area: Tuple[float, float] = (0.03, 0.09),
                  tiny_objects: int = 0, zero_area_objects: int = 0,
                  empty_images: int = 0) -> None:
    """Road-asset detection set: the 7 classes, YOLO box labels (options: module docstring)."""
    _generate(out_dir, seed, DET_CLASSES, False, num_train, num_val, img_size, max_objects,
              min_objects=min_objects, object_area=tuple(object_area),
              tiny_objects=tiny_objects, zero_area_objects=zero_area_objects,
              empty_images=empty_images)


@register_generator('yolo_seg')
def generate_yolo_seg(out_dir: str, seed: int = 0, num_train: int = 48, num_val: int = 12,
                      img_size: Union[int, Sequence[int]] = 256, max_objects: int = 3,
                      min_objects: int = 1, object_area: Tuple[float, float] = (0.03, 0.09),
                      tiny_objects: int = 0, zero_area_objects: int = 0,
                      empty_images: int = 0) -> None:
    """Road-asset instance-segmentation set: the 5 classes, YOLO polygon labels (options:
    module docstring)."""
    _generate(out_dir, seed, SEG_CLASSES, True, num_train, num_val, img_size, max_objects,
              min_objects=min_objects, object_area=tuple(object_area),
              tiny_objects=tiny_objects, zero_area_objects=zero_area_objects,
              empty_images=empty_images)
