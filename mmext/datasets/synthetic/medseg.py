"""Synthetic MedSeg COVID-19 CT data: NIfTI volumes in the real MedSeg layout, optionally converted
to the PNG slices of ``MedSegCOVIDDataset`` by :mod:`mmext.datasets.converters.medseg_covid`.

Written under ``out_dir``::

    COVID-19_1/tr_im.nii.gz, tr_mask.nii.gz        H x W x num_slices (float32 HU, labels),
               tr_lungmasks_updated.nii.gz          H x W = size (an int: square, or (H, W))
                                                    lung mask (1 right, 2 left lung, as MedSeg)
    COVID-19_2/rp_im/<n>.nii.gz, rp_msk/<n>.nii.gz n = 1..num_volumes, volume_size in-plane
               rp_lung_msk/<n>.nii.gz               (int16 HU, uint8 labels and lung masks)
    medseg_covid19_1/, medseg_covid19_2/           (convert=True) the converter's output at the
                                                    native COVID-19_1 size (COVID-19_2 resized
                                                    to it), scale 2: images/, images_lr/ (half),
                                                    annotations/, lung_masks/

``size`` and ``volume_size`` may be ``(H, W)`` pairs for non-square slices (16:9, portrait).
``lesion_probs``: the probability that a slice with lesions holds ground-glass opacities,
consolidation and effusion (default ``(0.85, 0.6, 0.4)``), so each class is absent from some
slices; ``empty_prob`` (default 0.1) the probability of a slice with no lesion at all;
``consolidation_radius`` (default ``(0.09, 0.16)``, of the half-width) and ``effusion_level``
(default ``(0.1, 0.5)``, where in the lung's lower half the effusion's surface lies: lower
values, deeper effusions) set the sizes of the two rarer classes.

Each slice is a chest-CT-like phantom in Hounsfield units: air (-1000) around a body of fat
(-100) and muscle / soft tissue (50), a spine (400), ribs (700) in the chest wall, two lungs (-850)
with vessel dots (40), each lung inside a thin extrapleural fat plane (-100), and lesion-like blobs
inside the lungs with irregular outlines: ground-glass opacities (label 1, about -480 HU),
consolidations (label 2, about 35 HU, crossed by air bronchograms: thin air-filled bronchi, -900
HU) and pleural effusions (label 3, about 10 HU, fluid in the dependent (lower) part of a lung,
inside the fat plane); some slices have no lesion. Gaussian noise (sigma 30 HU) is added. As in a
real CT, consolidation and effusion are nearly as dense as the chest wall: what tells them apart
is where they lie (inside the fat plane that outlines the lung), the bronchograms of a
consolidation and the 40 HU between fluid and muscle. Volumes are stored so that the converter's
``np.rot90(volume[:, :, k])`` shows the slice upright. NIfTI files are gzip-compressed with a zero
timestamp, so the same seed writes byte-identical files.
"""
import gzip
import os
import os.path as osp
from typing import Tuple

import numpy as np

from ..converters.medseg_covid import convert_covid19_1, convert_covid19_2
from . import register_generator

LUNG_CENTRES = ((-0.38, -0.02), (0.38, -0.02))
LUNG_RADII = (0.30, 0.46)


def _blob(rng: np.random.Generator, xx: np.ndarray, yy: np.ndarray, centre: Tuple[float, float],
          radius: float) -> np.ndarray:
    """An irregular closed blob: a polar radius modulated by two random harmonics."""
    dx, dy = xx - centre[0], yy - centre[1]
    theta = np.arctan2(dy, dx)
    a1, a2 = rng.uniform(0.1, 0.25, size=2)
    p1, p2 = rng.uniform(0, 2 * np.pi, size=2)
    aspect = rng.uniform(0.7, 1.3)
    r = radius * (1 + a1 * np.sin(theta + p1) + a2 * np.sin(2 * theta + p2))
    return np.hypot(dx * aspect, dy / aspect) <= r


