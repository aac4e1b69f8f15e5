"""SLOW REFERENCE: a literal port of the released DCFL assigner, ``C2FAssigner.assign``.

Source: ``mmrotate/core/bbox/assigners/coarse2fine_assigner.py`` of Chasel-Tsui/mmrotate-dcfl
(HEAD ``d60ca27``), re-written for torch 2 with the released loops and in the released order, so
that ``DCFLAssigner(official=True)`` can be checked against it. It is slow on purpose (Python
loops over ground truths, top-K and top-Q slots; dense ``[G, A]`` similarity and ``[A, G]`` DGMM
matrices): used only by the tests. Never use it to train.

What is ported as released (step numbers as in the released ``assign``):

1. dense similarity ``overlaps [G, A]`` (the released ``RBboxMetrics2D(gt, priors)``);
2. default ``-1``; ``0 <= max_sim < 0.8`` -> 0 (negative);
3. for each gt ``i``, for each of its top-K *values*: every prior whose similarity equals that
   value gets ``i + 1`` (value equality: ties give more than K; a later gt overwrites);
4. PT of every candidate (priors with a gt index): rotated IoU of its prediction with the gt
   it holds + ``sigmoid`` of its highest class logit;
5. the shared candidate list: ``gt_poscan [G, P]`` = -100 except each candidate's own gt row,
   ``topk(min(Q, P))`` per row (a gt with fewer than Q candidates takes -100 entries, i.e. other
   gts' candidates, in ``torch.topk``'s order for ties), every candidate reset to 0 and each
   chosen one restored to the gt index it holds; the chosen priors (pads included) make up the
   row's semantic centre;
6. DGMM (``constraint='dgmm'``): ``0.7·N(μ_gt, Σ_gt) + 0.3·N(μ_sem, Σ_gt)`` (unnormalised, peak 1)
   at every prior for every gt, ``>= exp(-gauss_thr)``; the mask is read at column
   ``max(gt_ind - 1, 0)``, so an ignored (-1) prior outside gt 0's DGMM becomes 0.

Differences from the released file, none of which changes the result:

- inputs are already decoded predictions ``pred_bboxes [A, 5]`` (the released ``assign`` decodes
  ``bbox_preds [5, A]`` with its own ``DeltaXYWHAOBBoxCoder`` first: a head-side matter);
- the CPU fallback for many gts (``gpu_assign_thr``) is not needed here;
- the candidates' IoUs are computed for the (gt, candidate) pairs that the released code reads
  from its dense ``[G, P]`` IoU matrix (same kernel, same values);
- ``topk`` is ``min(topk, A)`` (the released ``overlaps.topk`` raises when A < K);
- the similarity is a callable (default: ``mmext.structures.gaussian_similarity`` of
  ``assign_metric``, whose ``'gjsd'`` equals the released ``1/(1+GJSD)``; see
  :func:`released_gjsd`, a literal port of the released formula, which rounds to fp16 on CUDA).
"""
import math
from typing import Callable, Optional, Tuple

import torch
from torch import Tensor

from mmext.structures.gaussian import gaussian_similarity


def released_xy_wh_r_2_xy_sigma(xywhr: Tensor) -> Tuple[Tensor, Tensor]:
    """``xy_wh_r_2_xy_sigma`` as released: ``Σ = R·diag(w/2, h/2)²·Rᵀ`` through ``bmm``."""
    _shape = xywhr.shape
    assert _shape[-1] == 5
    xy = xywhr[..., :2]
    wh = xywhr[..., 2:4].clamp(min=1e-7, max=1e7).reshape(-1, 2)
    r = xywhr[..., 4]
    cos_r = torch.cos(r)
    sin_r = torch.sin(r)
    R = torch.stack((cos_r, -sin_r, sin_r, cos_r), dim=-1).reshape(-1, 2, 2)
    S = 0.5 * torch.diag_embed(wh)
    sigma = R.bmm(S.square()).bmm(R.permute(0, 2, 1)).reshape(_shape[:-1] + (2, 2))
    return xy, sigma


