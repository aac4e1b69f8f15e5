"""Synthetic HRSC2016 in the release layout that mmrotate's ``HRSCDataset`` reads::

    <root>/FullDataSet/AllImages/100000001.bmp
    <root>/FullDataSet/Annotations/100000001.xml
    <root>/ImageSets/{train,val,trainval,test}.txt        one image id a line

Each XML has the HRSC2016 fields: ``HRSC_Image`` with ``Img_ID``, ``Img_FileName``,
``Img_FileFmt``, ``Img_SizeWidth/Height/Depth`` and ``HRSC_Objects/HRSC_Object`` entries holding
``Class_ID`` (``1000000xx``, the HRSC class-id scheme that ``classwise=True`` maps), ``difficult``,
``truncated``, the horizontal box ``box_xmin..box_ymax``, the rotated box ``mbox_cx, mbox_cy,
mbox_w, mbox_h, mbox_ang`` (``mbox_w`` the ship's length, angle in radians in [-π/2, π/2), the
``le90`` convention mmrotate reads it with) and the bow point ``header_x, header_y``.

Scenes are sea with an optional strip of land (as in HRSC's harbour images), ships are long
pointed hulls (aspect 3-7, 40-140 px long) with a light deck and a darker superstructure, so a
detector learns them in a short run. Images are not square, like the real ones. Every
``empty_every``-th image has no ship (HRSC has a few of those too).
"""
import os
import os.path as osp

import cv2
import numpy as np

from . import register_generator
from .drawing import fill_polygon, rbox_to_corners, save_rgb

# HRSC class ids (level 1 'ship' and three level-2 classes), as in mmrotate's HRSCDataset
HRSC_SYNTHETIC_CLASS_IDS = ('100000001', '100000002', '100000003', '100000004')


