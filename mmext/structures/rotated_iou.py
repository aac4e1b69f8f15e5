"""Differentiable rotated-box IoU in plain PyTorch (CPU and GPU), by convex polygon clipping.

mmcv's ``box_iou_rotated`` gives values without gradients and ``diff_iou_rotated_2d`` is
CUDA-only, so a rotated IoU *loss* cannot train on CPU with mmcv alone. Here the intersection of
two rotated rectangles is computed with the Sutherland-Hodgman algorithm, vectorised over all box
pairs at once:

1. box 1's corners are expressed in box 2's frame (centre offset first, then a rotation by
   ``-θ₂``), where box 2 is the axis-aligned rectangle ``[-w₂/2, w₂/2] × [-h₂/2, h₂/2]``;
2. that 4-gon is clipped by box 2's four half-planes in turn. Every clip maps a convex polygon of
   ``n`` vertices to one of at most ``n + 1``, so a fixed buffer of 8 vertices (4 + 4 clips) with a
   per-pair vertex count holds every case; each vertex emits itself if inside and the crossing
   point with the clip line if its edge crosses it, and the emitted points are compacted in
   traversal order with a cumulative-sum scatter (no Python loop over pairs);
3. the intersection area is the shoelace sum over the valid vertices, and
   ``IoU = inter / max(area₁ + area₂ - inter, eps)``.

Everything is built from differentiable tensor operations (the vertex masks and orderings are
piecewise constant), so gradients flow to all five box parameters of both boxes wherever the IoU
is differentiable. Boxes are ``(cx, cy, w, h, θ)`` with θ in radians; the IoU does not depend on
whether θ is read clockwise or counter-clockwise (a reflection preserves areas), so it matches
``mmcv.ops.box_iou_rotated`` for either ``clockwise`` flag. Zero-size boxes give IoU 0; boxes
holding NaN or inf raise a ``ValueError`` naming the argument.
"""
import torch
from torch import Tensor

_MAX_VERTICES = 8
# pairs per chunk when no gradient is needed (bounds peak memory for large pairwise calls)
_CHUNK_PAIRS = 1 << 18


def _check_finite(caller: str, boxes1: Tensor, boxes2: Tensor,
                  names: tuple = ('boxes1', 'boxes2')) -> None:
    """``ValueError`` naming the argument when ``boxes1`` or ``boxes2`` holds NaN or inf (one
    device sync for both: the per-argument test runs only on failure)."""
    if bool(torch.isfinite(boxes1).all() & torch.isfinite(boxes2).all()):
        return
    for name, boxes in zip(names, (boxes1, boxes2)):
        if not bool(torch.isfinite(boxes).all()):
            raise ValueError(f'{caller}: {name} holds NaN/inf')