def _adj_inv(m: Tensor) -> Tensor:
    """The released explicit 2×2 inverse (adjugate / det), for any leading shape."""
    adj = torch.stack((m[..., 1, 1], -m[..., 0, 1], -m[..., 1, 0], m[..., 0, 0]),
                      dim=-1).reshape(m.shape)
    return adj / m.det().unsqueeze(-1).unsqueeze(-1)


def released_gjsd(gt_bboxes: Tensor, priors: Tensor, alpha: float = 0.5) -> Tensor:
    """``get_gjsd`` of the released ``RBboxMetrics2D`` (absolute-coordinate quadratic forms),
    ``[G, A]``; on CUDA the released code rounds both parts to fp16 before summing."""
    xy_p, sigma_p = released_xy_wh_r_2_xy_sigma(gt_bboxes)
    xy_t, sigma_t = released_xy_wh_r_2_xy_sigma(priors)
    sp_inv, st_inv = _adj_inv(sigma_p), _adj_inv(sigma_t)
    xy_p = xy_p[:, None, :, None]
    xy_t = xy_t[None, :, :, None]
    sp, sp_inv = sigma_p[:, None], sp_inv[:, None]
    st, st_inv = sigma_t[None], st_inv[None]
    sa_ori = (1 - alpha) * sp_inv + alpha * st_inv
    sa = _adj_inv(sa_ori)
    sa_inv = _adj_inv(sa)
    mu_a = sa.matmul((1 - alpha) * sp_inv.matmul(xy_p) + alpha * st_inv.matmul(xy_t))
    first = ((1 - alpha) * xy_p.transpose(-1, -2).matmul(sp_inv).matmul(xy_p) +
             alpha * xy_t.transpose(-1, -2).matmul(st_inv).matmul(xy_t) -
             mu_a.transpose(-1, -2).matmul(sa_inv).matmul(mu_a))[..., 0, 0]
    second = ((sp.det()**(1 - alpha)) * (st.det()**alpha) / sa.det()).log()
    if first.is_cuda:
        return 0.5 * (first.half() + second.half())
    return 0.5 * (first + second)


def default_similarity(assign_metric: str = 'gjsd') -> Callable[[Tensor, Tensor], Tensor]:
    """``overlaps = f(gt_bboxes, priors)`` ``[G, A]``: rotated IoU for ``'iou'``, else mmext's
    ``gaussian_similarity`` (``'gjsd'``: the released ``1/(1+GJSD)``)."""
    if assign_metric == 'iou':
        from mmrotate.structures.bbox import rbbox_overlaps
        return lambda gts, priors: rbbox_overlaps(gts, priors)
    from mmext.structures.gaussian import gaussian_similarity
    return lambda gts, priors: gaussian_similarity(gts, priors, measure=assign_metric)


