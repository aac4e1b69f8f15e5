"""Region Mutual Information (RMI) loss (Zhao et al., "Region Mutual Information Loss for Semantic
Segmentation", NeurIPS 2019), on CPU and GPU.

Every pixel is described, together with its ``R x R`` neighbourhood, by a ``d = R^2`` dimensional
vector, once in the one-hot ground truth (``Y``) and once in the predicted probabilities (``P``),
separately for each class. Over the ``M`` pixels of an image RMI forms the (unnormalised)
covariances and the posterior covariance

    Sigma_{Y|P} = Sigma_Y - Sigma_YP (Sigma_P + eps I)^-1 Sigma_YP^T            (RMI Eq. 13)

and minimises ``1/2 log det(Sigma_{Y|P})``, i.e. maximises the lower bound of the mutual
information between the two ``d``-dimensional distributions (up to a constant). The covariances,
the inverse and the log-determinant are computed in float64, as in the reference code
(ZJULearning/RMI, ``losses/rmi/rmi.py``, which casts to ``torch.cuda.DoubleTensor`` and therefore
runs on CUDA only).

Reference behaviour kept here (its class defaults): ``R = 3``; labels and probabilities are first
max-pooled with kernel 3, stride 3, padding 1; ``eps = 5e-4`` is added to ``Sigma_P`` before the
inverse and to ``Sigma_{Y|P}`` before the Cholesky factorisation; probabilities get ``+1e-6``;
pixels whose label is ignored (or ``>= C``) are zeroed in both maps; the per-image, per-class
value is divided by ``d``, averaged over the batch and summed over classes; the total loss is
``lambda * BCE + (1 - lambda) * RMI`` with sigmoid probabilities and ``lambda = 0.5``
(``lambda_way=1``; ``lambda_way=0`` gives ``BCE + lambda * RMI``).

Differences from the reference, all numerical guards that do not change a well-posed value:

- ``log det`` is ``2 * sum(log(diag(L)))`` of the Cholesky factor ``L`` (the reference adds
  ``1e-8`` to ``diag(L)``; with ``+eps I`` in float64, ``diag(L) >= sqrt(eps)`` anyway).
- **Cholesky fallback.** ``Sigma_{Y|P}`` is a Schur complement and therefore positive
  semi-definite in exact arithmetic, so ``+eps I`` makes it positive definite; a class with no
  pixels (``Y = 0``) or a constant probability map simply gives ``Sigma_{Y|P} = 0`` and
  ``log det(eps I)``. If rounding still makes a matrix non-positive-definite (the reference raises
  ``cholesky: U(i,i) is zero``), the log-determinant of that matrix is taken from its eigenvalues
  clamped to at least ``eps`` (a :class:`RuntimeWarning` says so) instead of failing the step.
- Autocast (mixed precision) is switched off around the float64 maths, which has no fp16 kernels
  (the NVIDIA port disables apex casts for the same reason).
- Per-pixel loss weights (mmseg's pixel samplers) are not supported and raise an error.
- Input checks: logits holding NaN or inf raise a ``ValueError`` naming ``cls_score``; a map
  that holds no ``R x R`` window after the down-sampling (smaller than 7x7 with the defaults)
  raises a ``ValueError`` giving the smallest accepted size (the reference slices out of
  range); an empty batch gives a zero loss.
"""
import warnings
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

POOL_WAYS = ('max', 'avg', 'bilinear', 'none')


def region_vectors(x: Tensor, radius: int) -> Tensor:
    """All ``radius x radius`` windows of ``x`` that fit inside the image, as vectors.

    Args:
        x: ``[N, C, H, W]``.
        radius: the window side ``R``.

    Returns:
        ``[N, C, R*R, (H-R+1)*(W-R+1)]``; the ``R*R`` axis is ordered row by row (the reference's
        ``map_get_pairs`` order) and the window of output position ``(i, j)`` covers rows
        ``i..i+R-1`` and columns ``j..j+R-1``.
    """
    n, c, h, w = x.shape
    if h < radius or w < radius:
        raise ValueError(f'RMI needs maps of at least {radius}x{radius} pixels, got {h}x{w}')
    cols = F.unfold(x.reshape(n * c, 1, h, w), kernel_size=radius)
    return cols.view(n, c, radius * radius, -1)


