"""Complete IoU (Zheng et al., AAAI 2020, Eq. 9-11) of axis-aligned xyxy boxes."""
import math
from typing import Optional

import torch
from torch import Tensor


def bbox_ciou(boxes1: Tensor, boxes2: Tensor, is_aligned: bool = False,
              aspect_iou_gate: Optional[float] = None, eps: float = 1e-7) -> Tensor:
    """CIoU = IoU - rho^2 / c^2 - alpha * v.

    v = 4 / pi^2 * (atan(w2 / h2) - atan(w1 / h1))^2 is the aspect-ratio term, alpha =
    v / (v - IoU + 1 + eps) its trade-off weight (no gradient through alpha), rho the distance of
    the centres and c the diagonal of the smallest enclosing box. Heights get ``+ eps`` and the
    union ``+ eps`` (Ultralytics' ``bbox_iou(CIoU=True)``, which YOLOv8 trains with).

    Args:
        boxes1 (Tensor): (M, 4) xyxy.
        boxes2 (Tensor): (N, 4) xyxy; N = M when ``is_aligned``.
        is_aligned (bool): Pairs (i, i) -> (M,) instead of all pairs -> (M, N).
        aspect_iou_gate (float, optional): Keep the aspect term only where IoU > gate; mmdet's
            ``CIoULoss`` uses 0.5 (the gate of CIoU's journal version), Ultralytics none (None).
        eps (float): As above.
    """
    if is_aligned:
        if boxes1.shape != boxes2.shape:
            raise ValueError(f'bbox_ciou(is_aligned=True): boxes1 {tuple(boxes1.shape)} and '
                             f'boxes2 {tuple(boxes2.shape)} must have the same shape')
        b1, b2 = boxes1, boxes2
    else:
        b1, b2 = boxes1[:, None, :], boxes2[None, :, :]
    w1, h1 = b1[..., 2] - b1[..., 0], b1[..., 3] - b1[..., 1] + eps
    w2, h2 = b2[..., 2] - b2[..., 0], b2[..., 3] - b2[..., 1] + eps
    inter = ((torch.min(b1[..., 2], b2[..., 2]) - torch.max(b1[..., 0], b2[..., 0])).clamp(0) *
             (torch.min(b1[..., 3], b2[..., 3]) - torch.max(b1[..., 1], b2[..., 1])).clamp(0))
    iou = inter / (w1 * h1 + w2 * h2 - inter + eps)
    cw = torch.max(b1[..., 2], b2[..., 2]) - torch.min(b1[..., 0], b2[..., 0])
    ch = torch.max(b1[..., 3], b2[..., 3]) - torch.min(b1[..., 1], b2[..., 1])
    c2 = cw**2 + ch**2 + eps
    rho2 = ((b2[..., 0] + b2[..., 2] - b1[..., 0] - b1[..., 2])**2 +
            (b2[..., 1] + b2[..., 3] - b1[..., 1] - b1[..., 3])**2) / 4
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1))**2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
        if aspect_iou_gate is not None:
            alpha = alpha * (iou > aspect_iou_gate).to(alpha.dtype)
    return iou - (rho2 / c2 + v * alpha)
