"""Rotated boxes as 2-D Gaussians and the divergences between them (GJSD, KLD, GWD).

A rotated box ``(cx, cy, w, h, θ)`` (θ in radians, counter-clockwise from the x axis to the ``w``
side in the usual image-frame formula) becomes ``N(μ, Σ)`` with

    μ = (cx, cy),    Σ = R(θ) · diag(w²/4, h²/4) · R(θ)ᵀ                       (DCFL, Sec. 3.1)

so that the 1-σ ellipse is the box's inscribed ellipse. DCFL ranks priors against ground truths
with a similarity derived from a divergence between these Gaussians (its coarse prior matching,
"CPS"); the similarity ablation compares GJSD, KLD and GWD. This module provides them once, for
DCFL and any later method.

**Numerics.** Every pairwise term is evaluated in the frame of ``boxes1``: the centre offset
``Δ = μ₂ - μ₁`` is taken first (so absolute coordinates never enter a quadratic form), then both
covariances are expressed through half-axes ``a = w/2``, ``b = h/2`` and the relative angle
``φ = θ₂ - θ₁``. Determinants, adjugates and the 2×2 matrix square root of the Bures term are
written as sums of non-negative products (no ``det`` or ``inverse`` of large matrices, no
subtraction of large nearly-equal numbers). The results are translation invariant and stable in
float32 for centres in the tens of thousands of pixels. Box sizes are clamped to
``[1e-7, 1e7]`` like the official code so that degenerate boxes give large but finite values.
When a gradient is needed the terms are evaluated in float64 (and cast back): the float32
backward overflows at those extremes (a zero-size box has variance 2.5e-15). The square root in
the default KLD / GWD similarity has a zero gradient at identical boxes (not NaN). Boxes holding
NaN or inf raise a ``ValueError`` naming the function and the argument.

Shapes: pairwise functions take ``boxes1`` ``[N, 5]`` and ``boxes2`` ``[M, 5]`` and return
``[N, M]``; with ``aligned=True`` both are ``[N, 5]`` and the result is ``[N]``.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

_SIZE_MIN, _SIZE_MAX = 1e-7, 1e7

# how each measure's divergence is turned into a distance before the similarity transform. GJSD
# as is: the released DCFL code (mmrotate-dcfl's ``RBboxMetrics2D``, 'gjsd' mode). The released
# code has no KLD or GWD mode; their square root is mmext's choice (a research-era metrics file
# found in public code, of no identifiable repository, does the same; not the authors' release).
DEFAULT_DISTANCE_FUN = {'gjsd': 'none', 'kld': 'sqrt', 'gwd': 'sqrt'}


def rbox_to_gaussian(rboxes: Tensor) -> Tuple[Tensor, Tensor]:
    """Convert rotated boxes ``[..., 5]`` (cx, cy, w, h, θ) to Gaussians.

    Returns:
        ``mu`` ``[..., 2]`` and ``sigma`` ``[..., 2, 2]`` with ``Σ = R·diag(w²/4, h²/4)·Rᵀ``.
    """
    _check_boxes(rboxes, 'rboxes')
    _check_finite('rbox_to_gaussian', rboxes)
    mu = rboxes[..., :2]
    w = rboxes[..., 2].clamp(_SIZE_MIN, _SIZE_MAX)
    h = rboxes[..., 3].clamp(_SIZE_MIN, _SIZE_MAX)
    cos, sin = torch.cos(rboxes[..., 4]), torch.sin(rboxes[..., 4])
    a, b = w * w / 4, h * h / 4
    s11 = a * cos * cos + b * sin * sin
    s22 = a * sin * sin + b * cos * cos
    s12 = (a - b) * sin * cos
    sigma = torch.stack([s11, s12, s12, s22], dim=-1).reshape(*rboxes.shape[:-1], 2, 2)
    return mu, sigma


def _check_boxes(boxes: Tensor, name: str) -> None:
    if not isinstance(boxes, Tensor):
        raise TypeError(f'{name} must be a torch.Tensor of rotated boxes, got {type(boxes)}')
    if boxes.shape[-1] != 5:
        raise ValueError(f'{name} must have shape [..., 5] (cx, cy, w, h, theta), '
                         f'got {tuple(boxes.shape)}')


def _check_finite(caller: str, *boxes: Tensor) -> None:
    """``ValueError`` naming the argument (``boxes1`` / ``boxes2``, or ``rboxes`` for a single
    one) that holds NaN or inf; one device sync per call, the per-argument test only on failure."""
    finite = torch.isfinite(boxes[0]).all()
    for other in boxes[1:]:
        finite = finite & torch.isfinite(other).all()
    if bool(finite):
        return
    names = ('rboxes', ) if len(boxes) == 1 else ('boxes1', 'boxes2')
    for name, value in zip(names, boxes):
        if not bool(torch.isfinite(value).all()):
            raise ValueError(f'{caller}: {name} holds NaN/inf')


class _PairTerms:
    """Per-pair quantities in the frame of ``boxes1`` (broadcast to ``[N, M]`` or ``[N]``).

    a1, b1, a2, b2: half sizes; c, s: cos/sin of the relative angle θ₂-θ₁;
    (u1, v1) / (u2, v2): Δ = μ₂-μ₁ expressed in the frame of box 1 / box 2;
    A*, B*: squared half sizes (the eigenvalues of Σ*); S11, S22, S12: Σ₂ in the frame of box 1.
    """

    def __init__(self, boxes1: Tensor, boxes2: Tensor, aligned: bool):
        _check_boxes(boxes1, 'boxes1')
        _check_boxes(boxes2, 'boxes2')
        if boxes1.dim() != 2 or boxes2.dim() != 2:
            raise ValueError('boxes1 and boxes2 must be 2-D ([N, 5] and [M, 5]), got '
                             f'{tuple(boxes1.shape)} and {tuple(boxes2.shape)}')
        if aligned:
            if boxes1.shape[0] != boxes2.shape[0]:
                raise ValueError('aligned=True needs as many boxes1 as boxes2, got '
                                 f'{boxes1.shape[0]} and {boxes2.shape[0]}')
            b1, b2 = boxes1, boxes2
        else:
            b1, b2 = boxes1[:, None, :], boxes2[None, :, :]
        dx, dy = b2[..., 0] - b1[..., 0], b2[..., 1] - b1[..., 1]
        self.a1 = b1[..., 2].clamp(_SIZE_MIN, _SIZE_MAX) / 2
        self.b1 = b1[..., 3].clamp(_SIZE_MIN, _SIZE_MAX) / 2
        self.a2 = b2[..., 2].clamp(_SIZE_MIN, _SIZE_MAX) / 2
        self.b2 = b2[..., 3].clamp(_SIZE_MIN, _SIZE_MAX) / 2
        t1, t2 = b1[..., 4], b2[..., 4]
        c1, s1, c2, s2 = torch.cos(t1), torch.sin(t1), torch.cos(t2), torch.sin(t2)
        self.u1, self.v1 = c1 * dx + s1 * dy, -s1 * dx + c1 * dy
        self.u2, self.v2 = c2 * dx + s2 * dy, -s2 * dx + c2 * dy
        phi = t2 - t1
        self.c, self.s = torch.cos(phi), torch.sin(phi)
        self.A1, self.B1 = self.a1 * self.a1, self.b1 * self.b1
        self.A2, self.B2 = self.a2 * self.a2, self.b2 * self.b2
        c2_, s2_ = self.c * self.c, self.s * self.s
        self.S11 = self.A2 * c2_ + self.B2 * s2_
        self.S22 = self.A2 * s2_ + self.B2 * c2_
        self.S12 = (self.A2 - self.B2) * self.s * self.c


# pairs per chunk for large pairwise calls without autograd: bounds peak memory to ~30 float
# tensors of this many elements (about 250 MB in float32)
_CHUNK_PAIRS = 1 << 21


def _evaluate(fn, boxes1: Tensor, boxes2: Tensor, aligned: bool, name: str) -> Tensor:
    """``fn(_PairTerms)`` on all pairs; row chunks of ``boxes1`` when the pairwise matrix is large
    and no gradient is needed (each chunk is still fully vectorised). ``name`` (the public
    function) prefixes the error raised for NaN / inf boxes."""
    _check_boxes(boxes1, 'boxes1')
    _check_boxes(boxes2, 'boxes2')
    _check_finite(name, boxes1, boxes2)
    needs_grad = torch.is_grad_enabled() and (boxes1.requires_grad or boxes2.requires_grad)
    if needs_grad and torch.promote_types(boxes1.dtype, boxes2.dtype) != torch.float64:
        # the values are finite in float32, but their gradients are not at the extremes the size
        # clamp allows: a zero-size box has variance 2.5e-15, and the backward of a quadratic
        # form or a determinant ratio divides by it twice (float32 overflows beyond 3.4e38,
        # giving inf, and inf * 0 = NaN where the clamp stops the gradient). With a gradient
        # (a loss, few aligned pairs) the terms are evaluated in float64 and cast back.
        out_dtype = torch.promote_types(boxes1.dtype, boxes2.dtype)
        return fn(_PairTerms(boxes1.double(), boxes2.double(), aligned)).to(out_dtype)
    num1 = boxes1.shape[0] if boxes1.dim() == 2 else 0
    num2 = boxes2.shape[0] if boxes2.dim() == 2 else 0
    if aligned or needs_grad or num1 * num2 <= _CHUNK_PAIRS:
        return fn(_PairTerms(boxes1, boxes2, aligned))
    rows = max(1, _CHUNK_PAIRS // num2)
    return torch.cat([
        fn(_PairTerms(boxes1[i:i + rows], boxes2, False)) for i in range(0, num1, rows)
    ], dim=0)


def gjsd(boxes1: Tensor, boxes2: Tensor, alpha: float = 0.5, aligned: bool = False) -> Tensor:
    """Closed-form generalized Jensen-Shannon divergence between box Gaussians.

    This is the divergence DCFL's official code computes (``get_gjsd`` in ``RBboxMetrics2D``,
    with ``boxes1`` as its first argument, the ground truth): Nielsen's (2020) *dual geometric*
    JSD ``JS^{G*}_α(p:q) = (1-α)·KL(G_α‖p) + α·KL(G_α‖q)``, where ``G_α ∝ p^{1-α} q^α`` is the
    normalised weighted geometric mean. For Gaussians it equals the skewed Bhattacharyya distance

        B_α = ½[ α(1-α)·Δᵀ M⁻¹ Δ + ln|M| - α·ln|Σ₁| - (1-α)·ln|Σ₂| ],   M = α·Σ₁ + (1-α)·Σ₂

    (Δ = μ₂ - μ₁). At ``alpha=0.5`` this is the Bhattacharyya distance
    ``⅛ ΔᵀΣ̄⁻¹Δ + ½ ln(|Σ̄| / √(|Σ₁||Σ₂|))``, Σ̄ = (Σ₁+Σ₂)/2, symmetric in its arguments; for
    other α, ``gjsd(b1, b2, α) == gjsd(b2, b1, 1-α)``.

    Definition note: the DCFL summary transcribes GJSD as ``(1-α)KL(N_p, N_g) + αKL(N_g, N_p)``.
    Read literally that is a weighted Jeffreys divergence: it is not the closed-form GJSD of
    Nielsen that the paper cites and does not reduce to the Bhattacharyya distance at α = 0.5.
    The official code computes Nielsen's form above (the KL terms taken from the geometric mean
    ``G_α``), so that is what this function returns.

    Args:
        boxes1: ``[N, 5]`` (the official code passes the ground truths here).
        boxes2: ``[M, 5]`` (the priors).
        alpha: skew parameter in (0, 1).
        aligned: pairwise ``[N, M]`` if False, element-wise ``[N]`` if True.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f'gjsd: alpha must be in (0, 1), got {alpha}')
    return _evaluate(lambda t: _gjsd(t, alpha), boxes1, boxes2, aligned, 'gjsd')