def log_det_pd(mat: Tensor, eps: float) -> Tensor:
    """``log det`` of a batch of symmetric matrices that should be positive definite.

    Uses the Cholesky factorisation; matrices where it fails (rounding made them indefinite) get
    ``sum(log(max(eigenvalue, eps)))`` instead, with a :class:`RuntimeWarning`.

    Args:
        mat: ``[..., d, d]``, float64 recommended.
        eps: the smallest eigenvalue kept by the fallback.

    Returns:
        ``[...]``.
    """
    _, info = torch.linalg.cholesky_ex(mat.detach())
    bad = info != 0
    if not bool(bad.any()):
        chol = torch.linalg.cholesky(mat)
        return 2.0 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
    warnings.warn(f'RMI: {int(bad.sum())} posterior covariance matrices are not positive '
                  'definite after adding eps*I; their log-determinant uses eigenvalues clamped '
                  f'to >= {eps}.', RuntimeWarning)
    eye = torch.eye(mat.shape[-1], dtype=mat.dtype, device=mat.device)
    # factorise the good matrices only (identity in place of the bad ones keeps gradients finite)
    safe = torch.where(bad[..., None, None], eye.expand_as(mat), mat)
    chol = torch.linalg.cholesky(safe)
    logdet = 2.0 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
    eig = torch.linalg.eigvalsh(mat[bad])
    return logdet.masked_scatter(bad, torch.log(eig.clamp(min=eps)).sum(-1))


def posterior_half_log_det(la_vectors: Tensor,
                           pr_vectors: Tensor,
                           eps: float = 5e-4,
                           count: Optional[Tensor] = None) -> Tensor:
    """``1/2 log det(Sigma_{Y|P} + eps I)`` of paired ``d``-dimensional samples, in float64.

    Args:
        la_vectors: ground-truth vectors ``[..., d, M]`` (no gradient is taken through them).
        pr_vectors: probability vectors ``[..., d, M]``.
        eps: added to ``Sigma_P`` before the inverse and to ``Sigma_{Y|P}`` before the log-det.
        count: optional number of points ``[...]`` (broadcastable) when only the first ones are
            real: the other columns must be zero in both inputs. ``None``: all ``M`` points.

    Returns:
        ``[...]``. The covariances are sums over the points, not means, as in the reference:
        ``Sigma_AB = sum_m (a_m - mean(a)) (b_m - mean(b))^T = A B^T - sum(a) sum(b)^T / M``.
    """
    # float64 throughout, also inside an AMP autocast region (Cholesky/solve have no fp16)
    with torch.autocast(device_type=la_vectors.device.type, enabled=False):
        la = la_vectors.detach().double()
        pr = pr_vectors.double()
        if count is None:
            count = torch.full(la.shape[:-2], float(la.shape[-1]), dtype=torch.float64,
                               device=la.device)
        count = count.double().clamp(min=1.0)[..., None, None]
        la_sum = la.sum(-1, keepdim=True)
        pr_sum = pr.sum(-1, keepdim=True)
        la_cov = la @ la.transpose(-2, -1) - la_sum @ la_sum.transpose(-2, -1) / count
        pr_cov = pr @ pr.transpose(-2, -1) - pr_sum @ pr_sum.transpose(-2, -1) / count
        la_pr_cov = la @ pr.transpose(-2, -1) - la_sum @ pr_sum.transpose(-2, -1) / count
        d = la.shape[-2]
        eye = torch.eye(d, dtype=torch.float64, device=la.device)
        # Sigma_YP (Sigma_P + eps I)^-1 Sigma_YP^T through a solve: (Sigma_P + eps I) is SPD
        pr_cov = 0.5 * (pr_cov + pr_cov.transpose(-2, -1))
        solved = torch.linalg.solve(pr_cov + eps * eye, la_pr_cov.transpose(-2, -1))
        appro_var = la_cov - la_pr_cov @ solved
        appro_var = 0.5 * (appro_var + appro_var.transpose(-2, -1))  # exact symmetry
        return 0.5 * log_det_pd(appro_var + eps * eye, eps)


