"""CIoU box loss as YOLOv8 (Ultralytics) computes it, with mmdet's aspect-term gate as an option.

``loss = 1 - CIoU(pred, target)`` (Zheng et al., AAAI 2020, Eq. 10; CIoU in
:func:`mmext.structures.bbox_ciou`). mmdet's ``CIoULoss`` keeps the aspect-ratio penalty
``alpha * v`` only where IoU > 0.5 and clamps CIoU to [-1, 1]; Ultralytics' ``BboxLoss`` keeps it
everywhere and does not clamp. ``aspect_iou_gate=None`` (default) is Ultralytics' loss,
``aspect_iou_gate=0.5`` mmdet's gate.
"""
from typing import Optional

import torch.nn as nn
from mmdet.models.losses.utils import weighted_loss
from mmdet.registry import MODELS
from torch import Tensor

from mmext.structures.ciou import bbox_ciou


@weighted_loss
def yolov8_ciou_loss(pred: Tensor, target: Tensor, aspect_iou_gate: Optional[float] = None,
                     eps: float = 1e-7) -> Tensor:
    """(N, 4) xyxy boxes -> (N,) ``1 - CIoU``."""
    return 1 - bbox_ciou(pred, target, is_aligned=True, aspect_iou_gate=aspect_iou_gate, eps=eps)


@MODELS.register_module()
class YOLOv8CIoULoss(nn.Module):
    """``1 - CIoU`` with a switchable IoU gate on the aspect term (see the module docstring).

    Args:
        aspect_iou_gate (float, optional): None: no gate (Ultralytics); 0.5: mmdet's gate.
        eps (float): Ultralytics' 1e-7.
        reduction (str): 'none', 'mean' or 'sum'.
        loss_weight (float): Multiplier (YOLOv8's box gain is 7.5).

    ``forward(pred (N, 4), target (N, 4), weight=None (N,), avg_factor=None)``.
    """

    def __init__(self, aspect_iou_gate: Optional[float] = None, eps: float = 1e-7,
                 reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        if aspect_iou_gate is not None and not 0.0 <= aspect_iou_gate < 1.0:
            raise ValueError(f'YOLOv8CIoULoss: aspect_iou_gate must be None or in [0, 1), got '
                             f'{aspect_iou_gate}')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f"YOLOv8CIoULoss: reduction must be 'none', 'mean' or 'sum', got "
                             f'{reduction!r}')
        self.aspect_iou_gate = aspect_iou_gate
        self.eps = eps
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        reduction = reduction_override if reduction_override else self.reduction
        if weight is not None and weight.dim() > 1:
            weight = weight.mean(-1)
        return self.loss_weight * yolov8_ciou_loss(
            pred, target, weight, aspect_iou_gate=self.aspect_iou_gate, eps=self.eps,
            reduction=reduction, avg_factor=avg_factor)