def _gjsd(t: '_PairTerms', alpha: float) -> Tensor:
    al, be = alpha, 1.0 - alpha
    # |M| / sqrt(|Σ₁||Σ₂|) as a sum of non-negative ratios (det(X+Y) = detX + detY + tr(adj X·Y)):
    # q = a1 b1 / (a2 b2), T = tr(adj Σ₁ Σ₂) / sqrt(|Σ₁||Σ₂|)
    q = (t.a1 * t.b1) / (t.a2 * t.b2)
    rho1 = (t.b1 * t.a2) / (t.a1 * t.b2)
    rho2 = (t.b1 * t.b2) / (t.a1 * t.a2)
    trace_term = t.c * t.c * (rho1 + 1 / rho1) + t.s * t.s * (rho2 + 1 / rho2)
    det_ratio = al * al * q + be * be / q + al * be * trace_term
    log_term = torch.log(det_ratio) - (al - 0.5) * 2 * torch.log(q)
    # Δᵀ M⁻¹ Δ = Δᵀ adj(M) Δ / |M|, adj linear for 2x2, each Δᵀ adj(Σ) Δ in that box's own frame
    quad_num = al * (t.B1 * t.u1 * t.u1 + t.A1 * t.v1 * t.v1) + \
        be * (t.B2 * t.u2 * t.u2 + t.A2 * t.v2 * t.v2)
    det_m = al * al * t.A1 * t.B1 + be * be * t.A2 * t.B2 + \
        al * be * (t.B1 * t.S11 + t.A1 * t.S22)
    quad = quad_num / det_m
    return (0.5 * (al * be * quad + log_term)).clamp(min=0)


