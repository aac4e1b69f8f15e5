"""The classification loss of points against an all-negative target, summed over classes.

Cost-based assigners (MMMC's APS) need, for every candidate point, ``sum_k l(x_k, 0)``: the
element-wise classification loss of its ``C`` logits when no class is the target. Through the loss
module that is a ``(N, C)`` call making a dozen element-wise passes (mmdet's
``py_sigmoid_focal_loss`` builds the target, ``p_t``, the focal weight and the BCE separately),
which dominates an assignment on the CPU. This module computes the same numbers faster:

* mmdet's ``FocalLoss`` (``use_sigmoid=True``, logits): with target 0 the focal loss of a logit
  ``x`` reduces to ``w * (1 - alpha) * sigmoid(x) ** gamma * softplus(x)`` (``p_t = sigmoid(x)``,
  the focal weight ``(1 - alpha) p_t ** gamma``, ``BCE(x, 0) = softplus(x)``), ``w`` the
  loss weight: three passes instead of a dozen;
* any other element-wise loss module: the module itself, called with
  ``reduction_override='none'`` on blocks of rows. On the CPU a block of about ``block_elements``
  logits fits in the cache, which makes the many passes cheaper than passes over all points.

Both give the values of one call of the module (to float rounding: the closed form agrees with
mmdet's focal loss to ~1e-6 relative, ``tests/models/test_negative_class_loss.py``).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


def _focal_parameters(loss_cls: nn.Module):
    """``(gamma, alpha, loss_weight)`` when ``loss_cls`` is mmdet's sigmoid ``FocalLoss`` on
    logits (the closed form applies), else None."""
    from mmdet.models.losses import FocalLoss
    if type(loss_cls) is not FocalLoss:  # a subclass may change forward()
        return None
    if not loss_cls.use_sigmoid or getattr(loss_cls, 'activated', False):
        return None
    return float(loss_cls.gamma), float(loss_cls.alpha), float(loss_cls.loss_weight)


def negative_class_loss_sum(loss_cls: nn.Module, logits: Tensor,
                            block_elements: int = 1 << 17) -> Tensor:
    """``sum_k loss_cls(logits[:, k], 0)`` for each row.

    Args:
        loss_cls (nn.Module): an element-wise classification loss taking
            ``reduction_override`` (mmdet's ``FocalLoss``, BCE-style losses).
        logits (Tensor): (N, C) classification logits.
        block_elements (int): rows per block of the generic path, in logits (CPU only).

    Returns:
        Tensor: (N,) the loss of each row against the all-zero target, summed over ``C``.
    """
    if logits.size(0) == 0:
        return logits.new_zeros((0, ))
    focal = _focal_parameters(loss_cls)
    if focal is not None:
        gamma, alpha, weight = focal
        focal_weight = logits.sigmoid()  # p_t for target 0, then p_t ** gamma in place
        focal_weight = focal_weight.square_() if gamma == 2.0 else focal_weight.pow_(gamma)
        return focal_weight.mul_(F.softplus(logits)).sum(-1) * (weight * (1 - alpha))
    if logits.device.type == 'cpu':
        block_rows = max(1, block_elements // max(1, logits.size(1)))
    else:  # accelerators: one call, as kernel launches cost more than memory traffic
        block_rows = logits.size(0)
    return torch.cat([
        loss_cls(block, torch.zeros_like(block), reduction_override='none').sum(-1)
        for block in logits.split(block_rows)
    ])
