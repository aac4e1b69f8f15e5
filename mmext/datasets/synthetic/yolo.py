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
"""
import os
import os.path as osp

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


def _write_split(rng, out_dir, split, count, img_size, max_objects, classes, polygons,
                 background_last):
    img_dir = osp.join(out_dir, 'images', split)
    lbl_dir = osp.join(out_dir, 'labels', split)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(lbl_dir, exist_ok=True)
    for i in range(count):
        stem = f'{split}_{i:04d}'
        img = textured_background(rng, img_size, img_size, base=(110, 118, 104))
        n = 0 if (background_last and i == count - 1) else int(rng.integers(1, max_objects + 1))
        boxes, lines = [], []
        for _ in range(n * 6):
            if len(boxes) == n:
                break
            label = int(rng.integers(len(classes)))
            name = classes[label]
            color, (ar_lo, ar_hi) = _STYLE[name]
            aspect = float(rng.uniform(ar_lo, ar_hi))
            area = float(rng.uniform(0.03, 0.09)) * img_size * img_size
            w = min(np.sqrt(area * aspect), img_size * 0.9)
            h = min(area / w, img_size * 0.9)
            x0 = float(rng.uniform(1, img_size - w - 1))
            y0 = float(rng.uniform(1, img_size - h - 1))
            if any(x0 < bx + bw + 2 and bx < x0 + w + 2 and y0 < by + bh + 2 and by < y0 + h + 2
                   for bx, by, bw, bh in boxes):
                continue
            boxes.append((x0, y0, w, h))
            poly = _outline(name, x0, y0, w, h)
            jitter = rng.integers(-15, 16, size=3)
            fill_polygon(img, poly, np.clip(np.asarray(color) + jitter, 0, 255))
            if polygons:
                coords = ' '.join(f'{v:.6f}' for v in (poly / img_size).reshape(-1))
                lines.append(f'{label} {coords}')
            else:
                cx, cy = (x0 + w / 2) / img_size, (y0 + h / 2) / img_size
                lines.append(f'{label} {cx:.6f} {cy:.6f} {w / img_size:.6f} {h / img_size:.6f}')
        save_rgb(osp.join(img_dir, stem + '.jpg'), img)
        if n:
            with open(osp.join(lbl_dir, stem + '.txt'), 'w') as f:
                f.write('\n'.join(lines) + '\n')


def _write_yaml(out_dir, classes):
    names = '\n'.join(f'  {i}: {name}' for i, name in enumerate(classes))
    with open(osp.join(out_dir, 'data.yaml'), 'w') as f:
        f.write('# synthetic road assets (mmext); paths relative to this file\n'
                f'train: images/train\nval: images/val\nnc: {len(classes)}\nnames:\n{names}\n')


def _generate(out_dir, seed, classes, polygons, num_train, num_val, img_size, max_objects):
    # the two formats draw different scenes for the same seed
    rng = np.random.default_rng([seed, int(polygons)])
    _write_split(rng, out_dir, 'train', num_train, img_size, max_objects, classes, polygons,
                 background_last=False)
    _write_split(rng, out_dir, 'val', num_val, img_size, max_objects, classes, polygons,
                 background_last=True)
    _write_yaml(out_dir, classes)


@register_generator('yolo')
def generate_yolo(out_dir: str, seed: int = 0, num_train: int = 48, num_val: int = 12,
                  img_size: int = 256, max_objects: int = 3) -> None:
    """Road-asset detection set: the 7 classes, YOLO box labels."""
    _generate(out_dir, seed, DET_CLASSES, False, num_train, num_val, img_size, max_objects)


@register_generator('yolo_seg')
def generate_yolo_seg(out_dir: str, seed: int = 0, num_train: int = 48, num_val: int = 12,
                      img_size: int = 256, max_objects: int = 3) -> None:
    """Road-asset instance-segmentation set: the 5 classes, YOLO polygon labels."""
    _generate(out_dir, seed, SEG_CLASSES, True, num_train, num_val, img_size, max_objects)