def _background(rng, height, width):
    sea = np.asarray((38, 72, 104), np.float32)
    low = cv2.resize(rng.normal(0, 1, (max(height // 24, 2), max(width // 24, 2), 1)).astype(
        np.float32), (width, height), interpolation=cv2.INTER_CUBIC)[..., None]
    img = sea + 8 * low + 3 * rng.normal(0, 1, (height, width, 1)).astype(np.float32)
    if rng.random() < 0.5:  # a strip of land along one border
        land = np.zeros((height, width), np.uint8)
        depth = int(rng.uniform(0.12, 0.25) * min(height, width))
        side = int(rng.integers(4))
        if side == 0:
            land[:depth] = 1
        elif side == 1:
            land[-depth:] = 1
        elif side == 2:
            land[:, :depth] = 1
        else:
            land[:, -depth:] = 1
        img[land.astype(bool)] = np.asarray((120, 112, 92), np.float32) + \
            6 * rng.normal(0, 1, (int(land.sum()), 3)).astype(np.float32)
        return np.clip(img, 0, 255).astype(np.uint8), land
    return np.clip(img, 0, 255).astype(np.uint8), np.zeros((height, width), np.uint8)


def _ship_outline(cx, cy, length, beam, theta):
    """Hull polygon (a box with a pointed bow at +length/2) and the bow point."""
    half_l, half_b = length / 2, beam / 2
    local = np.array([[-half_l, -half_b], [half_l - beam, -half_b], [half_l, 0.0],
                      [half_l - beam, half_b], [-half_l, half_b]])
    c, s = np.cos(theta), np.sin(theta)
    rot = np.array([[c, -s], [s, c]])
    pts = local @ rot.T + np.array([cx, cy])
    return pts, pts[2]


def _sample_ships(rng, width, height, land, count):
    ships, placed = [], []
    for _ in range(count * 6):
        if len(ships) == count:
            break
        length = float(rng.uniform(40, min(140, 0.6 * min(width, height))))
        beam = length / float(rng.uniform(3.0, 7.0))
        theta = float(rng.uniform(-np.pi, np.pi))  # heading: the bow may point anywhere
        radius = 0.5 * np.hypot(length, beam)
        cx = float(rng.uniform(radius + 2, width - radius - 2))
        cy = float(rng.uniform(radius + 2, height - radius - 2))
        if land[int(cy), int(cx)] or any(
                np.hypot(cx - x, cy - y) < radius + r + 3 for x, y, r in placed):
            continue
        placed.append((cx, cy, radius))
        ships.append((cx, cy, length, beam, theta))
    return ships


def _le90(theta):
    """Angle of the length axis folded into [-pi/2, pi/2) (the box does not know the bow)."""
    return (theta + np.pi / 2) % np.pi - np.pi / 2


def _xml(img_id, width, height, objects):
    """The HRSC2016 annotation of one image (tags and order of the release files)."""
    image_fields = [
        ('Img_CusType', 'sealand'), ('Img_Location', '0,0'), ('Img_ID', img_id),
        ('Place_ID', '100000001'), ('Source_ID', '100000001'), ('Img_NO', img_id),
        ('Img_FileName', img_id), ('Img_FileFmt', 'bmp'), ('Img_Date', '1900-01-01'),
        ('Img_SizeWidth', width), ('Img_SizeHeight', height), ('Img_SizeDepth', 3),
        ('Img_Resolution', '1.0'), ('Img_Resolution_Layer', 18), ('Img_Scale', 100),
        ('Img_SclPxlNum', ''), ('segmented', 0), ('Img_havemask', 0), ('Img_MaskFileName', ''),
        ('Img_MaskFileFmt', ''), ('Img_MaskType', ''), ('Img_SegFileName', ''),
        ('Img_SegFileFmt', ''), ('Img_ObjectPoseType', '')
    ]

    def tag(name, value, indent):
        pad = ' ' * indent
        return f'{pad}<{name}>{value}</{name}>' if value != '' else f'{pad}<{name} />'

    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<HRSC_Image>']
    lines += [tag(k, v, 2) for k, v in image_fields]
    lines.append('  <HRSC_Objects>')
    for k, obj in enumerate(objects):
        cx, cy, w, h, ang = obj['mbox']
        fields = [('Object_ID', int(img_id) * 100 + k), ('Class_ID', obj['class_id']),
                  ('Object_NO', k + 1), ('truncated', 0), ('difficult', obj['difficult']),
                  ('box_xmin', obj['hbb'][0]), ('box_ymin', obj['hbb'][1]),
                  ('box_xmax', obj['hbb'][2]), ('box_ymax', obj['hbb'][3]),
                  ('mbox_cx', f'{cx:.4f}'), ('mbox_cy', f'{cy:.4f}'), ('mbox_w', f'{w:.4f}'),
                  ('mbox_h', f'{h:.4f}'), ('mbox_ang', f'{ang:.6f}'), ('segmented', 0),
                  ('seg_color', ''), ('header_x', obj['header'][0]),
                  ('header_y', obj['header'][1])]
        lines += ['    <HRSC_Object>'] + [tag(k_, v, 6) for k_, v in fields]
        lines.append('    </HRSC_Object>')
    lines += ['  </HRSC_Objects>', '</HRSC_Image>']
    return '\n'.join(lines) + '\n'


@register_generator('hrsc')
def generate_hrsc(out_dir: str, seed: int = 0, num_trainval: int = 16, num_test: int = 6,
                  img_width: int = 320, img_height: int = 256, max_ships: int = 4,
                  empty_every: int = 10) -> None:
    """Write ``num_trainval`` + ``num_test`` images of ``img_width`` x ``img_height`` px (BMP)
    with their HRSC2016 XML annotations and the ``ImageSets`` lists (``train``/``val`` split the
    ``trainval`` ids in half)."""
    rng = np.random.default_rng(seed)
    img_dir = osp.join(out_dir, 'FullDataSet', 'AllImages')
    ann_dir = osp.join(out_dir, 'FullDataSet', 'Annotations')
    set_dir = osp.join(out_dir, 'ImageSets')
    for d in (img_dir, ann_dir, set_dir):
        os.makedirs(d, exist_ok=True)
    ids = []
    for i in range(num_trainval + num_test):
        img_id = f'1{i + 1:08d}'
        ids.append(img_id)
        img, land = _background(rng, img_height, img_width)
        count = 0 if empty_every and i % empty_every == empty_every - 1 else int(
            rng.integers(1, max_ships + 1))
        objects = []
        for cx, cy, length, beam, theta in _sample_ships(rng, img_width, img_height, land, count):
            hull, bow = _ship_outline(cx, cy, length, beam, theta)
            fill_polygon(img, hull, (206, 206, 200))
            fill_polygon(img, rbox_to_corners(cx - 0.1 * length * np.cos(theta),
                                              cy - 0.1 * length * np.sin(theta), 0.3 * length,
                                              0.55 * beam, theta), (70, 72, 80))
            corners = rbox_to_corners(cx, cy, length, beam, theta)
            class_id = HRSC_SYNTHETIC_CLASS_IDS[int(rng.integers(len(HRSC_SYNTHETIC_CLASS_IDS)))]
            objects.append(
                dict(class_id=class_id,
                     difficult=0,
                     hbb=[int(np.floor(corners[:, 0].min())), int(np.floor(corners[:, 1].min())),
                          int(np.ceil(corners[:, 0].max())), int(np.ceil(corners[:, 1].max()))],
                     mbox=(cx, cy, length, beam, float(_le90(theta))),
                     header=(int(round(bow[0])), int(round(bow[1])))))
        save_rgb(osp.join(img_dir, img_id + '.bmp'), img)
        with open(osp.join(ann_dir, img_id + '.xml'), 'w', encoding='utf-8') as f:
            f.write(_xml(img_id, img_width, img_height, objects))
    trainval, test = ids[:num_trainval], ids[num_trainval:]
    half = len(trainval) // 2
    for name, subset in (('trainval', trainval), ('train', trainval[:half]),
                         ('val', trainval[half:]), ('test', test)):
        with open(osp.join(set_dir, name + '.txt'), 'w') as f:
            f.write(''.join(x + '\n' for x in subset))
