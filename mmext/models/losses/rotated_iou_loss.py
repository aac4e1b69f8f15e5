"""``RotatedIoULoss`` that also trains on CPU.

mmrotate's ``RotatedIoULoss`` (config name ``'RotatedIoULoss'``, used by Rotated ATSS, Rotated
FCOS, RTMDet-R and DCFL) computes the IoU with ``mmcv.ops.diff_iou_rotated_2d``, which exists only
as a CUDA kernel, so those configs cannot train on a CPU. This subclass replaces it in mmrotate's
``MODELS`` registry under the same name (``force=True``): on CUDA tensors with the mmcv op
available it uses the mmcv op as before; otherwise it uses mmext's differentiable pure-PyTorch
rotated IoU (:func:`mmext.structures.rotated_box_iou`). Existing configs therefore run unchanged
on CPU and give the same loss values (the two IoUs agree to 1e-4).

Loss per aligned pair (``pred`` and ``target`` ``[N, 5]`` as (cx, cy, w, h, θ)):
``linear: 1 - IoU``, ``square: 1 - IoU²``, ``log: -ln IoU`` with IoU clamped to ``>= eps``.
No boxes give a zero loss (not the NaN of a mean over nothing); ``pred`` or ``target`` holding
NaN or inf raise a ``ValueError`` naming it.
"""
import contextlib
from typing import Optional

import torch
from mmdet.models.losses.utils import weighted_loss
from mmrotate.models.losses import RotatedIoULoss as MMRotateRotatedIoULoss
from mmrotate.registry import MODELS
from torch import Tensor

from mmext.structures import rotated_box_iou
from mmext.structures.rotated_iou import _check_finite

try:
    from mmcv.ops import diff_iou_rotated_2d
except ImportError:  # mmcv built without ops
    diff_iou_rotated_2d = None

_BACKENDS = ('auto', 'torch', 'mmcv')


def aligned_rotated_iou(pred: Tensor, target: Tensor, backend: str = 'auto') -> Tensor:
    """Differentiable IoU ``[N]`` of aligned rotated boxes ``[N, 5]``.

    ``backend='auto'`` uses mmcv's CUDA ``diff_iou_rotated_2d`` for CUDA tensors when mmcv has it
    and the pure-PyTorch polygon clipping otherwise; ``'torch'`` / ``'mmcv'`` force one.
    """
    if backend not in _BACKENDS:
        raise ValueError(f'unknown IoU backend {backend!r}, expected one of {_BACKENDS}')
    use_mmcv = backend == 'mmcv' or (backend == 'auto' and pred.is_cuda
                                     and diff_iou_rotated_2d is not None)
    if use_mmcv:
        if diff_iou_rotated_2d is None or not pred.is_cuda:
            raise RuntimeError("iou_backend='mmcv' needs mmcv's diff_iou_rotated_2d (a CUDA op) "
                               'and CUDA tensors')
        return diff_iou_rotated_2d(pred[None].float(), target[None].float())[0]
    return rotated_box_iou(pred, target, aligned=True)


@weighted_loss
def rotated_iou_loss(pred: Tensor, target: Tensor, mode: str = 'log', eps: float = 1e-6,
                     backend: str = 'auto') -> Tensor:
    """Element-wise rotated IoU loss ``[N]`` (``mode``: linear / square / log); mmdet's
    ``weighted_loss`` adds ``weight``, ``reduction`` and ``avg_factor``."""
    ious = aligned_rotated_iou(pred, target, backend).clamp(min=eps)
    if mode == 'linear':
        return 1 - ious
    if mode == 'square':
        return 1 - ious**2
    if mode == 'log':
        return -ious.log()
    raise ValueError(f"RotatedIoULoss: mode must be 'linear', 'square' or 'log', got {mode!r}")


@MODELS.register_module(name='RotatedIoULoss', force=True)
class RotatedIoULoss(MMRotateRotatedIoULoss):
    """mmrotate's ``RotatedIoULoss`` with a CPU path (same arguments, same outputs).

    Args:
        linear, eps, reduction, loss_weight, mode: as in mmrotate (``mode`` in
            ``'linear' | 'square' | 'log'``, default ``'log'``).
        iou_backend: ``'auto'`` (mmcv CUDA op on CUDA tensors, pure PyTorch otherwise),
            ``'torch'`` or ``'mmcv'``.
    """

    def __init__(self, linear: bool = False, eps: float = 1e-6, reduction: str = 'mean',
                 loss_weight: float = 1.0, mode: str = 'log', iou_backend: str = 'auto'):
        if mode not in ('linear', 'square', 'log'):
            raise ValueError(f"RotatedIoULoss: mode must be 'linear', 'square' or 'log', "
                             f'got {mode!r}')
        if iou_backend not in _BACKENDS:
            raise ValueError(f'RotatedIoULoss: iou_backend must be one of {_BACKENDS}, '
                             f'got {iou_backend!r}')
        super().__init__(linear=linear, eps=eps, reduction=reduction, loss_weight=loss_weight,
                         mode=mode)
        self.iou_backend = iou_backend

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        """Loss of ``pred`` vs ``target`` (``[N, 5]``); ``weight`` ``[N]`` or ``[N, 5]``."""
        if reduction_override not in (None, 'none', 'mean', 'sum'):
            raise ValueError(f'reduction_override must be None, none, mean or sum, '
                             f'got {reduction_override!r}')
        reduction = reduction_override if reduction_override else self.reduction
        _check_finite('RotatedIoULoss', pred, target, names=('pred', 'target'))
        if pred.shape[0] == 0 and reduction != 'none':
            # no boxes: zero (a mean over nothing would be NaN), still connected to the graph
            return self.loss_weight * pred.sum() * 0
        if weight is not None and not torch.any(weight > 0) and reduction != 'none':
            if pred.dim() == weight.dim() + 1:
                weight = weight.unsqueeze(1)
            return (pred * weight).sum()  # zero, but keeps the graph connected
        if weight is not None and weight.dim() > 1:
            # mmrotate's convention: a per-coordinate weight [N, 5] becomes a per-box weight
            if weight.shape != pred.shape:
                raise ValueError(f'weight shape {tuple(weight.shape)} must be [N] or match pred '
                                 f'{tuple(pred.shape)}')
            weight = weight.mean(-1)
        # the IoU is computed in float32 even under AMP (fp16 polygon clipping is too coarse)
        autocast = torch.autocast(device_type='cuda', enabled=False) if pred.is_cuda \
            else contextlib.nullcontext()
        with autocast:
            loss = rotated_iou_loss(
                pred.float() if pred.is_cuda else pred,
                target.float() if target.is_cuda else target,
                weight,
                mode=self.mode,
                eps=self.eps,
                backend=self.iou_backend,
                reduction=reduction,
                avg_factor=avg_factor,
                **kwargs)
        return self.loss_weight * loss

