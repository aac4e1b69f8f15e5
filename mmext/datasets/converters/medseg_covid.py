"""Convert the MedSeg COVID-19 CT segmentation datasets (NIfTI) into the PNG slices that
``MedSegCOVIDDataset`` (CogSeg) reads. ``tools/dataset_converters/medseg_covid.py`` is the command
line over these functions.

Inputs (https://medicalsegmentation.com/covid19/):

- COVID-19_1 ("COVID-19 CT segmentation dataset"): ``RAW_DIR/tr_im.nii.gz`` and
  ``RAW_DIR/tr_mask.nii.gz`` (and, when present, the lung masks ``tr_lungmasks_updated.nii.gz``),
  100 axial slices of 512x512 from about 60 patients; the files hold no patient ids.
- COVID-19_2 ("Segmentation dataset nr. 2"): ``RAW_DIR/rp_im/<n>.nii.gz`` and
  ``RAW_DIR/rp_msk/<n>.nii.gz`` (and the lung masks ``rp_lung_msk/<n>.nii.gz``), 9 volumes, 829
  slices of 630x630.

Splits (``split``; CogSeg Sec. 4.1 says "70% samples ... training set" for COVID-19_1 and "the
first 6 volumes" for COVID-19_2, no indices):

- ``'slice'``: by slice index, the first ``train_ratio`` of the slices for training (COVID-19_1's
  default; for COVID-19_2 the slices of all volumes in order, which puts neighbouring slices of
  one patient on both sides: a warning says so).
- ``'random'``: slices drawn at random with ``seed`` (COVID-19_1).
- ``'volume'``: whole volumes, the first ``num_train_volumes`` by natural name order (COVID-19_2's
  default; one volume is one patient). COVID-19_1 has no volume or patient information, so it
  refuses this split.
- ``augment_before_split`` (COVID-19_1): writes the paper's 11 versions of every slice (itself,
  rotations by 45-360 degrees, scalings by 0.5-1.5) offline and then splits the 1100 images at
  random. The paper may have done this; it leaks (rotated copies of a test slice are in the
  training set), and a warning says so. Use it only to reproduce such numbers.

Mask values: 0 background, 1 ground-glass opacity, 2 consolidation, 3 pleural effusion; other
values raise an error naming the file. Lung masks: any non-zero value is lung (written as 1).

Intensities must be Hounsfield units (:func:`check_hu`; a volume saved as 0-1 or 0-255 stops the
conversion with the file named): they are clipped to the lung window ``[-1350, 150]`` HU (level
-600, width 1500) and mapped linearly to 0-255. Slices are ``np.rot90(volume[:, :, k])``, the usual
display orientation of these files. Slices are resized to ``hr_size`` (images bicubic after
windowing, masks nearest; ``None`` keeps the native size, non-square allowed). The
low-resolution input is the high-resolution PNG down-sampled by ``scale`` with PIL's
(antialiased) bicubic filter.

Output::

    images/{train,test}/<name>.png        high-resolution windowed slice (SR target)
    images_lr/{train,test}/<name>.png     low-resolution slice (network input)
    annotations/{train,test}/<name>.png   label map (values 0-3)
    lung_masks/{train,test}/<name>.png    lung mask (0/1), when the lung masks are present

Names: ``covid19_1_<kkk>.png`` (``covid19_1_<kkk>_<version>.png`` with
``augment_before_split``) and ``<volume>_<kkk>.png``.
"""
import os
import os.path as osp
import re
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image

__all__ = [
    'DEFAULT_WINDOW', 'AIR_HU', 'LABELS', 'load_volume', 'hu_to_uint8', 'air_value', 'check_hu',
    'check_mask', 'slice_pair', 'write_slice', 'convert_covid19_1', 'convert_covid19_2',
    'natural_key', 'PAPER_AUGMENTATIONS'
]