def c2f_reference_assign(cls_scores: Tensor,
                         pred_bboxes: Tensor,
                         bboxes: Tensor,
                         gt_bboxes: Tensor,
                         gt_bboxes_ignore: Optional[Tensor] = None,
                         gt_labels: Optional[Tensor] = None,
                         topk: int = 16,
                         topq: int = 12,
                         constraint='dgmm',
                         gauss_thr: float = 0.6,
                         ignore_iof_thr: float = -1,
                         assign_metric: str = 'gjsd',
                         similarity: Optional[Callable[[Tensor, Tensor], Tensor]] = None):
    """SLOW REFERENCE: the released ``C2FAssigner.assign`` step by step (see the module).

    Args:
        cls_scores: ``[C, A]`` raw class logits (the released layout).
        pred_bboxes: ``[A, 5]`` decoded predicted boxes.
        bboxes: ``[A, 5]`` the (dynamic) priors.
        gt_bboxes: ``[G, 5]``; gt_bboxes_ignore ``[I, 5]`` or None; gt_labels ``[G]`` or None.
        topk, topq, constraint, gauss_thr, ignore_iof_thr: as the released constructor (the
            released configs: 16, 12, 'dgmm', 0.6, -1).
        similarity: ``f(gt_bboxes, priors)`` -> ``[G, A]`` (default :func:`default_similarity`).

    Returns:
        ``(assigned_gt_inds [A], max_overlaps [A], assigned_labels [A] or None)``.
    """
    from mmrotate.structures.bbox import rbbox_overlaps
    if similarity is None:
        similarity = default_similarity(assign_metric)
    overlaps = similarity(gt_bboxes, bboxes)

    if (ignore_iof_thr > 0 and gt_bboxes_ignore is not None
            and gt_bboxes_ignore.numel() > 0 and bboxes.numel() > 0):
        # ignore_wrt_candidates=True (the released default)
        ignore_overlaps = rbbox_overlaps(bboxes, gt_bboxes_ignore, mode='iof')
        ignore_max_overlaps, _ = ignore_overlaps.max(dim=1)
        overlaps[:, ignore_max_overlaps > ignore_iof_thr] = -1

    num_gts, num_bboxes = gt_bboxes.shape[0], bboxes.shape[0]

    # 1. assign -1 by default
    assigned_gt_inds = torch.full((num_bboxes, ), -1, dtype=torch.long, device=bboxes.device)

    if num_gts == 0 or num_bboxes == 0:
        max_overlaps = bboxes.new_zeros((num_bboxes, ))
        if num_gts == 0:
            assigned_gt_inds[:] = 0
        assigned_labels = None if gt_labels is None else torch.full_like(assigned_gt_inds, -1)
        return assigned_gt_inds, max_overlaps, assigned_labels

    # coarse negatives; the top-K values of every gt
    max_overlaps, _ = overlaps.max(dim=0)
    k = min(topk, num_bboxes)
    gt_max_overlaps, _ = overlaps.topk(k, dim=1, largest=True, sorted=True)
    assigned_gt_inds[(max_overlaps >= 0) & (max_overlaps < 0.8)] = 0

    # CPS: value equality, a later gt overwrites an earlier one
    for i in range(num_gts):
        for j in range(k):
            max_overlap_inds = overlaps[i, :] == gt_max_overlaps[i, j]
            assigned_gt_inds[max_overlap_inds] = i + 1

    # PT of every candidate = IoU(prediction, the gt it holds) + sigmoid(max logit)
    can_positive_mask = assigned_gt_inds > 0
    can_positive_inds = torch.nonzero(can_positive_mask)  # [P, 1], ascending prior index
    poscan = assigned_gt_inds[can_positive_inds].squeeze(-1)
    can_other_mask = assigned_gt_inds <= 0

    can_pos_scores = cls_scores[:, can_positive_inds[:, 0]]  # [C, P]
    can_pos_scores = torch.transpose(can_pos_scores, 0, 1)
    can_bbox_pred = pred_bboxes[can_positive_inds[:, 0], :]
    # the released code builds the [G, P] IoU matrix and reads entries [poscan - 1, p]
    can_pos_iou = rbbox_overlaps(gt_bboxes[poscan - 1], can_bbox_pred, is_aligned=True)
    can_pos_cls, _ = torch.max(can_pos_scores, 1)
    can_pos_quality = can_pos_iou + can_pos_cls.sigmoid()
    can_pos_quality = can_pos_quality.unsqueeze(0).repeat(num_gts, 1)  # [G, P]

    gt_poscan = torch.zeros_like(can_pos_quality) - 100
    cols = torch.arange(poscan.shape[0], device=poscan.device)
    gt_poscan[poscan - 1, cols] = can_pos_quality[poscan - 1, cols]

    if topq >= can_pos_quality.size(1):
        q = can_pos_quality.size(1)
    else:
        q = topq
    _, gt_argmax_quality = gt_poscan.topk(q, dim=1, largest=True, sorted=True)

    # MPS: every candidate back to 0, the top-Q of each row restored to the gt index it holds
    assign_result_pre_gt = assigned_gt_inds
    assigned_gt_inds_init = assign_result_pre_gt * can_other_mask
    # float32 like the released ``torch.zeros((num_gt, topq, 5), device=device)``
    assigned_pos_prior = torch.zeros((num_gts, q, 5), device=bboxes.device)
    for i in range(num_gts):
        for j in range(q):
            index = gt_argmax_quality[i, j]
            remap_inds = can_positive_inds[index, 0]
            assigned_gt_inds_init[remap_inds] = assign_result_pre_gt[remap_inds]
            assigned_pos_prior[i, j, :] = bboxes[remap_inds, :]
    assigned_gt_inds = assigned_gt_inds_init

    if constraint == 'dgmm':
        xy_gt, sigma_t = released_xy_wh_r_2_xy_sigma(gt_bboxes)
        pos_prior_mean = torch.mean(assigned_pos_prior[..., :2], dim=-2)  # semantic centres
        xy_pt = pos_prior_mean.to(bboxes.dtype)
        xy_a = bboxes[..., :2]
        xy_gt = xy_gt[..., None, :, :2].unsqueeze(-1)  # [1, G, 2, 1]
        xy_pt = xy_pt[..., None, :, :2].unsqueeze(-1)
        xy_a = xy_a[..., :, None, :2].unsqueeze(-1)  # [A, 1, 2, 1]
        inv_sigma_t = _adj_inv(sigma_t)
        d_gt, d_pt = xy_a - xy_gt, xy_a - xy_pt
        gaussian_gt = torch.exp(-0.5 * d_gt.permute(0, 1, 3, 2).matmul(inv_sigma_t).matmul(
            d_gt)).squeeze(-1).squeeze(-1)  # [A, G]
        gaussian_pt = torch.exp(-0.5 * d_pt.permute(0, 1, 3, 2).matmul(inv_sigma_t).matmul(
            d_pt)).squeeze(-1).squeeze(-1)
        gaussian = 0.7 * gaussian_gt + 0.3 * gaussian_pt
        inside_flag = gaussian >= torch.exp(torch.tensor([-gauss_thr])).to(bboxes.device)
        length = torch.arange(assigned_gt_inds.size(0), device=bboxes.device)
        inside_mask = inside_flag[length, (assigned_gt_inds - 1).clamp(min=0)]
        assigned_gt_inds *= inside_mask

    if gt_labels is not None:
        assigned_labels = assigned_gt_inds.new_full((num_bboxes, ), -1)
        pos_inds = torch.nonzero(assigned_gt_inds > 0, as_tuple=False).squeeze(-1)
        if pos_inds.numel() > 0:
            assigned_labels[pos_inds] = gt_labels[assigned_gt_inds[pos_inds] - 1]
    else:
        assigned_labels = None
    return assigned_gt_inds, max_overlaps, assigned_labels