def _clip(poly: Tensor, count: Tensor, axis: int, sign: float, bound: Tensor):
    """Clip polygons ``poly`` ``[P, 8, 2]`` (``count`` ``[P]`` valid vertices) by the half-plane
    ``sign * p[axis] <= bound``. Returns the clipped polygons and counts."""
    num = poly.shape[0]
    idx = torch.arange(_MAX_VERTICES, device=poly.device)
    valid = idx[None, :] < count[:, None]
    nxt_idx = torch.where(idx[None, :] + 1 < count[:, None], idx[None, :] + 1,
                          torch.zeros_like(idx)[None, :])
    nxt = torch.gather(poly, 1, nxt_idx[..., None].expand(-1, -1, 2))
    dist = bound[:, None] - sign * poly[..., axis]  # >= 0 inside
    dist_nxt = torch.gather(dist, 1, nxt_idx)
    inside = valid & (dist >= 0)
    crossing = valid & (((dist > 0) & (dist_nxt < 0)) | ((dist < 0) & (dist_nxt > 0)))
    denom = torch.where(crossing, dist - dist_nxt, torch.ones_like(dist))
    frac = torch.where(crossing, dist / denom, torch.zeros_like(dist))
    point = poly + frac[..., None] * (nxt - poly)
    # the crossing lies exactly on the clip line: set that coordinate exactly (same value and
    # gradient as the interpolation in exact arithmetic, no rounding drift across clips)
    on_line = (sign * bound)[:, None].expand(-1, _MAX_VERTICES)
    other = point[..., 1 - axis]
    point = torch.stack([on_line, other] if axis == 0 else [other, on_line], dim=-1)
    # emit (vertex, crossing) per input vertex, in traversal order, then compact
    cand = torch.stack([poly, point], dim=2).reshape(num, 2 * _MAX_VERTICES, 2)
    keep = torch.stack([inside, crossing], dim=2).reshape(num, 2 * _MAX_VERTICES)
    pos = torch.cumsum(keep.long(), dim=1) - 1
    pos = torch.where(keep & (pos < _MAX_VERTICES), pos, torch.full_like(pos, _MAX_VERTICES))
    out = poly.new_zeros(num, _MAX_VERTICES + 1, 2).scatter(1, pos[..., None].expand(-1, -1, 2),
                                                            cand)
    new_count = keep.sum(dim=1).clamp(max=_MAX_VERTICES)
    return out[:, :_MAX_VERTICES], new_count