def kld(boxes1: Tensor, boxes2: Tensor, aligned: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``KL(N₂ ‖ N₁)`` of the ``boxes2`` Gaussians from ``boxes1``'s.

        KL(N₂‖N₁) = ½[ tr(Σ₁⁻¹Σ₂) + ΔᵀΣ₁⁻¹Δ - 2 + ln(|Σ₁|/|Σ₂|) ]

    Direction: ``boxes1`` is the reference whose covariance whitens the offset, the convention of
    mmrotate's ``kld_loss(pred, target)`` and of the KLD mode of DCFL's research-era metric, which
    is called as ``kld(gt, priors)`` (i.e. KL(prior ‖ gt)). Not symmetric.

    Returns ``[N, M]`` (``[N]`` if ``aligned``).
    """
    return _evaluate(_kld, boxes1, boxes2, aligned, 'kld')


def _kld(t: '_PairTerms') -> Tensor:
    trace = t.S11 / t.A1 + t.S22 / t.B1
    maha = t.u1 * t.u1 / t.A1 + t.v1 * t.v1 / t.B1
    log_det = 2 * torch.log((t.a1 * t.b1) / (t.a2 * t.b2))
    return (0.5 * (trace + maha - 2 + log_det)).clamp(min=0)


def gwd(boxes1: Tensor, boxes2: Tensor, aligned: bool = False) -> Tensor:
    """Squared 2-Wasserstein distance between box Gaussians (Yang et al., ICML 2021).

        W² = ‖Δ‖² + tr Σ₁ + tr Σ₂ - 2·tr((Σ₁^½ Σ₂ Σ₁^½)^½)
           = ‖Δ‖² + X - 2√Y,   X = trΣ₁ + trΣ₂,  Y = tr(Σ₁Σ₂) + 2√(|Σ₁||Σ₂|)   (2×2 case)

    The Bures part is evaluated as ``(X² - 4Y) / (X + 2√Y)`` with ``X² - 4Y`` written as the sum of
    squares ``‖Σ₁-Σ₂‖²_F + 2(a₁b₁-a₂b₂)² + 2[cos²φ(b₁a₂-a₁b₂)² + sin²φ(b₁b₂-a₁a₂)²]``, so it has
    no cancellation for nearly identical large boxes. Symmetric. Units: pixels².
    The default similarity uses the distance ``W = √W²`` (mmext's choice, see
    :func:`gaussian_similarity`).

    Returns ``[N, M]`` (``[N]`` if ``aligned``).
    """
    return _evaluate(_gwd, boxes1, boxes2, aligned, 'gwd')


def _gwd(t: '_PairTerms') -> Tensor:
    c2_, s2_ = t.c * t.c, t.s * t.s
    d11 = (t.a1 - t.a2) * (t.a1 + t.a2) + (t.A2 - t.B2) * s2_  # Σ₁ - Σ₂ in frame 1
    d22 = (t.b1 - t.b2) * (t.b1 + t.b2) - (t.A2 - t.B2) * s2_
    frob = d11 * d11 + d22 * d22 + 2 * t.S12 * t.S12
    det_diff = t.a1 * t.b1 - t.a2 * t.b2
    cross = c2_ * (t.b1 * t.a2 - t.a1 * t.b2)**2 + s2_ * (t.b1 * t.b2 - t.a1 * t.a2)**2
    num = frob + 2 * det_diff * det_diff + 2 * cross
    x = t.A1 + t.B1 + t.A2 + t.B2
    y = t.A1 * t.S11 + t.B1 * t.S22 + 2 * t.a1 * t.b1 * t.a2 * t.b2
    bures = num / (x + 2 * torch.sqrt(y))
    return t.u1 * t.u1 + t.v1 * t.v1 + bures


_DIVERGENCES = ('gjsd', 'kld', 'gwd')
_FUNS = ('none', 'sqrt', 'log1p')
_FORMS = ('reciprocal', 'exp')


def gaussian_similarity(boxes1: Tensor,
                        boxes2: Tensor,
                        measure: str = 'gjsd',
                        alpha: float = 0.5,
                        form: str = 'reciprocal',
                        tau: float = 1.0,
                        aligned: bool = False,
                        fun: Optional[str] = None) -> Tensor:
    """Similarity in (0, 1] between box Gaussians, from a divergence ``d``.

    ``d`` is :func:`gjsd` (with ``alpha``), :func:`kld` (``KL(N₂‖N₁)``) or :func:`gwd` (W²). It is
    first mapped by ``fun``: ``'none'``, ``'sqrt'`` or ``'log1p'``; by default (``fun=None``)
    ``'none'`` for GJSD (the released DCFL code) and ``'sqrt'`` for KLD and GWD (mmext's choice:
    the released code has no KLD or GWD mode). Then:

    - ``form='reciprocal'``: ``1 / (tau + fun(d))``. With ``tau=1`` this is the official
      ``1/(1+d)`` used by DCFL (so the coarse-negative threshold 0.8 means ``GJSD > 0.25``).
    - ``form='exp'``: ``exp(-fun(d) / tau)``.

    Returns ``[N, M]`` (``[N]`` if ``aligned``).
    """
    if measure not in _DIVERGENCES:
        raise ValueError(f'gaussian_similarity: unknown measure {measure!r}, '
                         f'expected one of {_DIVERGENCES}')
    fun = DEFAULT_DISTANCE_FUN[measure] if fun is None else fun
    if fun not in _FUNS:
        raise ValueError(f'gaussian_similarity: unknown fun {fun!r}, expected one of {_FUNS}')
    if form not in _FORMS:
        raise ValueError(f'gaussian_similarity: unknown form {form!r}, expected one of {_FORMS}')
    if tau <= 0:
        raise ValueError(f'gaussian_similarity: tau must be positive, got {tau}')
    if measure == 'gjsd':
        d = gjsd(boxes1, boxes2, alpha=alpha, aligned=aligned)
    elif measure == 'kld':
        d = kld(boxes1, boxes2, aligned=aligned)
    else:
        d = gwd(boxes1, boxes2, aligned=aligned)
    if fun == 'sqrt':
        # sqrt with a zero gradient (not inf * 0 = NaN) where d = 0, i.e. at identical boxes
        pos = d > 0
        d = torch.where(pos, torch.sqrt(torch.where(pos, d, torch.ones_like(d))),
                        torch.zeros_like(d))
    elif fun == 'log1p':
        d = torch.log1p(d)
    if form == 'reciprocal':
        return 1.0 / (tau + d)
    return torch.exp(-d / tau)
