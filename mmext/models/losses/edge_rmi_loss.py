"""Infection-edge-detection guided RMI loss (Edge-RMI) of CogSeg (Sang et al., Eq. 3).

    L_RMI^Edge = 1/B sum_b sum_e 1/2 ( log det Sigma^{b,e}_{Y|P1} |_{R=3}
                                      + log det Sigma^{b,e}_{Y|P2} |_{R=5} )        (Eq. 3)

``P1``/``Y``: the ``3 x 3`` windows of all pixels (a full-image RMI term, "to provide a more
comprehensive constraint over local structures"); ``P2``/``Y``: the ``5 x 5`` windows centred on
the edge pixels of the segmentation prediction itself. ``b`` runs over the images of the batch,
``e`` over the classes; each ``Sigma_{Y|P}`` is RMI's posterior covariance
(:mod:`mmext.models.losses.rmi_loss`), computed in float64.

What the paper leaves open, and what is chosen here:

- **Sign.** Eq. 3 as printed carries a leading minus, which would *minimise* the mutual
  information; the text says the loss maximises its lower bound, as RMI does. The loss here is
  ``+1/2 log det`` (RMI's sign).
- **Edge map.** Edges come from the prediction: ``argmax`` of the logits (no gradient); a pixel
  is an edge pixel when its ``edge_kernel x edge_kernel`` neighbourhood (default 3, clipped at the
  image border) holds more than one predicted class, i.e. the morphological gradient of the label
  map is non-zero; pixels with an ignored label are never edge pixels. ``edge_from='gt'`` uses
  the ground truth instead (not the paper's choice; for experiments).
- **Windows at the border.** Only edge pixels whose ``5 x 5`` window lies inside the image are
  used (no padding), like the reference RMI, whose windows never leave the image.
- **Few edge pixels.** An image with fewer than ``min_edge_points`` edge pixels (default
  ``d + 1 = 26``, the fewest that can give a full-rank ``d x d`` covariance) contributes 0 to the
  edge term; its full-image term still counts. The batch mean still divides by ``B``.
- **Probabilities.** Softmax (the CogSeg segmentation head ends in a softmax), with RMI's
  ``+1e-6``; ignored pixels are zero in both maps, as in RMI.
- **Scaling.** As in the RMI reference code, each ``1/2 log det`` is divided by its dimension
  ``d = R^2`` (9 and 25), so the two terms are on the same scale (``normalize_by_dim=False``
  gives Eq. 3 literally). The full-image term uses RMI's default down-sampling (max-pooling,
  kernel and stride 3); the edge term uses the full-resolution maps, since its windows are
  anchored at pixels of the edge map.
- No BCE part: in CogSeg, Edge-RMI is added to the cross-entropy loss (``lambda_1 L_CE +
  lambda_4 L_RMI^Edge``, Eq. 1); use it next to ``CrossEntropyLoss`` in ``loss_decode``.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .rmi_loss import (check_finite_logits, check_rmi_options, posterior_half_log_det,
                       prepare_rmi_inputs, rmi_per_image_class)


def label_edge_map(label_map: Tensor, kernel_size: int = 3,
                   valid: Optional[Tensor] = None) -> Tensor:
    """Pixels whose ``kernel_size`` neighbourhood holds more than one label.

    Args:
        label_map: integer labels ``[N, H, W]``.
        kernel_size: odd neighbourhood size; the neighbourhood is clipped at the image border.
        valid: optional bool mask ``[N, H, W]``; invalid pixels are never edges.

    Returns:
        bool ``[N, H, W]``.
    """
    if kernel_size % 2 != 1:
        raise ValueError(f'edge kernel_size must be odd, got {kernel_size}')
    lab = label_map.unsqueeze(1).double()
    pad = kernel_size // 2
    high = F.max_pool2d(lab, kernel_size, stride=1, padding=pad)
    low = -F.max_pool2d(-lab, kernel_size, stride=1, padding=pad)
    edge = (high != low).squeeze(1)
    if valid is not None:
        edge = edge & valid
    return edge


def gather_windows(x: Tensor, centres: Tensor, radius: int) -> Tensor:
    """The ``radius x radius`` windows of ``x`` centred on given pixels, as vectors.

    Args:
        x: ``[N, C, H, W]``.
        centres: flat pixel indices ``[N, M]`` (``row * W + col``) whose windows lie inside the
            image, or ``-1`` for a padding point (its window is all zeros).
        radius: odd window side ``R``.

    Returns:
        ``[N, C, R*R, M]``, the ``R*R`` axis ordered row by row.
    """
    n, c, h, w = x.shape
    r = radius // 2
    dy, dx = torch.meshgrid(torch.arange(-r, r + 1, device=x.device),
                            torch.arange(-r, r + 1, device=x.device), indexing='ij')
    offsets = (dy * w + dx).reshape(-1)  # [R*R]
    index = centres.unsqueeze(1) + offsets.view(1, -1, 1)  # [N, R*R, M]
    index = torch.where(centres.unsqueeze(1) < 0, torch.full_like(index, h * w), index)
    flat = torch.cat([x.reshape(n, c, h * w), x.new_zeros(n, c, 1)], dim=2)  # zero slot h*w
    m = centres.shape[1]
    out = torch.gather(flat, 2, index.reshape(n, 1, -1).expand(n, c, -1))
    return out.view(n, c, radius * radius, m)


def edge_rmi_per_image_class(labels: Tensor, probs: Tensor, edge: Tensor, radius: int = 5,
                             eps: float = 5e-4, min_points: Optional[int] = None) -> Tensor:
    """``1/2 log det(Sigma_{Y|P})`` over the windows centred on edge pixels, per image and class.

    Args:
        labels: one-hot ground truth ``[N, C, H, W]``.
        probs: probabilities ``[N, C, H, W]``.
        edge: bool ``[N, H, W]``; centres closer than ``radius // 2`` to the border are dropped.
        radius: odd window side.
        min_points: images with fewer edge centres contribute 0 (default ``radius**2 + 1``).

    Returns:
        ``[N, C]`` float64 (0 where an image has too few edge pixels).
    """
    if radius % 2 != 1:
        raise ValueError(f'the edge window must have an odd side, got {radius}')
    n, c, h, w = labels.shape
    r = radius // 2
    if min_points is None:
        min_points = radius * radius + 1
    inside = torch.zeros_like(edge)
    inside[:, r:h - r, r:w - r] = True
    edge = edge & inside
    counts = edge.flatten(1).sum(1)  # [N]
    max_count = int(counts.max()) if n else 0
    if max_count == 0:
        return labels.new_zeros((n, c), dtype=torch.float64)
    # each image's edge pixels first (a stable sort keeps raster order), padded with -1 up to
    # the largest count in the batch: every image is handled in one batched computation
    order = torch.argsort((~edge).flatten(1).to(torch.uint8), dim=1, stable=True)
    valid = torch.arange(max_count, device=edge.device)[None] < counts[:, None]
    centres = torch.where(valid, order[:, :max_count], torch.full_like(valid, -1, dtype=torch.long))
    la = gather_windows(labels, centres, radius)
    pr = gather_windows(probs, centres, radius)
    value = posterior_half_log_det(la, pr, eps, count=counts[:, None])
    enough = (counts >= min_points).unsqueeze(1)
    return torch.where(enough, value, torch.zeros_like(value))


@MODELS.register_module()
class EdgeRMILoss(nn.Module):
    """Edge-RMI (CogSeg Eq. 3): full-image RMI with ``R=3`` plus RMI over ``R=5`` windows centred
    on the edge pixels of the prediction. See the module docstring for every choice made where the
    paper is silent.

    Called like mmseg's losses: ``loss(cls_score [N, C, H, W], label [N, H, W],
    ignore_index=255)``; returns
    ``loss_weight * sum_c mean_n (rmi_R3[n, c] / 9 + edge_rmi_R5[n, c] / 25)`` (without the
    divisions when ``normalize_by_dim=False``).

    Args:
        global_radius (int): window side of the full-image term. Default 3.
        edge_radius (int): window side of the edge term (odd). Default 5.
        edge_kernel (int): neighbourhood of the edge detector. Default 3.
        edge_from (str): ``'pred'`` (paper) or ``'gt'``.
        min_edge_points (int, optional): see the module docstring; default ``edge_radius**2 + 1``.
        pool_way, pool_size, pool_stride: down-sampling of the full-image term (RMI defaults).
        activation (str): ``'softmax'`` (default) or ``'sigmoid'``.
        eps (float): RMI's ``eps``, 5e-4.
        clip_min (float): added to the probabilities, 1e-6.
        normalize_by_dim (bool): divide each term by its ``d``. Default True.
        loss_weight (float): ``lambda_4`` of Eq. 1 when used in ``loss_decode``.
        loss_name (str): the key in the loss dict.
    """

    def __init__(self,
                 global_radius: int = 3,
                 edge_radius: int = 5,
                 edge_kernel: int = 3,
                 edge_from: str = 'pred',
                 min_edge_points: Optional[int] = None,
                 pool_way: str = 'max',
                 pool_size: int = 3,
                 pool_stride: int = 3,
                 activation: str = 'softmax',
                 eps: float = 5e-4,
                 clip_min: float = 1e-6,
                 normalize_by_dim: bool = True,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_edge_rmi'):
        super().__init__()
        if edge_from not in ('pred', 'gt'):
            raise ValueError(f"edge_from must be 'pred' or 'gt', got {edge_from!r}")
        if edge_radius % 2 != 1 or edge_kernel % 2 != 1:
            raise ValueError(f'edge_radius ({edge_radius}) and edge_kernel ({edge_kernel}) must '
                             'be odd')
        check_rmi_options(global_radius, pool_way, pool_size, pool_stride, activation,
                          radius_name='global_radius')
        self.global_radius = global_radius
        self.edge_radius = edge_radius
        self.edge_kernel = edge_kernel
        self.edge_from = edge_from
        self.min_edge_points = min_edge_points
        self.pool_way = pool_way
        self.pool_size = pool_size
        self.pool_stride = pool_stride
        self.activation = activation
        self.eps = eps
        self.clip_min = clip_min
        self.normalize_by_dim = normalize_by_dim
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def edge_map(self, cls_score: Tensor, label: Tensor, valid: Tensor) -> Tensor:
        """The edge pixels ``[N, H, W]`` (bool) the edge term is centred on."""
        with torch.no_grad():
            source = cls_score.argmax(dim=1) if self.edge_from == 'pred' else \
                torch.where(valid, label, torch.full_like(label, -1))
            return label_edge_map(source, self.edge_kernel, valid)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """Loss of logits ``cls_score [N, C, H, W]`` against class indices ``label [N, H, W]``."""
        if weight is not None:
            raise ValueError('EdgeRMILoss does not support per-pixel weights (decode_head.sampler)')
        check_finite_logits(cls_score, 'EdgeRMILoss')
        onehot, probs, valid = prepare_rmi_inputs(cls_score, label, ignore_index,
                                                  self.activation, self.clip_min)
        if cls_score.shape[0] == 0:  # no image: zero (a batch mean would be NaN), connected
            return cls_score.sum() * 0
        full = rmi_per_image_class(onehot, probs, self.global_radius, self.pool_way,
                                   self.pool_size, self.pool_stride, self.eps)
        edge = edge_rmi_per_image_class(onehot, probs, self.edge_map(cls_score, label, valid),
                                        self.edge_radius, self.eps, self.min_edge_points)
        if self.normalize_by_dim:
            full = full / float(self.global_radius**2)
            edge = edge / float(self.edge_radius**2)
        loss = (full + edge).mean(dim=0).sum()
        return self.loss_weight * loss.to(cls_score.dtype)

    @property
    def loss_name(self) -> str:
        """The key of this loss in the loss dict."""
        return self._loss_name
