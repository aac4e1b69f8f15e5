"""Convert the MedSeg COVID-19 CT segmentation datasets (NIfTI) into the PNG slices that
``MedSegCOVIDDataset`` (CogSeg) reads.

    python tools/dataset_converters/medseg_covid.py covid19_1 RAW_DIR [-o data/medseg_covid19_1]
    python tools/dataset_converters/medseg_covid.py covid19_2 RAW_DIR [-o data/medseg_covid19_2]
        [--window -1350 150] [--hr-size 512] [--scale 2] [--lesion-slices-only]

Inputs (https://medicalsegmentation.com/covid19/):

- COVID-19_1 ("COVID-19 CT segmentation dataset"): ``RAW_DIR/tr_im.nii.gz`` and
  ``RAW_DIR/tr_mask.nii.gz``, 100 axial slices of 512x512. The first 70 % of the slices (0-69)
  are the training set, the rest (70-99) the test set (CogSeg Sec. 4.1: "70% samples are selected
  as training set, and the rest is as test set"; the paper does not list its split).
- COVID-19_2 ("Segmentation dataset nr. 2"): ``RAW_DIR/rp_im/<n>.nii.gz`` and
  ``RAW_DIR/rp_msk/<n>.nii.gz`` (same file names), 9 volumes, 829 slices (630x630 in-plane). The
  volumes are sorted by name in natural order (1, 2, ..., 9); the first 6 are the training set,
  the last 3 the test set. All slices are kept (``--lesion-slices-only`` keeps only the slices
  with a lesion, the 373 the radiologist segmented).

Mask values: 0 background, 1 ground-glass opacity, 2 consolidation, 3 pleural effusion; other
values raise an error naming the file.

Output (``-o``, default ``data/medseg_covid19_1`` / ``data/medseg_covid19_2``)::

    images/{train,test}/<name>.png        hr_size x hr_size windowed slice (SR target)
    images_lr/{train,test}/<name>.png     (hr_size / scale)^2 slice (network input)
    annotations/{train,test}/<name>.png   hr_size x hr_size label map (values 0-3)

Intensities: Hounsfield units are clipped to the lung window ``[-1350, 150]`` HU (window level
-600, width 1500) and mapped linearly to 0-255 (``--window LO HI`` changes it). Slices are
written as ``np.rot90(volume[:, :, k])``, the usual display orientation of these files, image and
mask alike. Slices that are not ``hr_size`` (COVID-19_2) are resized: images bicubic after
windowing, masks nearest. The low-resolution input is the high-resolution PNG down-sampled by
``scale`` with PIL's (antialiased) bicubic filter. Names: ``covid19_1_<kkk>.png`` and
``<volume>_<kkk>.png``.
"""
import argparse
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

DEFAULT_WINDOW = (-1350.0, 150.0)
LABELS = (0, 1, 2, 3)
SPLITS = ('train', 'test')


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


def check_mask(mask: np.ndarray, path: str) -> np.ndarray:
    """Round a mask slice to integer labels; non-integer or unknown values raise an error."""
    rounded = np.round(mask)
    if np.abs(mask - rounded).max(initial=0) > 1e-3:
        raise ValueError(f'{path}: mask values must be integers, got e.g. '
                         f'{mask[np.abs(mask - rounded) > 1e-3][:3]}')
    values = np.unique(rounded).astype(np.int64)
    bad = sorted(set(values.tolist()) - set(LABELS))
    if bad:
        raise ValueError(f'{path}: unknown mask values {bad}; MedSeg masks hold {list(LABELS)}')
    return rounded.astype(np.uint8)


