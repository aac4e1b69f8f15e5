"""Reading the YOLO text annotation format (Ultralytics layout) into COCO dictionaries.

Layout::

    <root>/data.yaml                 path: <root>, train: images/train, val: images/val,
                                     names: {0: name0, 1: name1, ...}  (or a list)
    <root>/images/<split>/<name>.jpg
    <root>/labels/<split>/<name>.txt one object per line, coordinates normalised to [0, 1]:
        box:     <class> <cx> <cy> <w> <h>
        polygon: <class> <x1> <y1> <x2> <y2> ... <xn> <yn>   (n >= 3)

An image without a label file, or with an empty one, has no objects. Used by
``tools/dataset_converters/yolo2coco.py`` and by :class:`RoadAssetDataset` when its ``ann_file``
is a YOLO label folder.
"""
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
# coordinates within this margin outside [0, 1] are clipped silently (rounding in exporters)
_TOLERANCE = 0.01


def read_data_yaml(path: str) -> dict:
    """Read an Ultralytics data yaml.

    Returns:
        dict: ``root`` (absolute), ``names`` (list of class names in id order) and ``splits``
        mapping each of train/val/test present to its image folder.
    """
    import yaml
    if not osp.isfile(path):
        raise FileNotFoundError(f'YOLO data yaml not found: {path}')
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if 'names' not in data:
        raise KeyError(f"{path}: no 'names' field (the class names)")
    names = data['names']
    if isinstance(names, dict):
        ids = sorted(int(k) for k in names)
        if ids != list(range(len(ids))):
            raise ValueError(f"{path}: 'names' ids must be 0..{len(ids) - 1}, got {ids}")
        names = [str(names[k] if k in names else names[str(k)]) for k in ids]
    else:
        names = [str(n) for n in names]
    if 'nc' in data and int(data['nc']) != len(names):
        raise ValueError(f"{path}: 'nc' is {data['nc']} but 'names' lists {len(names)} classes")
    root = data.get('path') or '.'
    if not osp.isabs(root):
        root = osp.join(osp.dirname(osp.abspath(path)), root)
    splits = {}
    for split in ('train', 'val', 'test'):
        value = data.get(split)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"{path}: '{split}' must be one image folder, got {value!r}")
        splits[split] = value if osp.isabs(value) else osp.normpath(osp.join(root, value))
    return dict(root=osp.normpath(root), names=names, splits=splits)


def label_dir_for(image_dir: str) -> str:
    """Ultralytics' rule: the label folder is the image folder with its last ``images`` path
    component replaced by ``labels``."""
    parts = osp.normpath(image_dir).split(os.sep)
    if 'images' not in parts:
        raise ValueError(f"image folder {image_dir} has no 'images' component, so its label "
                         'folder cannot be derived; pass the label folder explicitly')
    i = len(parts) - 1 - parts[::-1].index('images')
    parts[i] = 'labels'
    return os.sep.join(parts)


