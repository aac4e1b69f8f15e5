"""Reading the YOLO text annotation format (Ultralytics layout) into COCO dictionaries.

Layout::

    <root>/data.yaml                 path: <root>, train: images/train, val: images/val,
                                     names: {0: name0, 1: name1, ...}  (or a list)
    <root>/images/<split>/<name>.jpg
    <root>/labels/<split>/<name>.txt one object per line, coordinates normalised to [0, 1]:
        box:     <class> <cx> <cy> <w> <h>
        polygon: <class> <x1> <y1> <x2> <y2> ... <xn> <yn>   (n >= 3)

An image without a label file, or with an empty one, has no objects. Used by
:mod:`mmext.datasets.converters.yolo2coco` and by :class:`RoadAssetDataset` when its
``ann_file`` is a YOLO label folder.

What real exports contain, and how it is read:

* ``names`` as a list or as a ``{id: name}`` dict (ids 0..K-1); ``nc``, when given, must agree;
* a split given as an image folder, a ``.txt`` file listing images (one path a line, relative
  to the list file's folder or absolute), or a list of these (Ultralytics);
* Roboflow's ``train: ../train/images`` beside a data.yaml inside the dataset folder: a path
  starting with ``../`` that does not exist is read without it (Ultralytics' rule);
* a ``classes.txt`` (LabelImg) in a label folder is not a label file: it is compared with
  ``names`` and refused, with the line that differs, when it disagrees;
* class ids written as integral floats (``3.0``, some exporters) are read as integers;
  ``3.5`` is refused with the file and line.
"""
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
# coordinates within this margin outside [0, 1] are clipped silently (rounding in exporters)
_TOLERANCE = 0.01


def class_names_from(names, where: str) -> List[str]:
    """``names`` of a data yaml (a list, or a dict {id: name} with ids 0..K-1) -> list."""
    if isinstance(names, dict):
        try:
            ids = {int(k): v for k, v in names.items()}
        except (TypeError, ValueError):
            raise ValueError(f"{where}: 'names' keys must be class ids 0..K-1, got "
                             f'{list(names)}') from None
        if sorted(ids) != list(range(len(ids))):
            raise ValueError(f"{where}: 'names' ids must be 0..{len(ids) - 1}, got "
                             f'{sorted(ids)}')
        return [str(ids[k]) for k in range(len(ids))]
    if isinstance(names, (list, tuple)):
        return [str(n) for n in names]
    raise ValueError(f"{where}: 'names' must be a list or a dict {{id: name}}, got {names!r}")


def _resolve_split_path(value: str, root: str) -> str:
    """A split entry relative to ``root``; Roboflow's ``../x`` falls back to ``root/x``."""
    if osp.isabs(value):
        return osp.normpath(value)
    path = osp.normpath(osp.join(root, value))
    if not osp.exists(path) and value.startswith('../'):
        inside = osp.normpath(osp.join(root, value[3:]))
        if osp.exists(inside):
            return inside
    return path


def read_data_yaml(path: str) -> dict:
    """Read an Ultralytics data yaml.

    Returns:
        dict: ``root`` (absolute), ``names`` (list of class names in id order) and ``splits``
        mapping each of train/val/test present to its source: an image folder or a ``.txt``
        image list (a ``str``), or a list of these.
    """
    import yaml
    if not osp.isfile(path):
        raise FileNotFoundError(f'YOLO data yaml not found: {path}')
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a mapping (train/val/names), got {type(data).__name__}')
    if 'names' not in data:
        raise KeyError(f"{path}: no 'names' field (the class names)")
    names = class_names_from(data['names'], path)
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
        if isinstance(value, str):
            splits[split] = _resolve_split_path(value, root)
        elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, str) for v in value):
            splits[split] = [_resolve_split_path(v, root) for v in value]
        else:
            raise ValueError(f"{path}: '{split}' must be an image folder, a .txt image list or "
                             f'a list of these, got {value!r}')
    return dict(root=osp.normpath(root), names=names, splits=splits)