def slice_pair(img_vol: np.ndarray, mask_vol: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """Slice ``k`` of an image and its mask, displayed: ``np.rot90(volume[:, :, k])``."""
    return np.rot90(img_vol[:, :, k]), np.rot90(mask_vol[:, :, k])


def write_slice(hu: np.ndarray, mask: np.ndarray, name: str, split: str, out_dir: str,
                window: Sequence[float], hr_size: Optional[int], scale: int) -> None:
    """Write the high-resolution image, the low-resolution input and the label map of a slice."""
    img = Image.fromarray(hu_to_uint8(hu, window))
    lab = Image.fromarray(mask)
    if hr_size is not None and img.size != (hr_size, hr_size):
        img = img.resize((hr_size, hr_size), Image.BICUBIC)
        lab = lab.resize((hr_size, hr_size), Image.NEAREST)
    w, h = img.size
    if w % scale or h % scale:
        raise ValueError(f'{name}: slice size {(h, w)} is not divisible by scale {scale}; set '
                         '--hr-size')
    lr = img.resize((w // scale, h // scale), Image.BICUBIC)
    for sub, im in (('images', img), ('images_lr', lr), ('annotations', lab)):
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


def convert_covid19_1(raw_dir: str, out_dir: str, window: Sequence[float] = DEFAULT_WINDOW,
                      hr_size: Optional[int] = 512, scale: int = 2, train_ratio: float = 0.7,
                      progress: bool = True) -> Dict[str, int]:
    """Convert COVID-19_1 (``tr_im.nii.gz``/``tr_mask.nii.gz``); returns slices per split."""
    img_path = osp.join(raw_dir, 'tr_im.nii.gz')
    mask_path = osp.join(raw_dir, 'tr_mask.nii.gz')
    img_vol = load_volume(img_path, 'COVID-19_1 image (tr_im.nii.gz)')
    mask_vol = load_volume(mask_path, 'COVID-19_1 mask (tr_mask.nii.gz)')
    _check_pair(img_vol, mask_vol, img_path, mask_path)
    num = img_vol.shape[2]
    num_train = int(round(num * train_ratio))
    counts = dict.fromkeys(SPLITS, 0)
    for k in _progress(range(num), 'COVID-19_1', progress):
        split = 'train' if k < num_train else 'test'
        hu, mask = slice_pair(img_vol, mask_vol, k)
        write_slice(hu, check_mask(mask, f'{mask_path} (slice {k})'), f'covid19_1_{k:03d}', split,
                    out_dir, window, hr_size, scale)
        counts[split] += 1
    return counts


def natural_key(name: str) -> List:
    """Sort key that puts ``2.nii.gz`` before ``10.nii.gz``."""
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', name)]


def convert_covid19_2(raw_dir: str, out_dir: str, window: Sequence[float] = DEFAULT_WINDOW,
                      hr_size: Optional[int] = 512, scale: int = 2, num_train_volumes: int = 6,
                      lesion_slices_only: bool = False,
                      progress: bool = True) -> Dict[str, int]:
    """Convert COVID-19_2 (``rp_im/*.nii.gz``/``rp_msk/*.nii.gz``); returns slices per split."""
    im_dir, msk_dir = osp.join(raw_dir, 'rp_im'), osp.join(raw_dir, 'rp_msk')
    for folder in (im_dir, msk_dir):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'COVID-19_2: folder {folder} does not exist')
    names = sorted((n for n in os.listdir(im_dir) if n.endswith(('.nii.gz', '.nii'))),
                   key=natural_key)
    if not names:
        raise FileNotFoundError(f'COVID-19_2: no .nii.gz volumes in {im_dir}')
    counts = dict.fromkeys(SPLITS, 0)
    for v, name in enumerate(names):
        img_path, mask_path = osp.join(im_dir, name), osp.join(msk_dir, name)
        if not osp.isfile(mask_path):
            raise FileNotFoundError(f'COVID-19_2: {img_path} has no mask {mask_path}')
        img_vol = load_volume(img_path, 'COVID-19_2 image (rp_im)')
        mask_vol = load_volume(mask_path, 'COVID-19_2 mask (rp_msk)')
        _check_pair(img_vol, mask_vol, img_path, mask_path)
        split = 'train' if v < num_train_volumes else 'test'
        stem = name.split('.')[0]
        for k in _progress(range(img_vol.shape[2]), f'COVID-19_2 {name}', progress):
            hu, mask = slice_pair(img_vol, mask_vol, k)
            mask = check_mask(mask, f'{mask_path} (slice {k})')
            if lesion_slices_only and not mask.any():
                continue
            write_slice(hu, mask, f'{stem}_{k:03d}', split, out_dir, window, hr_size, scale)
            counts[split] += 1
    return counts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('dataset', choices=['covid19_1', 'covid19_2'])
    parser.add_argument('raw_dir', help='folder with tr_im.nii.gz/tr_mask.nii.gz (covid19_1) or '
                        'rp_im/ and rp_msk/ (covid19_2)')
    parser.add_argument('-o', '--out-dir', help='default data/medseg_<dataset>')
    parser.add_argument('--window', nargs=2, type=float, default=list(DEFAULT_WINDOW),
                        metavar=('LOW', 'HIGH'), help='HU window (default -1350 150)')
    parser.add_argument('--hr-size', type=int, default=512,
                        help='side of the high-resolution slices (0: keep the native size)')
    parser.add_argument('--scale', type=int, default=2, help='HR / LR size ratio (default 2)')
    parser.add_argument('--train-ratio', type=float, default=0.7, help='covid19_1 only')
    parser.add_argument('--num-train-volumes', type=int, default=6, help='covid19_2 only')
    parser.add_argument('--lesion-slices-only', action='store_true', help='covid19_2 only')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    out_dir = args.out_dir or osp.join('data', f'medseg_{args.dataset}')
    hr_size = args.hr_size or None
    if args.dataset == 'covid19_1':
        counts = convert_covid19_1(args.raw_dir, out_dir, args.window, hr_size, args.scale,
                                   args.train_ratio, not args.no_progress)
    else:
        counts = convert_covid19_2(args.raw_dir, out_dir, args.window, hr_size, args.scale,
                                   args.num_train_volumes, args.lesion_slices_only,
                                   not args.no_progress)
    print(f'{args.dataset}: {counts["train"]} train and {counts["test"]} test slices written to '
          f'{out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