def image_size(path: str):
    """(width, height) of an image as the loaders see it (EXIF rotation applied)."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            w, h = img.size
            orientation = img.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f'corrupt or unreadable image: {path} ({e})') from e
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _list_images(image_dir: str) -> List[str]:
    found = []
    for dirpath, _, files in os.walk(image_dir):
        for name in files:
            if name.lower().endswith(IMG_EXTENSIONS):
                found.append(osp.relpath(osp.join(dirpath, name), image_dir))
    return sorted(found)


def parse_label_file(path: str, num_classes: int, width: int, height: int,
                     task: str = 'auto') -> List[dict]:
    """Objects of one YOLO label file, in pixels.

    Args:
        path: The ``.txt`` file.
        num_classes: Class ids must lie in ``[0, num_classes)``.
        width, height: Image size, to de-normalise.
        task: 'detect' (boxes and polygons accepted), 'segment' (polygons required) or 'auto'.

    Returns:
        list[dict]: ``label``, ``bbox`` [x1, y1, x2, y2], ``area`` and, for polygon lines,
        ``polygon`` [x1, y1, ..., xn, yn].

    Raises:
        ValueError: naming the file, line and field, for a malformed line, a class id out of
        range, a coordinate outside [0, 1], a degenerate box or polygon, or a box line when
        ``task='segment'``.
    """
    objects = []
    with open(path) as f:
        lines = f.read().splitlines()
    for lineno, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        where = f'{path}:{lineno}'
        try:
            cls = int(fields[0])
        except ValueError:
            raise ValueError(f'{where}: class id {fields[0]!r} is not an integer') from None
        if not 0 <= cls < num_classes:
            raise ValueError(f'{where}: class id {cls} out of range [0, {num_classes})')
        try:
            values = np.array([float(v) for v in fields[1:]], dtype=np.float64)
        except ValueError:
            raise ValueError(f'{where}: non-numeric coordinate in {line!r}') from None
        if not np.isfinite(values).all():
            raise ValueError(f'{where}: non-finite coordinate in {line!r}')
        if len(values) == 4:
            if task == 'segment':
                raise ValueError(f'{where}: a box line (class cx cy w h) in a segmentation set; '
                                 'segmentation labels need polygons (class x1 y1 ... xn yn)')
            cx, cy, w, h = values
            if w <= 0 or h <= 0:
                raise ValueError(f'{where}: degenerate box, field {"w" if w <= 0 else "h"} = '
                                 f'{w if w <= 0 else h}')
            xy = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
            polygon = None
        elif len(values) >= 6 and len(values) % 2 == 0:
            xy = values
            polygon = values
        else:
            raise ValueError(f'{where}: {len(fields)} fields; expected 5 (class cx cy w h) or an '
                             'odd number >= 7 (class x1 y1 ... xn yn, n >= 3)')
        if (xy < -_TOLERANCE).any() or (xy > 1 + _TOLERANCE).any():
            raise ValueError(f'{where}: normalised coordinate outside [0, 1]: {line!r}')
        scale = np.array([width, height])
        if polygon is None:
            x1, y1, x2, y2 = (np.clip(xy, 0, 1).reshape(2, 2) * scale).reshape(-1)
            area = (x2 - x1) * (y2 - y1)
        else:
            pts = np.clip(polygon, 0, 1).reshape(-1, 2) * scale
            x1, y1 = pts.min(0)
            x2, y2 = pts.max(0)
            area = 0.5 * abs(np.dot(pts[:, 0], np.roll(pts[:, 1], 1)) -
                             np.dot(pts[:, 1], np.roll(pts[:, 0], 1)))
            polygon = [round(float(v), 2) for v in pts.reshape(-1)]
        if x2 - x1 <= 0 or y2 - y1 <= 0 or area <= 0:
            raise ValueError(f'{where}: degenerate object (zero width, height or area after '
                             f'clipping to the image): {line!r}')
        obj = dict(label=cls, bbox=[float(x1), float(y1), float(x2), float(y2)],
                   area=float(area))
        if polygon is not None:
            obj['polygon'] = polygon
        objects.append(obj)
    return objects


def yolo_to_coco(image_dir: str, label_dir: Optional[str], class_names: Sequence[str],
                 task: str = 'auto', first_image_id: int = 1) -> Dict:
    """Build a COCO instances dictionary from one YOLO split.

    Args:
        image_dir: Folder of the split's images (searched recursively).
        label_dir: Folder of its label files (same relative paths, ``.txt``); None derives it
            with :func:`label_dir_for`.
        class_names: Names of class ids 0..K-1; COCO category ids are ``id + 1``.
        task: See :func:`parse_label_file`.
        first_image_id: Id of the first image.

    Returns:
        dict: ``images`` (``file_name`` relative to ``image_dir``), ``annotations`` (``bbox``
        [x, y, w, h], ``area``, ``iscrowd`` 0, ``segmentation`` for polygon labels) and
        ``categories``.
    """
    if task not in ('auto', 'detect', 'segment'):
        raise ValueError(f"task must be 'auto', 'detect' or 'segment', got {task!r}")
    if not osp.isdir(image_dir):
        raise FileNotFoundError(f'YOLO image folder not found: {image_dir}')
    label_dir = label_dir_for(image_dir) if label_dir is None else label_dir
    if not osp.isdir(label_dir):
        raise FileNotFoundError(f'YOLO label folder not found: {label_dir} (images: {image_dir})')
    images = _list_images(image_dir)
    if not images:
        raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) in {image_dir}')
    stems = {osp.splitext(p)[0] for p in images}
    for dirpath, _, files in os.walk(label_dir):
        for name in files:
            if name.endswith('.txt'):
                rel = osp.splitext(osp.relpath(osp.join(dirpath, name), label_dir))[0]
                if rel not in stems:
                    raise FileNotFoundError(f'label file {osp.join(dirpath, name)} has no image '
                                            f'{rel}.* in {image_dir}')
    coco = dict(info=dict(description=f'converted from YOLO labels in {label_dir}'),
                licenses=[], images=[], annotations=[],
                categories=[dict(id=i + 1, name=n, supercategory='none')
                            for i, n in enumerate(class_names)])
    ann_id = 1
    num_empty = 0
    for k, rel in enumerate(images):
        image_id = first_image_id + k
        w, h = image_size(osp.join(image_dir, rel))
        coco['images'].append(dict(id=image_id, file_name=rel, width=w, height=h))
        label_path = osp.join(label_dir, osp.splitext(rel)[0] + '.txt')
        objects = parse_label_file(label_path, len(class_names), w, h, task) \
            if osp.isfile(label_path) else []
        num_empty += not objects
        for obj in objects:
            x1, y1, x2, y2 = obj['bbox']
            ann = dict(id=ann_id, image_id=image_id, category_id=obj['label'] + 1,
                       bbox=[round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                       area=round(obj['area'], 2), iscrowd=0)
            if 'polygon' in obj:
                ann['segmentation'] = [obj['polygon']]
            coco['annotations'].append(ann)
            ann_id += 1
    if num_empty == len(images):
        warnings.warn(f'no objects at all in {label_dir} ({len(images)} images)')
    return coco
