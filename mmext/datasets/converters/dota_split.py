"""Split DOTA-format images (DOTA v1.0 / v1.5 / v2.0) into fixed-size patches for mmrotate.

Writes the layout mmrotate's ``DOTADataset`` reads, with the patch naming of mmrotate's official
splitter (``tools/data/dota/split/img_split.py``), so its ``DOTAMetric`` can merge patch results
back onto the original images::

    <save-dir>/images/P0001__1024__0___0.png       <id>__<window size>__<x start>___<y start>
    <save-dir>/annfiles/P0001__1024__0___0.txt     x1 y1 ... x4 y4 class difficult (patch frame)

Rules (the official splitter's):

- Sliding windows of ``size`` px with step ``size - gap``; the last window of a row/column is
  shifted back to end at the image border; an image smaller than the window gets one window at
  the origin, padded (default with the ImageNet mean colour, BGR 104 116 124).
- Windows whose image content covers at most ``img_rate_thr`` (0.6) of the window are dropped
  (if none passes, those with the best coverage are kept).
- An object goes to a window when ``area(polygon ∩ window) / area(polygon) >= iof_thr`` (0.7). Its
  corners are shifted to the patch frame but not clipped. An object that is not entirely inside
  (IoF < 1) is written with difficulty ``2``; others keep their own difficulty.
- Multi-scale (``scales``, the official ``rates``): for each scale ``r`` the window size and gap
  become ``int(size / r)`` and ``int(gap / r)`` in original pixels, and the patch is saved at that
  size (the training pipeline's resize brings it to the network's input size); the patch name
  carries the window size. The official multi-scale DOTA setting is ``--gaps 500 --scales 0.5 1.0
  1.5``; single scale is ``--gaps 200 --scales 1.0``.

Extras: ``nproc`` worker processes, a progress bar, and resumability: a patch whose image and
annotation file both exist is not written again (files are written to a temporary name and renamed,
the annotation last, so an interrupted run never leaves a patch that looks complete).

``tools/dataset_converters/dota_split.py`` is the command line over :func:`split_dataset`.
"""
import os
import os.path as osp
from functools import partial
from math import ceil
from multiprocessing import Pool
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

Image.MAX_IMAGE_PIXELS = None  # DOTA images reach 20000 x 20000 px

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')


# ----------------------------------------------------------------------------------------------
# geometry
def sliding_windows(width: int, height: int, sizes: Sequence[int], gaps: Sequence[int],
                    img_rate_thr: float = 0.6) -> np.ndarray:
    """Windows ``[W, 4]`` (x_start, y_start, x_stop, y_stop), int64, for one image."""
    if len(sizes) != len(gaps):
        raise ValueError(f'sizes {list(sizes)} and gaps {list(gaps)} must have equal lengths')
    windows = []
    for size, gap in zip(sizes, gaps):
        if not size > gap >= 0:
            raise ValueError(f'need size > gap >= 0, got size {size}, gap {gap}')
        step = size - gap
        starts = []
        for length in (width, height):
            num = 1 if length <= size else ceil((length - size) / step + 1)
            s = [step * i for i in range(num)]
            if len(s) > 1 and s[-1] + size > length:
                s[-1] = length - size
            starts.append(s)
        xs, ys = np.meshgrid(starts[0], starts[1], indexing='ij')  # x-major, like the official
        start = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.int64)
        windows.append(np.concatenate([start, start + size], axis=1))
    windows = np.concatenate(windows, axis=0)
    clipped = windows.copy()
    clipped[:, 0::2] = np.clip(clipped[:, 0::2], 0, width)
    clipped[:, 1::2] = np.clip(clipped[:, 1::2], 0, height)
    img_area = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    win_area = (windows[:, 2] - windows[:, 0]) * (windows[:, 3] - windows[:, 1])
    rates = img_area / win_area
    if not (rates > img_rate_thr).any():
        rates[np.abs(rates - rates.max()) < 0.01] = 1
    return windows[rates > img_rate_thr]


