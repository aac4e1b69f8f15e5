"""The refined Generalized Focal Loss for classification: Quality Focal Loss with the paper's alpha.

Panboonyuen et al. (2024) write their detection loss (Formula 1) as the focal loss
``L = -alpha * (1 - p_t)^gamma * log(p_t)`` and call it the (refined) Generalized Focal Loss. GFL's
classification part, Quality Focal Loss (Li et al., NeurIPS 2020, Eq. 5), is the same loss
generalised to soft IoU targets y in [0, 1] without alpha:

    QFL(sigma, y) = -|y - sigma|^beta * [(1 - y) log(1 - sigma) + y log(sigma)].

This module computes QFL with the paper's optional balancing factor:

    L(sigma, y) = alpha_t * QFL(sigma, y),  alpha_t = alpha if y > 0 else 1 - alpha,

so that for hard labels y in {0, 1} it equals Formula 1 exactly (gamma = beta; |y - sigma| =
1 - p_t). With ``alpha=None`` it is mmdet's :class:`~mmdet.models.losses.QualityFocalLoss`
unchanged (the computation is delegated to it).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet.models.losses import QualityFocalLoss
from mmdet.models.losses.utils import weighted_loss
from mmdet.registry import MODELS
from torch import Tensor


@weighted_loss
def refined_quality_focal_loss(pred: Tensor, target: Tensor, alpha: Optional[float] = None,
                               beta: float = 2.0, activated: bool = False) -> Tensor:
    """Alpha-balanced QFL, summed over classes.

    Args:
        pred (Tensor): (N, C) logits (probabilities if ``activated``).
        target (Tensor): (N, C) soft targets in [0, 1]; entries > 0 are positives.
        alpha (float, optional): Weight of positives (1 - alpha for negatives); None = no weight.
        beta (float): Modulating exponent (gamma of Formula 1).

    Returns:
        Tensor: (N,) loss per sample.
    """
    if pred.shape != target.shape:
        raise ValueError(f'refined_quality_focal_loss: pred {tuple(pred.shape)} and target '
                         f'{tuple(target.shape)} must have the same shape')
    target = target.type_as(pred)
    if activated:
        prob = pred
        bce = F.binary_cross_entropy(pred, target, reduction='none')
    else:
        prob = pred.sigmoid()
        bce = F.binary_cross_entropy_with_logits(pred, target, reduction='none')
    loss = (target - prob).abs().pow(beta) * bce
    if alpha is not None:
        loss = loss * torch.where(target > 0, loss.new_tensor(alpha), loss.new_tensor(1 - alpha))
    return loss.sum(dim=1)


@MODELS.register_module()
class RefinedQualityFocalLoss(QualityFocalLoss):
    """QFL with the optional alpha of the refined GFL (see the module docstring).

    Args:
        use_sigmoid (bool): Must be True (as in mmdet's QFL).
        beta (float): Modulating exponent; 2.0 in GFL and in the paper's setting.
        alpha (float, optional): Balancing factor of Formula 1; None (default) disables it and
            makes this loss identical to mmdet's ``QualityFocalLoss``.
        reduction (str): 'none', 'mean' or 'sum'.
        loss_weight (float): Multiplier of the loss.
        activated (bool): Inputs are probabilities rather than logits.

    ``forward(pred (N, C), target, weight=None (N,), avg_factor=None)``: ``target`` is either a
    dense (N, C) soft target or mmdet's tuple ``(labels (N,), scores (N,))`` with background label
    C.
    """

    def __init__(self,
                 use_sigmoid: bool = True,
                 beta: float = 2.0,
                 alpha: Optional[float] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 activated: bool = False) -> None:
        super().__init__(use_sigmoid=use_sigmoid, beta=beta, reduction=reduction,
                         loss_weight=loss_weight, activated=activated)
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise ValueError(f'RefinedQualityFocalLoss: alpha must lie in [0, 1], got {alpha}')
        self.alpha = alpha

    def forward(self, pred: Tensor, target, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        if self.alpha is None:
            return super().forward(pred, target, weight=weight, avg_factor=avg_factor,
                                   reduction_override=reduction_override)
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        if isinstance(target, (tuple, list)):
            labels, scores = target
            num_classes = pred.size(1)
            pos = (labels >= 0) & (labels < num_classes)
            dense = pred.new_zeros(pred.shape)
            dense[pos, labels[pos].long()] = scores[pos].type_as(pred)
            target = dense
        return self.loss_weight * refined_quality_focal_loss(
            pred, target, weight, alpha=self.alpha, beta=self.beta, activated=self.activated,
            reduction=reduction, avg_factor=avg_factor)