def _intersection_area(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Intersection areas ``[P]`` of the aligned rotated-box pairs ``[P, 5]``."""
    num = boxes1.shape[0]
    w1, h1 = boxes1[:, 2].clamp(min=0), boxes1[:, 3].clamp(min=0)
    half_w2, half_h2 = boxes2[:, 2].clamp(min=0) / 2, boxes2[:, 3].clamp(min=0) / 2
    dx, dy = boxes1[:, 0] - boxes2[:, 0], boxes1[:, 1] - boxes2[:, 1]
    cos2, sin2 = torch.cos(boxes2[:, 4]), torch.sin(boxes2[:, 4])
    x0, y0 = cos2 * dx + sin2 * dy, -sin2 * dx + cos2 * dy
    phi = boxes1[:, 4] - boxes2[:, 4]
    cos, sin = torch.cos(phi), torch.sin(phi)
    signs_x = boxes1.new_tensor([-0.5, 0.5, 0.5, -0.5])
    signs_y = boxes1.new_tensor([-0.5, -0.5, 0.5, 0.5])
    lx, ly = w1[:, None] * signs_x, h1[:, None] * signs_y  # counter-clockwise corners
    px = x0[:, None] + cos[:, None] * lx - sin[:, None] * ly
    py = y0[:, None] + sin[:, None] * lx + cos[:, None] * ly
    poly = torch.cat([torch.stack([px, py], dim=-1),
                      boxes1.new_zeros(num, _MAX_VERTICES - 4, 2)], dim=1)
    count = torch.full((num, ), 4, dtype=torch.long, device=boxes1.device)
    for axis, sign, bound in ((0, 1.0, half_w2), (0, -1.0, half_w2), (1, 1.0, half_h2),
                              (1, -1.0, half_h2)):
        poly, count = _clip(poly, count, axis, sign, bound)
    idx = torch.arange(_MAX_VERTICES, device=poly.device)
    valid = idx[None, :] < count[:, None]
    nxt_idx = torch.where(idx[None, :] + 1 < count[:, None], idx[None, :] + 1,
                          torch.zeros_like(idx)[None, :])
    # the shoelace sum is taken relative to the point of box 2 nearest to box 1's centre where
    # that point is far from box 2's centre compared with box 1's size: the polygon lies inside
    # box 2, whose frame this is, but far from its centre when box 2 is huge (1e5 px) and the
    # overlap small, and products of absolute coordinates there cancel catastrophically in
    # float32 (an IoF of 1.28 for a 10 px box inside a 1e5 px one). The area is translation
    # invariant, so the shift (no gradient needed) changes rounding only; boxes of comparable
    # size and position keep the unshifted sum.
    ref = torch.stack([torch.maximum(torch.minimum(x0, half_w2), -half_w2),
                       torch.maximum(torch.minimum(y0, half_h2), -half_h2)], dim=-1).detach()
    far = ref.abs().amax(dim=-1) > (w1 + h1).detach()
    rel = poly - torch.where(far[:, None], ref, torch.zeros_like(ref))[:, None, :]
    nxt = torch.gather(rel, 1, nxt_idx[..., None].expand(-1, -1, 2))
    cross = rel[..., 0] * nxt[..., 1] - nxt[..., 0] * rel[..., 1]
    area = 0.5 * torch.where(valid, cross, torch.zeros_like(cross)).sum(dim=1)
    return area.clamp(min=0)


def rotated_box_iou(boxes1: Tensor,
                    boxes2: Tensor,
                    aligned: bool = False,
                    eps: float = 1e-6,
                    mode: str = 'iou') -> Tensor:
    """Differentiable IoU (or IoF) of rotated boxes ``(cx, cy, w, h, θ)``.

    Args:
        boxes1: ``[N, 5]``.
        boxes2: ``[M, 5]`` (``[N, 5]`` if ``aligned``).
        aligned: pairwise ``[N, M]`` if False, element-wise ``[N]`` if True.
        eps: lower bound of the denominator (union, or area of ``boxes1`` for ``'iof'``).
        mode: ``'iou'`` or ``'iof'`` (intersection over the area of ``boxes1``), as in mmcv.
    """
    for name, boxes in (('boxes1', boxes1), ('boxes2', boxes2)):
        if not isinstance(boxes, Tensor) or boxes.dim() != 2 or boxes.shape[-1] != 5:
            raise ValueError(f'rotated_box_iou: {name} must be a [K, 5] tensor of '
                             f'(cx, cy, w, h, theta), got '
                             f'{tuple(boxes.shape) if isinstance(boxes, Tensor) else type(boxes)}')
    if mode not in ('iou', 'iof'):
        raise ValueError(f"rotated_box_iou: mode must be 'iou' or 'iof', got {mode!r}")
    _check_finite('rotated_box_iou', boxes1, boxes2)
    num1, num2 = boxes1.shape[0], boxes2.shape[0]
    if aligned:
        if num1 != num2:
            raise ValueError(f'rotated_box_iou: aligned=True needs as many boxes1 as boxes2, '
                             f'got {num1} and {num2}')
        b1, b2 = boxes1, boxes2
    else:
        b1 = boxes1[:, None, :].expand(num1, num2, 5).reshape(-1, 5)
        b2 = boxes2[None, :, :].expand(num1, num2, 5).reshape(-1, 5)
    if b1.shape[0] == 0:
        return boxes1.new_zeros((num1, ) if aligned else (num1, num2))
    needs_grad = torch.is_grad_enabled() and (b1.requires_grad or b2.requires_grad)
    if needs_grad or b1.shape[0] <= _CHUNK_PAIRS:
        inter = _intersection_area(b1, b2)
    else:
        inter = torch.cat([
            _intersection_area(b1[i:i + _CHUNK_PAIRS], b2[i:i + _CHUNK_PAIRS])
            for i in range(0, b1.shape[0], _CHUNK_PAIRS)
        ])
    area1 = b1[:, 2].clamp(min=0) * b1[:, 3].clamp(min=0)
    area2 = b2[:, 2].clamp(min=0) * b2[:, 3].clamp(min=0)
    # a zero-area box overlaps nothing (clipping would leave a rounding residue), like mmcv; and
    # the intersection never exceeds the smaller box (rounding would give IoU / IoF above 1)
    inter = torch.where((area1 > 0) & (area2 > 0),
                        torch.minimum(inter, torch.minimum(area1, area2)), torch.zeros_like(inter))
    denom = area1 + area2 - inter if mode == 'iou' else area1
    iou = inter / denom.clamp(min=eps)
    return iou if aligned else iou.reshape(num1, num2)
