"""Small drawing helpers shared by the synthetic-data generators (numpy + OpenCV, deterministic)."""
from typing import Tuple

import cv2
import numpy as np


def textured_background(rng: np.random.Generator, height: int, width: int,
                        base: Tuple[int, int, int] = (96, 104, 90), noise: float = 12.0) -> np.ndarray:
    """A smooth, noisy ``(H, W, 3)`` uint8 RGB background (no class looks like it)."""
    low = rng.normal(0.0, 1.0, size=(max(height // 16, 2), max(width // 16, 2), 3)).astype(np.float32)
    low = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    fine = rng.normal(0.0, 1.0, size=(height, width, 3)).astype(np.float32)
    img = np.asarray(base, np.float32) + noise * (1.5 * low + 0.5 * fine)
    return np.clip(img, 0, 255).astype(np.uint8)


def rbox_to_corners(cx: float, cy: float, w: float, h: float, theta: float) -> np.ndarray:
    """Corners ``(4, 2)`` of a rotated box, clockwise in image coordinates (y down)."""
    c, s = np.cos(theta), np.sin(theta)
    dx = np.array([-w / 2, w / 2, w / 2, -w / 2])
    dy = np.array([-h / 2, -h / 2, h / 2, h / 2])
    return np.stack([cx + c * dx - s * dy, cy + s * dx + c * dy], axis=1)


def fill_polygon(img: np.ndarray, corners: np.ndarray, color) -> None:
    """Fill a polygon given in float pixel coordinates (sub-pixel accurate, anti-aliased)."""
    pts = np.round(corners * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(img, [pts], tuple(int(c) for c in color), lineType=cv2.LINE_AA, shift=4)


def save_rgb(path: str, img: np.ndarray) -> None:
    """Write an RGB image (PNG losslessly, JPEG at quality 95) and fail loudly if it cannot."""
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if path.lower().endswith(('.jpg', '.jpeg')) else []
    if not cv2.imwrite(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR), params):
        raise OSError(f'could not write image {path}')