def _shoelace(poly: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Signed areas ``[P]`` of polygons ``[P, V, 2]`` with ``count`` ``[P]`` valid vertices."""
    idx = np.arange(poly.shape[1])
    nxt = np.where(idx[None] + 1 < count[:, None], idx[None] + 1, 0)
    nxt_pts = np.take_along_axis(poly, nxt[..., None], axis=1)
    cross = poly[..., 0] * nxt_pts[..., 1] - nxt_pts[..., 0] * poly[..., 1]
    return 0.5 * np.where(idx[None] < count[:, None], cross, 0).sum(axis=1)


def polygon_box_intersection(polys: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Areas of ``polys`` ``[P, K, 2]`` ∩ axis-aligned ``boxes`` ``[P, 4]`` (x0, y0, x1, y1).

    Sutherland-Hodgman clipping against the four box edges, vectorised over the pairs (exact for
    convex and simple concave polygons).
    """
    poly = polys.astype(np.float64)
    num, nv = poly.shape[:2]
    count = np.full(num, nv)
    boxes = boxes.astype(np.float64)
    for axis, sign, bound in ((0, 1, boxes[:, 2]), (0, -1, -boxes[:, 0]), (1, 1, boxes[:, 3]),
                              (1, -1, -boxes[:, 1])):
        nv = poly.shape[1]
        idx = np.arange(nv)
        valid = idx[None] < count[:, None]
        nxt = np.where(idx[None] + 1 < count[:, None], idx[None] + 1, 0)
        nxt_pts = np.take_along_axis(poly, nxt[..., None], axis=1)
        dist = bound[:, None] - sign * poly[..., axis]
        dist_nxt = np.take_along_axis(dist, nxt, axis=1)
        inside = valid & (dist >= 0)
        crossing = valid & (((dist > 0) & (dist_nxt < 0)) | ((dist < 0) & (dist_nxt > 0)))
        with np.errstate(divide='ignore', invalid='ignore'):
            frac = np.where(crossing, dist / np.where(crossing, dist - dist_nxt, 1), 0)
        point = poly + frac[..., None] * (nxt_pts - poly)
        point[..., axis] = np.where(crossing, sign * bound[:, None], point[..., axis])
        cand = np.stack([poly, point], axis=2).reshape(num, 2 * nv, 2)
        keep = np.stack([inside, crossing], axis=2).reshape(num, 2 * nv)
        count = keep.sum(axis=1)
        width = max(int(count.max()) if num else 0, 3)
        order = np.argsort(~keep, axis=1, kind='stable')[:, :width]
        poly = np.take_along_axis(cand, order[..., None], axis=1)
    return np.abs(_shoelace(poly, count))


def polygon_window_iof(polys: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """IoF ``[K, W]``: area(polygon ∩ window) / area(polygon) for polygons ``[K, 8]``."""
    num_p, num_w = polys.shape[0], windows.shape[0]
    iof = np.zeros((num_p, num_w), dtype=np.float64)
    if num_p == 0 or num_w == 0:
        return iof
    pts = polys.reshape(num_p, -1, 2).astype(np.float64)
    lt, rb = pts.min(axis=1), pts.max(axis=1)
    hit = (np.minimum(rb[:, None, 0], windows[None, :, 2]) > np.maximum(lt[:, None, 0],
                                                                       windows[None, :, 0])) & \
        (np.minimum(rb[:, None, 1], windows[None, :, 3]) > np.maximum(lt[:, None, 1],
                                                                     windows[None, :, 1]))
    pi, wi = np.nonzero(hit)
    if pi.size:
        inter = polygon_box_intersection(pts[pi], windows[wi])
        area = np.abs(_shoelace(pts, np.full(num_p, pts.shape[1])))
        iof[pi, wi] = inter / np.maximum(area[pi], 1e-6)
    return iof


# ----------------------------------------------------------------------------------------------
# annotation I/O
def load_dota_txt(path: Optional[str]) -> Dict[str, object]:
    """Parse a DOTA label file: ``x1 y1 ... x4 y4 class [difficult]`` a line.

    The ``imagesource:`` / ``gsd:`` header lines and blank lines are skipped. A missing file (or
    ``None``) means no objects. Returns ``polys`` ``[K, 8]`` float64, ``labels`` (list of str)
    and ``difficult`` ``[K]`` int64. A malformed line raises ``ValueError`` naming the file and
    line.
    """
    polys, labels, diffs = [], [], []
    if path is not None and osp.isfile(path):
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                items = line.split()
                if not items or (len(items) == 1 and ':' in items[0]) or \
                        line.startswith(('imagesource', 'gsd')):
                    continue
                if len(items) < 9:
                    raise ValueError(f'{path}:{lineno}: expected "x1 y1 x2 y2 x3 y3 x4 y4 class '
                                     f'[difficult]", got {line.strip()!r}')
                try:
                    coords = [float(v) for v in items[:8]]
                    diff = int(items[9]) if len(items) > 9 else 0
                except ValueError as e:
                    raise ValueError(f'{path}:{lineno}: bad number in {line.strip()!r} '
                                     f'({e})') from None
                polys.append(coords)
                labels.append(items[8])
                diffs.append(diff)
    return dict(
        polys=np.asarray(polys, dtype=np.float64).reshape(-1, 8),
        labels=labels,
        difficult=np.asarray(diffs, dtype=np.int64))


def _fmt(value: float) -> str:
    text = f'{value:.4f}'.rstrip('0')
    return text + '0' if text.endswith('.') else text


def _atomic_write_image(path: str, img: np.ndarray) -> None:
    root, ext = osp.splitext(path)
    tmp = f'{root}.tmp{os.getpid()}{ext}'
    if not cv2.imwrite(tmp, img):
        raise OSError(f'could not write image {tmp}')
    os.replace(tmp, path)


def _atomic_write_text(path: str, text: str) -> None:
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------
# splitting
def patch_id(img_id: str, window: Sequence[int]) -> str:
    """mmrotate's patch name ``<id>__<size>__<x>___<y>``."""
    x0, y0, x1, _ = [int(v) for v in window]
    return f'{img_id}__{x1 - x0}__{x0}___{y0}'


def split_image(img_path: str,
                ann_path: Optional[str],
                save_dir: str,
                sizes: Sequence[int] = (1024, ),
                gaps: Sequence[int] = (200, ),
                img_rate_thr: float = 0.6,
                iof_thr: float = 0.7,
                padding_value: Sequence[int] = (104, 116, 124),
                no_padding: bool = False,
                save_ext: str = '.png') -> Dict[str, int]:
    """Split one image (and its label file) into ``save_dir/{images,annfiles}``.

    ``sizes``/``gaps`` are window sizes and gaps in original pixels (already divided by the
    scale). Returns counts ``dict(patches=, written=, skipped=, objects=)``.
    """
    img_id = osp.splitext(osp.basename(img_path))[0]
    img_dir, ann_dir = osp.join(save_dir, 'images'), osp.join(save_dir, 'annfiles')
    try:
        with Image.open(img_path) as im:
            width, height = im.size
    except (OSError, ValueError) as e:
        raise ValueError(f'cannot read image {img_path}: {e}') from None
    windows = sliding_windows(width, height, sizes, gaps, img_rate_thr)
    ids = [patch_id(img_id, w) for w in windows]
    todo = [i for i, pid in enumerate(ids)
            if not (osp.isfile(osp.join(ann_dir, pid + '.txt'))
                    and osp.isfile(osp.join(img_dir, pid + save_ext)))]
    ann = load_dota_txt(ann_path)
    stats = dict(patches=len(ids), written=len(todo), skipped=len(ids) - len(todo),
                 objects=len(ann['labels']))
    if not todo:
        return stats
    img = cv2.imread(img_path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f'cannot decode image {img_path}')
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.dtype != np.uint8:  # e.g. 16-bit TIFF: scale to 8 bit like a viewer would
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if (img.shape[1], img.shape[0]) != (width, height):
        raise ValueError(f'{img_path}: header size {width}x{height} differs from decoded '
                         f'{img.shape[1]}x{img.shape[0]}')
    iofs = polygon_window_iof(ann['polys'], windows[todo])
    pad = np.asarray(padding_value, dtype=np.uint8).reshape(-1)
    if pad.size not in (1, 3):
        raise ValueError(f'padding_value must have 1 or 3 values, got {list(padding_value)}')
    for col, i in enumerate(todo):
        x0, y0, x1, y1 = [int(v) for v in windows[i]]
        patch = img[y0:y1, x0:x1]
        if not no_padding and (patch.shape[0] < y1 - y0 or patch.shape[1] < x1 - x0):
            full = np.empty((y1 - y0, x1 - x0, 3), dtype=np.uint8)
            full[...] = pad
            full[:patch.shape[0], :patch.shape[1]] = patch
            patch = full
        lines = []
        for k in np.nonzero(iofs[:, col] >= iof_thr)[0]:
            poly = ann['polys'][k].reshape(4, 2) - np.array([x0, y0], dtype=np.float64)
            diff = 2 if iofs[k, col] < 1 - 1e-6 else int(ann['difficult'][k])
            lines.append(' '.join(_fmt(v) for v in poly.reshape(-1)) +
                         f" {ann['labels'][k]} {diff}")
        _atomic_write_image(osp.join(img_dir, ids[i] + save_ext), np.ascontiguousarray(patch))
        _atomic_write_text(osp.join(ann_dir, ids[i] + '.txt'),
                           ''.join(line + '\n' for line in lines))
    return stats


def _list_images(img_dir: str) -> List[str]:
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'image directory {img_dir} does not exist')
    return sorted(f for f in os.listdir(img_dir) if f.lower().endswith(IMG_EXTENSIONS))


def _split_task(task: Tuple[str, Optional[str]], **kwargs) -> Dict[str, int]:
    return split_image(task[0], task[1], **kwargs)


def split_dataset(img_dirs: Sequence[str],
                  save_dir: str,
                  ann_dirs: Optional[Sequence[Optional[str]]] = None,
                  sizes: Sequence[int] = (1024, ),
                  gaps: Sequence[int] = (200, ),
                  scales: Sequence[float] = (1.0, ),
                  img_rate_thr: float = 0.6,
                  iof_thr: float = 0.7,
                  padding_value: Sequence[int] = (104, 116, 124),
                  no_padding: bool = False,
                  save_ext: str = '.png',
                  nproc: int = 1,
                  progress: bool = True) -> Dict[str, int]:
    """Split every image of ``img_dirs`` (labels from the matching ``ann_dirs``, ``<id>.txt``).

    Without ``ann_dirs`` (e.g. the DOTA test set) the annotation files are written empty. Returns
    totals ``dict(images=, patches=, written=, skipped=, objects=)``.
    """
    if ann_dirs is None:
        ann_dirs = [None] * len(img_dirs)
    if len(ann_dirs) != len(img_dirs):
        raise ValueError(f'{len(img_dirs)} image dirs but {len(ann_dirs)} annotation dirs')
    if not 0 <= iof_thr <= 1:
        raise ValueError(f'iof_thr must be in [0, 1], got {iof_thr}')
    if save_ext.lower() not in IMG_EXTENSIONS:
        raise ValueError(f'save_ext must be one of {IMG_EXTENSIONS}, got {save_ext!r}')
    if any(s <= 0 for s in scales):
        raise ValueError(f'scales must be positive, got {list(scales)}')
    win_sizes, win_gaps = [], []
    for scale in scales:
        win_sizes += [int(size / scale) for size in sizes]
        win_gaps += [int(gap / scale) for gap in gaps]
    for ann_dir in ann_dirs:
        if ann_dir is not None and not osp.isdir(ann_dir):
            raise FileNotFoundError(f'annotation directory {ann_dir} does not exist')
    tasks = []
    for img_dir, ann_dir in zip(img_dirs, ann_dirs):
        for name in _list_images(img_dir):
            ann = None if ann_dir is None else osp.join(ann_dir, osp.splitext(name)[0] + '.txt')
            tasks.append((osp.join(img_dir, name), ann))
    os.makedirs(osp.join(save_dir, 'images'), exist_ok=True)
    os.makedirs(osp.join(save_dir, 'annfiles'), exist_ok=True)
    worker = partial(_split_task, save_dir=save_dir, sizes=win_sizes, gaps=win_gaps,
                     img_rate_thr=img_rate_thr, iof_thr=iof_thr, padding_value=padding_value,
                     no_padding=no_padding, save_ext=save_ext)
    totals = dict(images=len(tasks), patches=0, written=0, skipped=0, objects=0)
    bar = _progress_bar(len(tasks), progress)
    if nproc > 1 and len(tasks) > 1:
        with Pool(min(nproc, len(tasks))) as pool:
            for stats in pool.imap_unordered(worker, tasks):
                _accumulate(totals, stats, bar)
    else:
        for task in tasks:
            _accumulate(totals, worker(task), bar)
    if bar is not None:
        bar.close()
    return totals


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm
    return tqdm(total=total, unit='img', desc='splitting')


def _accumulate(totals: Dict[str, int], stats: Dict[str, int], bar) -> None:
    for k in ('patches', 'written', 'skipped', 'objects'):
        totals[k] += stats[k]
    if bar is not None:
        bar.update(1)
        bar.set_postfix(patches=totals['patches'], skipped=totals['skipped'])