DEFAULT_WINDOW = (-1350.0, 150.0)
AIR_HU = -1000.0
LABELS = (0, 1, 2, 3)
SPLITS = ('train', 'test')
# CogSeg Sec. 4.2: the slice itself, 6 rotations, 4 scalings (11 versions)
PAPER_AUGMENTATIONS = ([('none', None)] + [('rot', a) for a in (45, 90, 135, 180, 270, 360)] +
                       [('scale', s) for s in (0.5, 0.75, 1.25, 1.5)])
LEAK_WARNING = ('augment_before_split: the augmented copies of a slice (rotations, scalings) are '
                'split at random, so copies of test slices are in the training set; the test '
                'numbers are optimistic (this reproduces a protocol the paper may have used, not '
                'a clean evaluation)')


def load_volume(path: str, field: str) -> np.ndarray:
    """The data array of a NIfTI file, as float64; errors name the file."""
    import nibabel as nib
    if not osp.isfile(path):
        raise FileNotFoundError(f'{field}: {path} does not exist')
    try:
        vol = np.asarray(nib.load(path).dataobj, dtype=np.float64)
    except Exception as e:  # noqa: BLE001 - nibabel raises several types for bad files
        raise ValueError(f'{field}: cannot read {path} as NIfTI: {e}') from e
    if vol.ndim == 4 and vol.shape[3] == 1:
        vol = vol[..., 0]
    if vol.ndim != 3:
        raise ValueError(f'{field}: {path} has shape {vol.shape}; expected a 3D volume')
    return vol


def hu_to_uint8(hu: np.ndarray, window: Sequence[float] = DEFAULT_WINDOW) -> np.ndarray:
    """Clip to ``[lo, hi]`` HU and map linearly to 0-255 (rounded)."""
    lo, hi = float(window[0]), float(window[1])
    if not hi > lo:
        raise ValueError(f'window must be (low, high) with high > low, got {window}')
    scaled = (np.clip(hu, lo, hi) - lo) / (hi - lo) * 255.0
    return np.round(scaled).astype(np.uint8)


def air_value(window: Sequence[float] = DEFAULT_WINDOW) -> int:
    """The windowed grey value of air (-1000 HU): 60 in the default ``[-1350, 150]`` window
    (``350 / 1500 * 255 = 59.5``, rounded half to even as :func:`hu_to_uint8` rounds)."""
    return int(hu_to_uint8(np.array([AIR_HU]), window)[0])


def check_hu(vol: np.ndarray, path: str, air_percentile: float = 1.0,
             max_air: float = -500.0, valid_range: Tuple[float, float] = (-4000.0, 6000.0)
             ) -> None:
    """Stop unless ``vol`` looks like Hounsfield units.

    A chest CT holds air or lung (below -500 HU) around or inside the body, so its
    ``air_percentile``-th percentile is below ``max_air``; CT values lie in ``valid_range``
    (padding values such as -3024 included). A volume normalised to 0-1 or 0-255, or saved as raw
    unsigned scanner values without the rescale slope/intercept, fails with the file named.
    """
    lo, hi = float(vol.min()), float(vol.max())
    p = float(np.percentile(vol, air_percentile))
    if lo < valid_range[0] or hi > valid_range[1] or p > max_air:
        raise ValueError(
            f'{path}: intensities do not look like Hounsfield units (min {lo:g}, max {hi:g}, '
            f'{air_percentile:g}th percentile {p:g}; a chest CT in HU has air/lung below '
            f'{max_air:g} and values within {valid_range}). Convert the volume to HU (apply the '
            'rescale slope/intercept) or pass check_hu=False (--no-hu-check) if you know better')


def check_mask(mask: np.ndarray, path: str, labels: Sequence[int] = LABELS) -> np.ndarray:
    """Round a mask slice to integer labels; non-integer or unknown values raise an error."""
    rounded = np.round(mask)
    if np.abs(mask - rounded).max(initial=0) > 1e-3:
        raise ValueError(f'{path}: mask values must be integers, got e.g. '
                         f'{mask[np.abs(mask - rounded) > 1e-3][:3]}')
    values = np.unique(rounded).astype(np.int64)
    bad = sorted(set(values.tolist()) - set(labels))
    if bad:
        raise ValueError(f'{path}: unknown mask values {bad}; MedSeg masks hold {list(labels)}')
    return rounded.astype(np.uint8)