def read_image_list(path: str) -> List[str]:
    """Absolute image paths of a ``.txt`` split file (one a line; relative lines are relative
    to the file's folder, as Ultralytics' ``./`` lines; blank lines skipped)."""
    base = osp.dirname(osp.abspath(path))
    out = []
    with open(path) as f:
        for lineno, line in enumerate(f.read().splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            if not line.lower().endswith(IMG_EXTENSIONS):
                raise ValueError(f'{path}:{lineno}: {line!r} is not an image file '
                                 f'({", ".join(IMG_EXTENSIONS)})')
            img = line if osp.isabs(line) else osp.normpath(osp.join(base, line))
            if not osp.isfile(img):
                raise FileNotFoundError(f'{path}:{lineno}: image {img} not found')
            out.append(img)
    if not out:
        raise FileNotFoundError(f'{path}: the image list is empty')
    return out


def split_images(source) -> List[str]:
    """Absolute image paths of a split source (folder, ``.txt`` list, or a list of these)."""
    sources = [source] if isinstance(source, str) else list(source)
    images = []
    for src in sources:
        if osp.isdir(src):
            found = _list_images(src)
            if not found:
                raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) in {src}')
            images += [osp.join(src, p) for p in found]
        elif osp.isfile(src) and src.endswith('.txt'):
            images += read_image_list(src)
        else:
            raise FileNotFoundError(f'YOLO split source not found (an image folder or a .txt '
                                    f'image list): {src}')
    return images


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
                     task: str = 'auto', degenerate: str = 'error',
                     skipped: Optional[List[str]] = None) -> List[dict]:
    """Objects of one YOLO label file, in pixels.

    Args:
        path: The ``.txt`` file.
        num_classes: Class ids must lie in ``[0, num_classes)``.
        width, height: Image size, to de-normalise.
        task: 'detect' (boxes and polygons accepted), 'segment' (polygons required) or 'auto'.
        degenerate: 'error' refuses a zero-width, zero-height or zero-area object; 'skip'
            leaves it out and appends ``file:line`` to ``skipped`` (the caller reports them).
        skipped: See ``degenerate``.

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
            cls_value = float(fields[0])
        except ValueError:
            raise ValueError(f'{where}: class id {fields[0]!r} is not an integer') from None
        if not np.isfinite(cls_value) or cls_value != int(cls_value):
            raise ValueError(f'{where}: class id {fields[0]!r} is not an integer')
        cls = int(cls_value)
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
            if (w <= 0 or h <= 0) and degenerate == 'skip' and w >= 0 and h >= 0:
                if skipped is not None:
                    skipped.append(where)
                continue
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
            if degenerate == 'skip':
                if skipped is not None:
                    skipped.append(where)
                continue
            raise ValueError(f'{where}: degenerate object (zero width, height or area after '
                             f'clipping to the image): {line!r}')
        obj = dict(label=cls, bbox=[float(x1), float(y1), float(x2), float(y2)],
                   area=float(area))
        if polygon is not None:
            obj['polygon'] = polygon
        objects.append(obj)
    return objects


def check_classes_txt(path: str, class_names: Sequence[str]) -> None:
    """A LabelImg ``classes.txt`` (one name a line) must list ``class_names`` in order."""
    with open(path) as f:
        listed = [line.strip() for line in f.read().splitlines() if line.strip()]
    for lineno, (a, b) in enumerate(zip(listed, class_names), 1):
        if a != b:
            raise ValueError(f'{path}:{lineno}: class {lineno - 1} is {a!r} here but {b!r} in '
                             f'the dataset names; classes.txt lists {listed}, the dataset '
                             f'{list(class_names)}')
    if len(listed) != len(class_names):
        raise ValueError(f'{path}: lists {len(listed)} classes {listed}, the dataset '
                         f'{len(class_names)} {list(class_names)}')


def _check_label_folder(label_dir: str, image_dir: str, stems: set,
                        class_names: Sequence[str]) -> None:
    """Every ``.txt`` in ``label_dir`` has an image; a ``classes.txt`` matches the names."""
    for dirpath, _, files in os.walk(label_dir):
        for name in files:
            if not name.endswith('.txt'):
                continue
            rel = osp.splitext(osp.relpath(osp.join(dirpath, name), label_dir))[0]
            if rel in stems:
                continue
            if name == 'classes.txt':
                check_classes_txt(osp.join(dirpath, name), class_names)
                continue
            raise FileNotFoundError(f'label file {osp.join(dirpath, name)} has no image '
                                    f'{rel}.* in {image_dir}')


def yolo_to_coco(image_dir, label_dir: Optional[str], class_names: Sequence[str],
                 task: str = 'auto', first_image_id: int = 1,
                 degenerate: str = 'error') -> Dict:
    """Build a COCO instances dictionary from one YOLO split.

    Args:
        image_dir (str | list[str]): The split's images: a folder (searched recursively), a
            ``.txt`` image list, or a list of these (see :func:`split_images`).
        label_dir: Folder of the labels of a folder split (same relative paths, ``.txt``);
            None derives it with :func:`label_dir_for`, per image folder for list splits.
        class_names: Names of class ids 0..K-1; COCO category ids are ``id + 1``.
        task: See :func:`parse_label_file`.
        first_image_id: Id of the first image.
        degenerate: 'error' or 'skip' zero-area objects (see :func:`parse_label_file`); the
            skipped ones are counted in a warning naming the first.

    Returns:
        dict: ``images`` (``file_name`` relative to the image folder of a folder split, to
        the images' common folder otherwise, given as ``info['image_root']``),
        ``annotations`` (``bbox`` [x, y, w, h], ``area``, ``iscrowd`` 0, ``segmentation``
        for polygon labels) and ``categories``.
    """
    if task not in ('auto', 'detect', 'segment'):
        raise ValueError(f"task must be 'auto', 'detect' or 'segment', got {task!r}")
    if degenerate not in ('error', 'skip'):
        raise ValueError(f"degenerate must be 'error' or 'skip', got {degenerate!r}")
    folder_split = isinstance(image_dir, str) and not image_dir.endswith('.txt')
    if folder_split:
        if not osp.isdir(image_dir):
            raise FileNotFoundError(f'YOLO image folder not found: {image_dir}')
        label_dir = label_dir_for(image_dir) if label_dir is None else label_dir
        if not osp.isdir(label_dir):
            raise FileNotFoundError(f'YOLO label folder not found: {label_dir} '
                                    f'(images: {image_dir})')
        images = split_images(image_dir)
        image_root = image_dir
        rels = [osp.relpath(p, image_dir) for p in images]
        _check_label_folder(label_dir, image_dir, {osp.splitext(r)[0] for r in rels},
                            class_names)
        label_paths = [osp.join(label_dir, osp.splitext(r)[0] + '.txt') for r in rels]
    else:
        if label_dir is not None:
            raise ValueError('label_dir applies to an image-folder split only; the labels of '
                             'an image list are found beside each image folder')
        images = split_images(image_dir)
        image_root = osp.commonpath([osp.dirname(p) for p in images])
        rels = [osp.relpath(p, image_root) for p in images]
        label_paths = []
        for img in images:
            lbl_dir = label_dir_for(osp.dirname(img))
            label_paths.append(osp.join(lbl_dir, osp.splitext(osp.basename(img))[0] + '.txt'))
            txt = osp.join(lbl_dir, 'classes.txt')
            if osp.isfile(txt):
                check_classes_txt(txt, class_names)
    if len(set(images)) != len(images):
        dup = sorted({p for p in images if images.count(p) > 1})
        raise ValueError(f'{image_dir}: images listed more than once: {dup[:5]}')
    where = label_dir if folder_split else image_dir
    coco = dict(info=dict(description=f'converted from YOLO labels of {where}',
                          image_root=image_root),
                licenses=[], images=[], annotations=[],
                categories=[dict(id=i + 1, name=n, supercategory='none')
                            for i, n in enumerate(class_names)])
    ann_id = 1
    num_empty = 0
    skipped: List[str] = []
    for k, (img, rel, label_path) in enumerate(zip(images, rels, label_paths)):
        image_id = first_image_id + k
        w, h = image_size(img)
        coco['images'].append(dict(id=image_id, file_name=rel, width=w, height=h))
        objects = parse_label_file(label_path, len(class_names), w, h, task, degenerate,
                                   skipped) if osp.isfile(label_path) else []
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
    if skipped:
        warnings.warn(f'skipped {len(skipped)} zero-area objects (degenerate=\'skip\'), the '
                      f'first at {skipped[0]}')
    if num_empty == len(images):
        warnings.warn(f'no objects at all in {where} ({len(images)} images)')
    return coco