def _bronchograms(rng: np.random.Generator, xx: np.ndarray, yy: np.ndarray,
                  region: np.ndarray) -> np.ndarray:
    """Air bronchograms: two or three thin straight bronchi through the centre of ``region``."""
    air = np.zeros_like(region)
    if not region.any():
        return air
    cx, cy = xx[region].mean(), yy[region].mean()
    for ang in rng.uniform(0, np.pi, size=int(rng.integers(2, 4))):
        dist = np.abs((xx - cx) * np.sin(ang) - (yy - cy) * np.cos(ang))
        air |= dist <= 0.012
    return air


def _point_in_lung(rng: np.random.Generator, side: int, margin: float) -> Tuple[float, float]:
    cx, cy = LUNG_CENTRES[side]
    ang, rad = rng.uniform(0, 2 * np.pi), np.sqrt(rng.uniform(0, 1)) * (1 - margin)
    return cx + rad * LUNG_RADII[0] * np.cos(ang), cy + rad * LUNG_RADII[1] * np.sin(ang)


def _shape(size) -> Tuple[int, int]:
    return (int(size), int(size)) if np.isscalar(size) else (int(size[0]), int(size[1]))


def phantom_slice(rng: np.random.Generator, size, lesion_probs=(0.85, 0.6, 0.4),
                  empty_prob: float = 0.1, with_lungs: bool = False,
                  consolidation_radius=(0.09, 0.16), effusion_level=(0.1, 0.5)):
    """One slice: Hounsfield units ``[H, W]`` (float32) and labels 0-3 (uint8), and with
    ``with_lungs`` the lung mask (1 right, 2 left lung) as a third output. ``size``: an int
    (square) or ``(H, W)``; the body is an ellipse in normalised coordinates, so it stretches with
    the slice."""
    h, w = _shape(size)
    yy, xx = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing='ij')
    hu = np.full((h, w), -1000.0)
    hu[(xx / 0.88)**2 + (yy / 0.70)**2 <= 1] = -100.0
    hu[(xx / 0.80)**2 + (yy / 0.62)**2 <= 1] = 50.0
    hu[(xx / 0.12)**2 + ((yy - 0.50) / 0.09)**2 <= 1] = 400.0
    lung_radius = [((xx - cx) / LUNG_RADII[0])**2 + ((yy - cy) / LUNG_RADII[1])**2
                   for cx, cy in LUNG_CENTRES]  # squared elliptic radius, 1 on the lung's edge
    for side, (cx, cy) in enumerate(LUNG_CENTRES):  # ribs: bone dots along the chest wall
        for ang in np.linspace(-0.45 * np.pi, 0.45 * np.pi, 6) + rng.uniform(-0.1, 0.1):
            ang = ang if side == 1 else np.pi - ang
            rx = cx + 1.22 * LUNG_RADII[0] * np.cos(ang)
            ry = cy + 1.22 * LUNG_RADII[1] * np.sin(ang)
            hu[(xx - rx)**2 + (yy - ry)**2 <= 0.035**2] = 700.0
        hu[lung_radius[side] <= 1.08**2] = -100.0  # extrapleural fat plane
    lungs = [r <= 1 for r in lung_radius]
    lung = lungs[0] | lungs[1]
    hu[lung] = -850.0
    for _ in range(int(rng.integers(4, 9))):  # vessels
        vessel = _blob(rng, xx, yy, _point_in_lung(rng, int(rng.integers(2)), 0.2), 0.02)
        hu[vessel & lung] = 40.0
    label = np.zeros((h, w), np.uint8)
    p_ggo, p_cons, p_eff = lesion_probs
    if rng.uniform() < 1 - empty_prob:
        for _ in range(int(rng.integers(1, 4)) if rng.uniform() < p_ggo else 0):
            side = int(rng.integers(2))
            mask = _blob(rng, xx, yy, _point_in_lung(rng, side, 0.3),
                         rng.uniform(0.15, 0.30)) & lungs[side]
            hu[mask] = -480.0
            label[mask] = 1
        if rng.uniform() < p_cons:
            side = int(rng.integers(2))
            mask = _blob(rng, xx, yy, _point_in_lung(rng, side, 0.4),
                         rng.uniform(*consolidation_radius)) & lungs[side]
            hu[mask] = 35.0
            hu[mask & _bronchograms(rng, xx, yy, mask)] = -900.0
            label[mask] = 2
        if rng.uniform() < p_eff:
            side = int(rng.integers(2))
            cx, cy = LUNG_CENTRES[side]
            level = cy + LUNG_RADII[1] * rng.uniform(*effusion_level)
            wave = 0.03 * np.sin(xx * rng.uniform(6, 12) + rng.uniform(0, 2 * np.pi))
            mask = lungs[side] & (yy > level + wave)
            hu[mask] = 10.0
            label[mask] = 3
    hu += rng.normal(0.0, 30.0, size=hu.shape)
    if with_lungs:
        lung_mask = (lungs[0] * 1 + lungs[1] * 2).astype(np.uint8)
        return hu.astype(np.float32), label, lung_mask
    return hu.astype(np.float32), label


