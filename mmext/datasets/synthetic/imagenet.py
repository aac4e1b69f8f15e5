"""Synthetic ImageNet-1k in the layout mmpretrain's ``ImageNet`` dataset reads.

::

    train/<wnid>/<wnid>_<n>.JPEG          images of class <wnid>
    val/ILSVRC2012_val_<8 digits>.JPEG    flat folder, as the real validation set
    meta/train.txt                        "<wnid>/<wnid>_<n>.JPEG <label>"
    meta/val.txt                          "ILSVRC2012_val_<8 digits>.JPEG <label>"

The classes are the first ``num_classes`` synsets of ImageNet-1k in their standard order, so the
labels are real ImageNet indices (0 tench, 1 goldfish, ...) and a 1000-way head applies
unchanged; ``ImageNet(data_root=..., split='train'|'val')`` and ``CustomDataset`` both read it.
Each class has its own colour and stripe orientation, learnable by a small network in a few
epochs.
"""
import os
import os.path as osp

import numpy as np

from . import register_generator
from .drawing import save_rgb

# the first synsets of ImageNet-1k in index order
IMAGENET_FIRST_WNIDS = ('n01440764', 'n01443537', 'n01484850', 'n01491361', 'n01494475',
                        'n01496331', 'n01498041', 'n01514668', 'n01514859', 'n01518878')


def _class_image(rng: np.random.Generator, label: int, num_classes: int, size: int) -> np.ndarray:
    hue = 2 * np.pi * label / num_classes
    color = 128 + 100 * np.array([np.cos(hue), np.cos(hue - 2.1), np.cos(hue + 2.1)])
    angle = np.pi * label / num_classes + rng.normal(0, 0.1)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    stripes = 40 * np.sin((xx * np.cos(angle) + yy * np.sin(angle)) / 3.0 + rng.uniform(0, 6.3))
    img = color[None, None] + stripes[..., None] + rng.normal(0, 12, size=(size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


@register_generator('imagenet')
def generate_imagenet(out_dir: str, seed: int = 0, num_classes: int = 4,
                      num_train_per_class: int = 8, num_val_per_class: int = 3,
                      img_size: int = 64) -> None:
    """Write ``num_classes`` (<= 10) ImageNet classes with small JPEG images under ``out_dir``."""
    if not 1 <= num_classes <= len(IMAGENET_FIRST_WNIDS):
        raise ValueError(f'num_classes must be in [1, {len(IMAGENET_FIRST_WNIDS)}], '
                         f'got {num_classes}')
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(out_dir, 'meta'), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'val'), exist_ok=True)
    train_lines, val_lines = [], []
    for label, wnid in enumerate(IMAGENET_FIRST_WNIDS[:num_classes]):
        os.makedirs(osp.join(out_dir, 'train', wnid), exist_ok=True)
        for n in range(num_train_per_class):
            name = f'{wnid}/{wnid}_{n}.JPEG'
            save_rgb(osp.join(out_dir, 'train', name), _class_image(rng, label, num_classes,
                                                                    img_size))
            train_lines.append(f'{name} {label}')
    val_labels = np.repeat(np.arange(num_classes), num_val_per_class)
    rng.shuffle(val_labels)  # the real validation set is not sorted by class
    for n, label in enumerate(val_labels, start=1):
        name = f'ILSVRC2012_val_{n:08d}.JPEG'
        save_rgb(osp.join(out_dir, 'val', name), _class_image(rng, int(label), num_classes,
                                                              img_size))
        val_lines.append(f'{name} {label}')
    for split, lines in (('train', train_lines), ('val', val_lines)):
        with open(osp.join(out_dir, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