def downsample_for_rmi(labels: Tensor, probs: Tensor, pool_way: str, pool_size: int,
                       pool_stride: int) -> Tuple[Tensor, Tensor]:
    """The reference's down-sampling of one-hot labels and probabilities before RMI.

    ``'max'`` / ``'avg'``: pooling with ``kernel=pool_size, stride=pool_stride,
    padding=pool_size // 2``; ``'bilinear'``: resize to ``(H // s, W // s)`` (nearest for labels,
    bilinear with ``align_corners=True`` for probabilities); ``'none'`` or ``pool_stride == 1``:
    unchanged.
    """
    if pool_way == 'none' or pool_stride <= 1:
        return labels, probs
    pad = pool_size // 2
    if pool_way == 'max':
        return (F.max_pool2d(labels, pool_size, pool_stride, pad),
                F.max_pool2d(probs, pool_size, pool_stride, pad))
    if pool_way == 'avg':
        return (F.avg_pool2d(labels, pool_size, pool_stride, pad),
                F.avg_pool2d(probs, pool_size, pool_stride, pad))
    if pool_way == 'bilinear':
        size = (labels.shape[2] // pool_stride, labels.shape[3] // pool_stride)
        return (F.interpolate(labels, size=size, mode='nearest'),
                F.interpolate(probs, size=size, mode='bilinear', align_corners=True))
    raise ValueError(f'pool_way must be one of {POOL_WAYS}, got {pool_way!r}')


def _check_map_size(h: int, w: int, radius: int, pool_way: str, pool_size: int,
                    pool_stride: int) -> None:
    """``ValueError`` when an ``h x w`` map holds no ``radius x radius`` window after the
    down-sampling (rather than a shape error deep inside pooling or unfold), with the smallest
    size these settings accept. In training the maps are fixed-size crops, so this is a
    configuration error seen at the first iteration."""
    pooled = not (pool_way == 'none' or pool_stride <= 1)
    if not pooled:
        least, after = radius, (h, w)
    elif pool_way == 'bilinear':
        least, after = radius * pool_stride, (h // pool_stride, w // pool_stride)
    else:  # max / avg pooling with padding pool_size // 2
        pad = pool_size // 2
        least = (radius - 1) * pool_stride + pool_size - 2 * pad
        after = tuple((x + 2 * pad - pool_size) // pool_stride + 1 for x in (h, w))
    if min(after) < radius:
        setting = f'{radius}x{radius} windows' + (
            f' after {pool_way} down-sampling by {pool_stride}' if pooled else '')
        got = f'{h}x{w}' + (f' ({after[0]}x{after[1]} down-sampled)' if pooled else '')
        raise ValueError(f'RMI needs maps of at least {least}x{least} pixels for {setting}, '
                         f'got {got}')


def check_finite_logits(cls_score: Tensor, caller: str) -> None:
    """``ValueError`` naming the loss when the logits hold NaN or inf (one device sync)."""
    if not bool(torch.isfinite(cls_score).all()):
        raise ValueError(f'{caller}: cls_score holds NaN/inf')


def rmi_per_image_class(labels: Tensor, probs: Tensor, radius: int = 3, pool_way: str = 'max',
                        pool_size: int = 3, pool_stride: int = 3, eps: float = 5e-4) -> Tensor:
    """``1/2 log det(Sigma_{Y|P})`` for every image and class (the reference ``rmi_lower_bound``
    before its reduction).

    Args:
        labels: one-hot ground truth ``[N, C, H, W]`` (zero at ignored pixels).
        probs: probabilities ``[N, C, H, W]``.

    Returns:
        ``[N, C]`` float64.
    """
    if labels.shape != probs.shape:
        raise ValueError(f'labels {tuple(labels.shape)} and probabilities '
                         f'{tuple(probs.shape)} differ in shape')
    _check_map_size(labels.shape[2], labels.shape[3], radius, pool_way, pool_size, pool_stride)
    labels, probs = downsample_for_rmi(labels, probs, pool_way, pool_size, pool_stride)
    return posterior_half_log_det(region_vectors(labels, radius), region_vectors(probs, radius),
                                  eps)


def check_rmi_options(radius: int, pool_way: str, pool_size: int, pool_stride: int,
                      activation: str, radius_name: str = 'radius') -> None:
    """Raise ``ValueError`` naming the option when an RMI setting is out of the reference's
    range (shared by :class:`RMILoss` and the full-image term of ``EdgeRMILoss``)."""
    if not 1 <= radius <= 10:
        raise ValueError(f'{radius_name} must be in [1, 10] (reference), got {radius}')
    if pool_way not in POOL_WAYS:
        raise ValueError(f'pool_way must be one of {POOL_WAYS}, got {pool_way!r}')
    if pool_way in ('max', 'avg') and pool_size != pool_stride:
        raise ValueError(f'pool_size ({pool_size}) must equal pool_stride ({pool_stride}), '
                         'as in the reference')
    if activation not in ('sigmoid', 'softmax'):
        raise ValueError(f"activation must be 'sigmoid' or 'softmax', got {activation!r}")


def prepare_rmi_inputs(cls_score: Tensor, label: Tensor, ignore_index: int, activation: str,
                       clip_min: float) -> Tuple[Tensor, Tensor, Tensor]:
    """One-hot labels, masked probabilities and the valid-pixel mask, as the reference builds them.

    Args:
        cls_score: logits ``[N, C, H, W]``.
        label: class indices ``[N, H, W]``; ``ignore_index`` and values ``>= C`` are ignored.
        activation: ``'sigmoid'`` (the reference) or ``'softmax'``.

    Returns:
        ``onehot [N, C, H, W]`` (zero at ignored pixels), ``probs [N, C, H, W]``
        (``activation(cls_score) * valid + clip_min``) and ``valid [N, H, W]`` (bool).
    """
    if cls_score.dim() != 4 or label.dim() != 3 or label.shape != (cls_score.shape[0],
                                                                   *cls_score.shape[2:]):
        raise ValueError(f'expected logits [N, C, H, W] and labels [N, H, W] of the same size, got '
                         f'{tuple(cls_score.shape)} and {tuple(label.shape)}')
    num_classes = cls_score.shape[1]
    valid = (label != ignore_index) & (label >= 0) & (label < num_classes)
    onehot = F.one_hot(torch.where(valid, label, torch.zeros_like(label)).long(), num_classes)
    onehot = onehot.permute(0, 3, 1, 2).to(cls_score.dtype) * valid.unsqueeze(1)
    if activation == 'sigmoid':
        probs = cls_score.sigmoid()
    elif activation == 'softmax':
        probs = cls_score.softmax(dim=1)
    else:
        raise ValueError(f"activation must be 'sigmoid' or 'softmax', got {activation!r}")
    probs = probs * valid.unsqueeze(1) + clip_min
    return onehot, probs, valid


@MODELS.register_module()
class RMILoss(nn.Module):
    """Region Mutual Information loss for mmseg decode heads (``loss_decode``).

    Called as ``loss(cls_score [N, C, H, W], label [N, H, W], ignore_index=255)`` like mmseg's
    losses. The value is (see the module docstring for the formulas)::

        rmi  = sum_c mean_n 1/2 log det(Sigma_{Y|P}[n, c]) / d       (d = R^2)
        loss = loss_weight * (lambda * bce + (1 - lambda) * rmi)     lambda_way=1, with_bce=True
        loss = loss_weight * (bce + lambda * rmi)                    lambda_way=0, with_bce=True
        loss = loss_weight * rmi                                     with_bce=False

    where ``bce`` is the reference's sigmoid binary cross-entropy summed over valid pixels and
    classes and divided by ``valid_pixels + 1``.

    Args:
        radius (int): window side ``R``. Default 3 (reference).
        pool_way (str): ``'max'`` (reference class default), ``'avg'`` (the reference's training
            script), ``'bilinear'`` or ``'none'``.
        pool_size (int): pooling kernel. Default 3.
        pool_stride (int): pooling stride; the reference requires ``pool_size == pool_stride``.
        activation (str): ``'sigmoid'`` (reference) or ``'softmax'`` probabilities.
        with_bce (bool): add the reference's sigmoid BCE term. Set False to use RMI next to
            another classification loss (e.g. mmseg's CrossEntropyLoss in the same list).
        bce_lambda (float): ``lambda`` above. Default 0.5.
        lambda_way (int): 1 or 0, as above.
        eps (float): ``_POS_ALPHA`` of the reference, 5e-4.
        clip_min (float): added to the probabilities, 1e-6.
        normalize_by_dim (bool): divide by ``d`` (reference). Default True.
        loss_weight (float): multiplier of the whole loss.
        loss_name (str): the key in the loss dict (must start with ``loss_``).
    """

    def __init__(self,
                 radius: int = 3,
                 pool_way: str = 'max',
                 pool_size: int = 3,
                 pool_stride: int = 3,
                 activation: str = 'sigmoid',
                 with_bce: bool = True,
                 bce_lambda: float = 0.5,
                 lambda_way: int = 1,
                 eps: float = 5e-4,
                 clip_min: float = 1e-6,
                 normalize_by_dim: bool = True,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_rmi'):
        super().__init__()
        check_rmi_options(radius, pool_way, pool_size, pool_stride, activation)
        if lambda_way not in (0, 1):
            raise ValueError(f'lambda_way must be 0 or 1, got {lambda_way}')
        self.radius = radius
        self.pool_way = pool_way
        self.pool_size = pool_size
        self.pool_stride = pool_stride
        self.activation = activation
        self.with_bce = with_bce
        self.bce_lambda = bce_lambda
        self.lambda_way = lambda_way
        self.eps = eps
        self.clip_min = clip_min
        self.normalize_by_dim = normalize_by_dim
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """Loss of logits ``cls_score [N, C, H, W]`` against class indices ``label [N, H, W]``."""
        if weight is not None:
            raise ValueError('RMILoss does not support per-pixel weights (decode_head.sampler)')
        check_finite_logits(cls_score, 'RMILoss')
        onehot, probs, valid = prepare_rmi_inputs(cls_score, label, ignore_index,
                                                  self.activation, self.clip_min)
        if cls_score.shape[0] == 0:  # no image: zero (a batch mean would be NaN), connected
            return cls_score.sum() * 0
        half_log_det = rmi_per_image_class(onehot, probs, self.radius, self.pool_way,
                                           self.pool_size, self.pool_stride, self.eps)
        rmi = half_log_det.mean(dim=0)
        if self.normalize_by_dim:
            rmi = rmi / float(self.radius**2)
        rmi = rmi.sum().to(cls_score.dtype)
        if not self.with_bce:
            return self.loss_weight * rmi
        bce = sigmoid_bce(cls_score, onehot, valid)
        if self.lambda_way:
            loss = self.bce_lambda * bce + (1 - self.bce_lambda) * rmi
        else:
            loss = bce + self.bce_lambda * rmi
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """The key of this loss in the loss dict."""
        return self._loss_name


def sigmoid_bce(cls_score: Tensor, onehot: Tensor, valid: Tensor) -> Tensor:
    """The reference's BCE part: sigmoid BCE over valid pixels and all classes, summed and divided
    by ``valid_pixels + 1``."""
    loss = F.binary_cross_entropy_with_logits(
        cls_score, onehot, weight=valid.unsqueeze(1).to(cls_score.dtype), reduction='sum')
    return loss / (valid.sum() + 1.0)