def count_topk_ties(overlaps: Tensor, topk: int) -> int:
    """How many priors beyond K the released value-equality top-K adds (0: a tie-free scene)."""
    if overlaps.numel() == 0:
        return 0
    k = min(topk, overlaps.shape[1])
    kth = overlaps.topk(k, dim=1).values[:, -1:]
    return int(((overlaps >= kth).sum(dim=1) - k).sum())


__all__ = ['c2f_reference_assign', 'released_gjsd', 'released_xy_wh_r_2_xy_sigma',
           'default_similarity', 'count_topk_ties']


def paper_reference_assign(priors, bboxes, scores, gts, labels, topk=16, topq=12, gauss_thr=0.8,
                     measure='gjsd', measure_cfg=None, neg_sim_thr=0.8,
                     cls_score_mode='gt_class', pt_cls_weight=0.5, dgmm=True,
                     dgmm_weights=(0.7, 0.3), blocked: Optional[torch.Tensor] = None):
    """SLOW REFERENCE of the paper's reading (``DCFLAssigner()``'s defaults and options): Python
    loops over the ground truths and their candidates after a dense similarity matrix, in the
    order of the released ``C2FAssigner``, but each gt keeps exactly K candidates (ties to the
    lower prior index) and a prior chosen by several gts goes to the highest PT (then the lower
    gt). ``scores`` are class probabilities ``[A, C]``. Returns ``gt_inds`` ``[A]`` (-1 ignored,
    0 negative, i + 1 positive for gt i)."""
    from mmrotate.structures.bbox import rbbox_overlaps
    num_gts, num_priors = gts.shape[0], priors.shape[0]
    assigned = torch.full((num_priors, ), -1, dtype=torch.long)
    if num_gts == 0:
        assigned[:] = 0
        if blocked is not None:
            assigned[blocked] = -1
        return assigned
    # coarse similarity of every gt with every prior (official: RBboxMetrics2D(gt, priors))
    if measure == 'iou':
        sim = rbbox_overlaps(gts, priors)
    else:
        sim = gaussian_similarity(gts, priors, measure=measure, **(measure_cfg or {}))
    if blocked is not None:
        sim[:, blocked] = -math.inf
    max_sim = sim.max(dim=0).values
    assigned[max_sim < neg_sim_thr] = 0
    # CPS: K best priors of each gt; ties go to the lower prior index
    k = min(topk, num_priors)
    candidates = []
    for i in range(num_gts):
        order = torch.sort(sim[i], descending=True, stable=True).indices[:k].tolist()
        candidates.append(sorted(order))
        for a in order:
            assigned[a] = 0
    # MPS: PT = w * cls + (1 - w) * IoU(prediction, gt), Q best per gt; ties: lower prior index
    q = min(topq, k)
    w_geo, w_sem = dgmm_weights
    votes = {}
    for i in range(num_gts):
        ranked = []
        for a in candidates[i]:
            iou = rbbox_overlaps(bboxes[a:a + 1], gts[i:i + 1])[0, 0]
            cls = scores[a, labels[i]] if cls_score_mode == 'gt_class' else scores[a].max()
            pt = pt_cls_weight * cls + (1 - pt_cls_weight) * iou
            ranked.append((pt.item(), a))
        ranked.sort(key=lambda t: (-t[0], t[1]))
        ranked = ranked[:q]
        # DGMM: Gaussians with the gt covariance at the geometry and the semantic centre
        cx, cy, w, h, t = gts[i].double().tolist()
        cos, sin = math.cos(t), math.sin(t)
        s11 = (w / 2)**2 * cos * cos + (h / 2)**2 * sin * sin
        s22 = (w / 2)**2 * sin * sin + (h / 2)**2 * cos * cos
        s12 = ((w / 2)**2 - (h / 2)**2) * sin * cos
        det = s11 * s22 - s12 * s12
        sx = sum(priors[a, 0].item() for _, a in ranked) / len(ranked)
        sy = sum(priors[a, 1].item() for _, a in ranked) / len(ranked)

        def gauss(x, y, mx, my):
            dx, dy = x - mx, y - my
            return math.exp(-0.5 * (s22 * dx * dx - 2 * s12 * dx * dy + s11 * dy * dy) / det)

        for pt, a in ranked:
            x, y = priors[a, 0].item(), priors[a, 1].item()
            score = w_geo * gauss(x, y, cx, cy) + w_sem * gauss(x, y, sx, sy)
            if not dgmm or score >= math.exp(-gauss_thr):
                votes.setdefault(a, []).append((pt, i))
    for a, cands in votes.items():
        pt, i = max(cands, key=lambda t: (t[0], -t[1]))
        assigned[a] = i + 1
    if blocked is not None:
        assigned[blocked] = -1
    return assigned


def moved_square_priors(img_hw, strides, shift=0.3, generator=None) -> Tensor:
    """Test priors ``[A, 5]``: one square prior (4 x stride) per location of each level (mmdet's
    grid, centre offset 0) of an ``H x W`` image, levels concatenated, centres moved by up to
    ``shift`` x stride like dynamic priors (so no two priors tie)."""
    out = []
    h, w = img_hw
    for s in strides:
        ny, nx = max(math.ceil(h / s), 1), max(math.ceil(w / s), 1)
        ys, xs = torch.meshgrid(torch.arange(ny), torch.arange(nx), indexing='ij')
        c = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).float() * s
        if shift:
            c = c + (torch.rand(c.shape, generator=generator) * 2 - 1) * shift * s
        wh = torch.full((c.shape[0], 2), 4.0 * s)
        out.append(torch.cat([c, wh, torch.zeros(c.shape[0], 1)], 1))
    return torch.cat(out)