def _volume(rng: np.random.Generator, size, num_slices: int, **options):
    """Image, label and lung-mask volumes ``[W, H, num_slices]`` (stored rotated: see module
    doc)."""
    h, w = _shape(size)
    img = np.zeros((w, h, num_slices), np.float32)
    lab = np.zeros((w, h, num_slices), np.uint8)
    lung = np.zeros((w, h, num_slices), np.uint8)
    for k in range(num_slices):
        hu, label, lung_mask = phantom_slice(rng, (h, w), with_lungs=True, **options)
        img[:, :, k] = np.rot90(hu, k=-1)
        lab[:, :, k] = np.rot90(label, k=-1)
        lung[:, :, k] = np.rot90(lung_mask, k=-1)
    return img, lab, lung


def save_nifti(path: str, data: np.ndarray, dtype, spacing=(0.7, 0.7, 5.0)) -> None:
    """Write ``data`` as a gzip-compressed NIfTI-1 file with a zero gzip timestamp."""
    import nibabel as nib
    image = nib.Nifti1Image(np.asarray(data, dtype=dtype), np.diag([*spacing, 1.0]))
    image.header.set_data_dtype(dtype)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(gzip.compress(image.to_bytes(), compresslevel=6, mtime=0))


@register_generator('medseg')
def generate_medseg(out_dir: str, seed: int = 0, size=128, num_slices: int = 40,
                    num_volumes: int = 9, volume_size=160, min_slices: int = 4,
                    max_slices: int = 6, convert: bool = True,
                    lesion_probs=(0.85, 0.6, 0.4), empty_prob: float = 0.1,
                    consolidation_radius=(0.09, 0.16), effusion_level=(0.1, 0.5)) -> None:
    """Write synthetic COVID-19_1 and COVID-19_2 volumes (and, with ``convert``, their PNGs)."""
    rng = np.random.default_rng(seed)
    options = dict(lesion_probs=tuple(lesion_probs), empty_prob=empty_prob,
                   consolidation_radius=tuple(consolidation_radius),
                   effusion_level=tuple(effusion_level))
    img, lab, lung = _volume(rng, size, num_slices, **options)
    raw1 = osp.join(out_dir, 'COVID-19_1')
    save_nifti(osp.join(raw1, 'tr_im.nii.gz'), img, np.float32)
    save_nifti(osp.join(raw1, 'tr_mask.nii.gz'), lab.astype(np.float32), np.float32)
    save_nifti(osp.join(raw1, 'tr_lungmasks_updated.nii.gz'), lung.astype(np.float32),
               np.float32)
    raw2 = osp.join(out_dir, 'COVID-19_2')
    for v in range(1, num_volumes + 1):
        img, lab, lung = _volume(rng, volume_size, int(rng.integers(min_slices, max_slices + 1)),
                                 **options)
        save_nifti(osp.join(raw2, 'rp_im', f'{v}.nii.gz'), np.round(img), np.int16)
        save_nifti(osp.join(raw2, 'rp_msk', f'{v}.nii.gz'), lab, np.uint8)
        save_nifti(osp.join(raw2, 'rp_lung_msk', f'{v}.nii.gz'), lung, np.uint8)
    if convert:
        hr_size = _shape(size)
        convert_covid19_1(raw1, osp.join(out_dir, 'medseg_covid19_1'), hr_size=hr_size,
                          progress=False)
        # the real split: the first 6 of 9 volumes for training (two thirds)
        convert_covid19_2(raw2, osp.join(out_dir, 'medseg_covid19_2'), hr_size=hr_size,
                          num_train_volumes=max(1, round(num_volumes * 2 / 3)), progress=False)