def slice_pair(img_vol: np.ndarray, mask_vol: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """Slice ``k`` of an image and its mask, displayed: ``np.rot90(volume[:, :, k])``."""
    return np.rot90(img_vol[:, :, k]), np.rot90(mask_vol[:, :, k])


def _hr_size(hr_size: Union[int, Sequence[int], None]) -> Optional[Tuple[int, int]]:
    """``(width, height)`` for PIL, or None."""
    if hr_size is None or hr_size == 0:
        return None
    if isinstance(hr_size, int):
        return (hr_size, hr_size)
    h, w = hr_size
    return (int(w), int(h))


def _augment(img: np.ndarray, lab: np.ndarray, lung: Optional[np.ndarray], op, window):
    """One of the paper's offline versions of a high-resolution slice (image, label, lung)."""
    from ..transforms.paired_rescale import PairedRescale
    from ..transforms.paired_rotate import PairedRotate
    kind, value = op
    if kind == 'none':
        return img, lab, lung
    fill = air_value(window)
    if kind == 'rot':
        t = PairedRotate(angle=value, img_border_value=fill)
    else:
        t = PairedRescale(scale=value, img_pad_val=fill)
    results = dict(img=img, gt_seg_map=lab, seg_fields=['gt_seg_map'])
    if lung is not None:
        results['gt_lung_mask'] = lung
        results['seg_fields'].append('gt_lung_mask')
    out = t(results)
    return out['img'], out['gt_seg_map'], out.get('gt_lung_mask')


def write_slice(hu: np.ndarray, mask: np.ndarray, name: str, split: str, out_dir: str,
                window: Sequence[float] = DEFAULT_WINDOW,
                hr_size: Union[int, Sequence[int], None] = 512, scale: int = 2,
                lung: Optional[np.ndarray] = None, augment=None) -> None:
    """Write the high-resolution image, the low-resolution input, the label map (and the lung
    mask) of a slice. ``augment``: one entry of :data:`PAPER_AUGMENTATIONS`, applied to the
    high-resolution slice before the low-resolution input is derived from it."""
    img = Image.fromarray(hu_to_uint8(hu, window))
    lab = Image.fromarray(mask)
    lung_img = None if lung is None else Image.fromarray((lung > 0).astype(np.uint8))
    size = _hr_size(hr_size)
    if size is not None and img.size != size:
        img = img.resize(size, Image.BICUBIC)
        lab = lab.resize(size, Image.NEAREST)
        if lung_img is not None:
            lung_img = lung_img.resize(size, Image.NEAREST)
    if augment is not None:
        arr, lab_arr, lung_arr = _augment(np.array(img), np.array(lab),
                                          None if lung_img is None else np.array(lung_img),
                                          augment, window)
        img, lab = Image.fromarray(arr), Image.fromarray(lab_arr)
        lung_img = None if lung_arr is None else Image.fromarray(lung_arr)
    w, h = img.size
    if w % scale or h % scale:
        raise ValueError(f'{name}: slice size {(h, w)} is not divisible by scale {scale}; set '
                         'hr_size (--hr-size)')
    lr = img.resize((w // scale, h // scale), Image.BICUBIC)
    outputs = [('images', img), ('images_lr', lr), ('annotations', lab)]
    if lung_img is not None:
        outputs.append(('lung_masks', lung_img))
    for sub, im in outputs:
        folder = osp.join(out_dir, sub, split)
        os.makedirs(folder, exist_ok=True)
        im.save(osp.join(folder, f'{name}.png'))


def _progress(items, desc: str, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm
    return tqdm(items, desc=desc, unit='slice')


def _check_pair(img_vol, mask_vol, img_path, mask_path):
    if img_vol.shape != mask_vol.shape:
        raise ValueError(f'{img_path} has shape {img_vol.shape} but its mask {mask_path} has '
                         f'{mask_vol.shape}')


def _load_lung(path: str, field: str, shape, lung_masks) -> Optional[np.ndarray]:
    """The lung-mask volume, None when absent (``lung_masks='auto'``) or not wanted."""
    if lung_masks is False:
        return None
    if not osp.isfile(path):
        if lung_masks == 'auto':
            return None
        raise FileNotFoundError(f'{field}: {path} does not exist (lung_masks=True)')
    vol = load_volume(path, field)
    if vol.shape != shape:
        raise ValueError(f'{path} has shape {vol.shape} but its image has {shape}')
    return vol


def _train_flags(num: int, split: str, train_ratio: float, seed: int) -> np.ndarray:
    if not 0 < train_ratio < 1:
        raise ValueError(f'train_ratio must be in (0, 1), got {train_ratio}')
    num_train = int(round(num * train_ratio))
    flags = np.zeros(num, bool)
    if split == 'slice':
        flags[:num_train] = True
    elif split == 'random':
        flags[np.random.default_rng(seed).permutation(num)[:num_train]] = True
    else:
        raise ValueError(f"split must be 'slice' or 'random' here, got {split!r}")
    return flags


def convert_covid19_1(raw_dir: str, out_dir: str, window: Sequence[float] = DEFAULT_WINDOW,
                      hr_size: Union[int, Sequence[int], None] = 512, scale: int = 2,
                      train_ratio: float = 0.7, progress: bool = True, split: str = 'slice',
                      seed: int = 0, augment_before_split: bool = False,
                      lung_masks: Union[bool, str] = 'auto',
                      check_hu_range: bool = True) -> Dict[str, int]:
    """Convert COVID-19_1 (``tr_im.nii.gz``/``tr_mask.nii.gz``); returns slices per split.

    ``split``: ``'slice'`` (first ``train_ratio`` by index) or ``'random'`` (seeded);
    ``'volume'`` raises (the file has no patient information). ``augment_before_split``: the
    paper's 11 versions of every slice, then a seeded random split of all of them (leaks; warns).
    ``lung_masks``: ``'auto'`` (write them when ``tr_lungmasks_updated.nii.gz`` exists), True
    (required) or False.
    """
    if split == 'volume':
        raise ValueError('COVID-19_1: split="volume" is not possible: tr_im.nii.gz stacks 100 '
                         'slices of about 60 patients without patient ids; use "slice" or '
                         '"random"')
    img_path = osp.join(raw_dir, 'tr_im.nii.gz')
    mask_path = osp.join(raw_dir, 'tr_mask.nii.gz')
    img_vol = load_volume(img_path, 'COVID-19_1 image (tr_im.nii.gz)')
    mask_vol = load_volume(mask_path, 'COVID-19_1 mask (tr_mask.nii.gz)')
    _check_pair(img_vol, mask_vol, img_path, mask_path)
    if check_hu_range:
        check_hu(img_vol, img_path)
    lung_vol = _load_lung(osp.join(raw_dir, 'tr_lungmasks_updated.nii.gz'),
                          'COVID-19_1 lung mask (tr_lungmasks_updated.nii.gz)', img_vol.shape,
                          lung_masks)
    num = img_vol.shape[2]
    ops = PAPER_AUGMENTATIONS if augment_before_split else [None]
    if augment_before_split:
        warnings.warn(LEAK_WARNING)
        flags = _train_flags(num * len(ops), 'random', train_ratio, seed)
    else:
        flags = _train_flags(num, split, train_ratio, seed)
    counts = dict.fromkeys(SPLITS, 0)
    for k in _progress(range(num), 'COVID-19_1', progress):
        hu, mask = slice_pair(img_vol, mask_vol, k)
        mask = check_mask(mask, f'{mask_path} (slice {k})')
        lung = None if lung_vol is None else np.rot90(lung_vol[:, :, k])
        for v, op in enumerate(ops):
            idx = k * len(ops) + v
            part = 'train' if flags[idx] else 'test'
            name = f'covid19_1_{k:03d}' if op is None else f'covid19_1_{k:03d}_{v:02d}'
            write_slice(hu, mask, name, part, out_dir, window, hr_size, scale, lung, op)
            counts[part] += 1
    return counts


def natural_key(name: str) -> List:
    """Sort key that puts ``2.nii.gz`` before ``10.nii.gz``."""
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', name)]


def convert_covid19_2(raw_dir: str, out_dir: str, window: Sequence[float] = DEFAULT_WINDOW,
                      hr_size: Union[int, Sequence[int], None] = 512, scale: int = 2,
                      num_train_volumes: int = 6, lesion_slices_only: bool = False,
                      progress: bool = True, split: str = 'volume', train_ratio: float = 0.7,
                      lung_masks: Union[bool, str] = 'auto',
                      check_hu_range: bool = True) -> Dict[str, int]:
    """Convert COVID-19_2 (``rp_im/*.nii.gz``/``rp_msk/*.nii.gz``); returns slices per split.

    ``split``: ``'volume'`` (the first ``num_train_volumes`` volumes, the paper's) or
    ``'slice'`` (the first ``train_ratio`` of all slices in volume order; warns: neighbouring
    slices of one patient end up on both sides). ``lung_masks`` as in :func:`convert_covid19_1`
    (``rp_lung_msk/``).
    """
    if split not in ('volume', 'slice'):
        raise ValueError(f"COVID-19_2: split must be 'volume' or 'slice', got {split!r}")
    im_dir, msk_dir = osp.join(raw_dir, 'rp_im'), osp.join(raw_dir, 'rp_msk')
    lung_dir = osp.join(raw_dir, 'rp_lung_msk')
    for folder in (im_dir, msk_dir):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'COVID-19_2: folder {folder} does not exist')
    names = sorted((n for n in os.listdir(im_dir) if n.endswith(('.nii.gz', '.nii'))),
                   key=natural_key)
    if not names:
        raise FileNotFoundError(f'COVID-19_2: no .nii.gz volumes in {im_dir}')
    volumes = []
    for v, name in enumerate(names):
        img_path, mask_path = osp.join(im_dir, name), osp.join(msk_dir, name)
        if not osp.isfile(mask_path):
            raise FileNotFoundError(f'COVID-19_2: {img_path} has no mask {mask_path}')
        volumes.append((name, img_path, mask_path))
    if split == 'slice':
        warnings.warn('COVID-19_2 split="slice": neighbouring slices of one patient fall on both '
                      'sides of the split; the paper splits by volume')
    # slice-wise split needs the total number of slices first (headers only)
    if split == 'slice':
        import nibabel as nib
        sizes = [nib.load(p).shape[2] for _, p, _ in volumes]
        flags = _train_flags(sum(sizes), 'slice', train_ratio, 0)
    counts = dict.fromkeys(SPLITS, 0)
    index = 0
    for v, (name, img_path, mask_path) in enumerate(volumes):
        img_vol = load_volume(img_path, 'COVID-19_2 image (rp_im)')
        mask_vol = load_volume(mask_path, 'COVID-19_2 mask (rp_msk)')
        _check_pair(img_vol, mask_vol, img_path, mask_path)
        if check_hu_range:
            check_hu(img_vol, img_path)
        lung_vol = _load_lung(osp.join(lung_dir, name), 'COVID-19_2 lung mask (rp_lung_msk)',
                              img_vol.shape, lung_masks)
        stem = name.split('.')[0]
        for k in _progress(range(img_vol.shape[2]), f'COVID-19_2 {name}', progress):
            if split == 'volume':
                part = 'train' if v < num_train_volumes else 'test'
            else:
                part = 'train' if flags[index] else 'test'
            index += 1
            hu, mask = slice_pair(img_vol, mask_vol, k)
            mask = check_mask(mask, f'{mask_path} (slice {k})')
            if lesion_slices_only and not mask.any():
                continue
            lung = None if lung_vol is None else np.rot90(lung_vol[:, :, k])
            write_slice(hu, mask, f'{stem}_{k:03d}', part, out_dir, window, hr_size, scale, lung)
            counts[part] += 1
    return counts
