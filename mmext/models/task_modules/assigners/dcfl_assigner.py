"""DCFL's coarse-to-fine label assigner, ``M_d(M_s(P̃, GT), G̃T)`` (Xu et al., CVPR 2023).

The three stages, for every ground truth ``g`` (all ground truths and priors at once):

1. **Coarse prior matching, CPS** (Sec. 3.2 of the paper): a similarity between ``g`` and every
   prior (``'gjsd'``, ``'kld'``, ``'gwd'``: ``mmext.structures.gaussian.gaussian_similarity`` of the
   box Gaussians, official form ``1/(1+d)``; or ``'iou'``: rotated IoU), ranked across all FPN
   levels at once. The ``topk`` (K) best priors are ``g``'s coarse candidates. A prior that is no
   ground truth's candidate is negative when its best similarity is below ``neg_sim_thr``
   (official: 0.8) and ignored otherwise.
2. **Posterior re-ranking, MPS** (Sec. 3.3, Eq. ``PT_i = ½ Cls(D_i) + ½ IoU(D_i, gt_i)``): each
   candidate's predicted box (``pred_instances.bboxes``) gets its rotated IoU with ``g`` and its
   classification score (``pred_instances.scores``, probabilities): by default the score of
   ``g``'s class as the paper writes; ``cls_score_mode='max'`` uses the best class score like
   the official code. The ``topq`` (Q) candidates with the highest PT are ``g``'s medium
   positives; the other candidates become negative.
3. **DGMM constraint, FPS** (Sec. 3.3): two Gaussians with ``g``'s covariance Σ_g, one at the
   geometry centre μ_g, one at the semantic centre (the mean centre of ``g``'s Q medium
   positives), mixed with ``dgmm_weights`` (official 0.7 / 0.3) and scaled to peak 1:
   ``DGMM(s) = Σ_m w_m · exp(-½ (s-μ_m)ᵀ Σ_g⁻¹ (s-μ_m))``. A medium positive at prior centre
   ``s`` whose score is below ``exp(-gauss_thr)`` (g, paper 0.8) becomes negative.

A prior that ends up positive for several ground truths goes to the one with the highest PT
(ties: the lower ground-truth index). Every ground truth selects exactly ``min(K, #priors)``
candidates and ``min(Q, K)`` medium positives; ties in a ranking go to the lower prior index.

Where the official code (``C2FAssigner`` of mmrotate-dcfl) differs, this class follows the paper
and the issue's contract and says so:

- ``cls_score_mode='gt_class'`` (paper) vs ``'max'`` (official, sigmoid of the max logit).
- The official top-K matches values with ``==`` (fp16 ties give more than K), lets a later ground
  truth overwrite an earlier one, pads a ground truth with fewer than Q candidates with other
  ground truths' candidates, and turns ignored priors outside ground truth 0's DGMM negative.
  None of this is reproduced.
- The paper writes the DGMM normaliser as ``√(2π|Σ|)``; read literally in 2-D that caps the score
  at ``1/√(2π) ≈ 0.40 < e^{-0.8}`` and would remove every positive, so the peak-1 scaling of the
  official code is used.

Inputs (mmdet 3.x convention, any head can call it):

- ``pred_instances.priors`` ``[A, 5]``: the priors used for matching (DCFL: the dynamic priors
  shifted by the prior capturing block), (cx, cy, w, h, θ).
- ``pred_instances.bboxes`` ``[A, 5]``: decoded predicted boxes; ``pred_instances.scores``
  ``[A, C]``: classification probabilities. Both detached.
- ``gt_instances.bboxes`` ``[G, 5]`` (tensor or ``RotatedBoxes``), ``gt_instances.labels`` ``[G]``.

Exact and fast (``search``): the top-K and the negative decision equal those of the dense
similarity matrix, but the matrix is not built. For priors of one shape (DCFL: one square prior
per FPN level; the dynamic prior only moves centres) every supported divergence is a quadratic
form of the centre offset plus a constant, ``d = Δᵀ P Δ + c`` (closed forms in
``mmext.structures.gaussian``); ``P`` and ``c`` are read off the shared divergence itself in
float64 at a few offsets and checked at one more. ``'window'`` (default): a cell grid over each
run of equal-shape priors gives, for every ground truth, the priors inside the bounding box of
the ellipse ``d <= D*``, with ``D*`` chosen from the prior density so that about 2K priors fall
inside and above the divergence at which the similarity reaches ``neg_sim_thr``; only those pairs
get the exact shared similarity. Every prior outside has ``d > D*``, which certifies the top-K
(when the K-th value beats the similarity at ``D*``) and that priors no window reaches are below
the negative threshold; a ground truth that is not certified goes through ``'quadratic'``: the
quadratic form for all priors (one small matrix product per run) picks ``topk +
shortlist_margin`` priors that get the exact similarity, with a dense exact re-ranking when ties
reach the end of that shortlist. ``'dense'`` (and the ``'iou'`` measure, or priors in more than
``max_shape_groups`` runs): the exact similarity of every pair. Memory is bounded: at most
``max_chunk_pairs`` (ground truth, prior) pairs are held at once.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
from mmdet.models.task_modules.assigners import AssignResult, BaseAssigner
from mmdet.structures.bbox import get_box_tensor
from mmengine.structures import InstanceData
from mmrotate.registry import TASK_UTILS
from mmrotate.structures.bbox import rbbox_overlaps
from torch import Tensor

from mmext.structures.gaussian import (gaussian_similarity, gjsd, gwd, kld,
                                       rbox_to_gaussian)

_GAUSSIAN_MEASURES = ('gjsd', 'kld', 'gwd')
_MEASURES = _GAUSSIAN_MEASURES + ('iou', )
_CLS_MODES = ('gt_class', 'max')
_SEARCHES = ('window', 'quadratic', 'dense')


@TASK_UTILS.register_module()
class DCFLAssigner(BaseAssigner):
    """Coarse-to-fine assigner of DCFL (CPS top-K → PT top-Q → DGMM filter).

    Args:
        topk (int): K, coarse candidates per ground truth (paper and official: 16).
        topq (int): Q, medium positives per ground truth after re-ranking (12).
        gauss_thr (float): g; a medium positive whose DGMM score is below ``exp(-g)`` becomes
            negative. Paper default 0.8; the official DOTA configs use 0.6.
        measure (str): coarse similarity, ``'gjsd'`` (default), ``'kld'``, ``'gwd'`` or ``'iou'``.
        measure_cfg (dict, optional): keyword arguments of ``gaussian_similarity`` (``alpha``,
            ``form``, ``tau``, ``fun``); defaults reproduce the official ``1/(1+d)`` with α=0.5.
        neg_sim_thr (float): a prior that is no candidate is negative when its best similarity is
            below this, ignored otherwise (official: 0.8, i.e. GJSD > 0.25).
        cls_score_mode (str): ``'gt_class'`` (paper: the score of the ground truth's class) or
            ``'max'`` (official: the highest class score).
        pt_cls_weight (float): weight of the classification score in PT (paper ½; the IoU gets
            ``1 - pt_cls_weight``).
        dgmm (bool): apply the DGMM constraint (the fine stage). Defaults to True.
        dgmm_weights (tuple[float, float]): weights of the geometry and semantic components
            (official 0.7, 0.3); they must sum to 1.
        ignore_iof_thr (float): priors whose IoF with an ignored box exceeds this are never
            candidates and are labelled ignored (-1). Non-positive disables it (official: -1).
        search (str): how the top-K candidates are found, all exact (see the module docstring):
            ``'window'`` (default; falls back to ``'quadratic'`` per ground truth when not
            certified), ``'quadratic'`` or ``'dense'`` (the similarity of every pair).
        max_chunk_pairs (int): at most this many (ground truth, prior) pairs are held at once.
        shortlist_margin (int, optional): extra priors re-scored exactly beyond the K best
            by the ``'quadratic'`` search (defaults to K).
        max_shape_groups (int): with more runs of consecutive equal-shape priors than this, the
            exact dense path is used.
    """

    def __init__(self,
                 topk: int = 16,
                 topq: int = 12,
                 gauss_thr: float = 0.8,
                 measure: str = 'gjsd',
                 measure_cfg: Optional[dict] = None,
                 neg_sim_thr: float = 0.8,
                 cls_score_mode: str = 'gt_class',
                 pt_cls_weight: float = 0.5,
                 dgmm: bool = True,
                 dgmm_weights: Sequence[float] = (0.7, 0.3),
                 ignore_iof_thr: float = -1.0,
                 search: str = 'window',
                 max_chunk_pairs: int = 1 << 20,
                 shortlist_margin: Optional[int] = None,
                 max_shape_groups: int = 64) -> None:
        if measure not in _MEASURES:
            raise ValueError(f'DCFLAssigner: measure must be one of {_MEASURES}, got {measure!r}')
        if cls_score_mode not in _CLS_MODES:
            raise ValueError(f'DCFLAssigner: cls_score_mode must be one of {_CLS_MODES}, '
                             f'got {cls_score_mode!r}')
        if int(topk) < 1 or int(topq) < 1:
            raise ValueError(f'DCFLAssigner: topk and topq must be >= 1, got {topk}, {topq}')
        if len(dgmm_weights) != 2 or abs(sum(dgmm_weights) - 1.0) > 1e-6 or min(dgmm_weights) < 0:
            raise ValueError('DCFLAssigner: dgmm_weights must be two non-negative weights summing '
                             f'to 1, got {tuple(dgmm_weights)}')
        if not 0.0 <= pt_cls_weight <= 1.0:
            raise ValueError(f'DCFLAssigner: pt_cls_weight must be in [0, 1], got {pt_cls_weight}')
        if search not in _SEARCHES:
            raise ValueError(f'DCFLAssigner: search must be one of {_SEARCHES}, got {search!r}')
        if max_chunk_pairs < 1:
            raise ValueError(f'DCFLAssigner: max_chunk_pairs must be >= 1, got {max_chunk_pairs}')
        self.topk = int(topk)
        self.topq = int(topq)
        self.gauss_thr = float(gauss_thr)
        self.measure = measure
        self.measure_cfg = dict(measure_cfg or {})
        unknown = set(self.measure_cfg) - {'alpha', 'form', 'tau', 'fun'}
        if unknown:
            raise ValueError(f'DCFLAssigner: unknown measure_cfg keys {sorted(unknown)}')
        if measure == 'iou' and self.measure_cfg:
            raise ValueError("DCFLAssigner: measure_cfg applies to the Gaussian measures, "
                             "not to 'iou'")
        self.neg_sim_thr = float(neg_sim_thr)
        self.cls_score_mode = cls_score_mode
        self.pt_cls_weight = float(pt_cls_weight)
        self.dgmm = bool(dgmm)
        self.dgmm_weights = tuple(float(w) for w in dgmm_weights)
        self.ignore_iof_thr = float(ignore_iof_thr)
        self.search = search
        self.max_chunk_pairs = int(max_chunk_pairs)
        self._thr_divergence = None
        self.shortlist_margin = self.topk if shortlist_margin is None else int(shortlist_margin)
        self.max_shape_groups = int(max_shape_groups)

    # ------------------------------------------------------------------ similarity
    def similarity(self, gts: Tensor, priors: Tensor, aligned: bool = False) -> Tensor:
        """Exact coarse similarity ``[G, A]`` (``[N]`` if ``aligned``), higher is closer."""
        if self.measure == 'iou':
            if aligned and gts.shape[0] == 0:
                return gts.new_zeros(0)
            return rbbox_overlaps(gts, priors, is_aligned=aligned).reshape(
                (-1, ) if aligned else (gts.shape[0], priors.shape[0]))
        return gaussian_similarity(gts, priors, measure=self.measure, aligned=aligned,
                                   **self.measure_cfg)

    def _divergence(self, boxes1: Tensor, boxes2: Tensor) -> Tensor:
        """The raw aligned divergence ``gaussian_similarity`` is a decreasing function of."""
        if self.measure == 'gjsd':
            return gjsd(boxes1, boxes2, alpha=self.measure_cfg.get('alpha', 0.5), aligned=True)
        if self.measure == 'kld':
            return kld(boxes1, boxes2, aligned=True)
        return gwd(boxes1, boxes2, aligned=True)

    def _quadratic_coefficients(self, gts: Tensor, shapes: Tensor) -> Optional[Tensor]:
        """``[G, U, 4]`` (P11, P12, P22, c) with ``d(gt, prior) = ΔᵀPΔ + c`` for each gt and
        prior shape ``(w, h, θ)``, read off the shared divergence in float64; None when the
        divergence is not such a quadratic form (checked at a fifth offset)."""
        g64, s64 = gts.double(), shapes.double()
        num_gts, num_shapes = g64.shape[0], s64.shape[0]
        # probe scale: a few box diagonals, so the quadratic part dominates the constant
        scale = (g64[:, None, 2:4].pow(2).sum(-1) + s64[None, :, :2].pow(2).sum(-1)).sqrt()
        scale = 4 * scale.clamp(min=1.0)  # [G, U]
        unit = g64.new_tensor([[0., 0.], [1., 0.], [0., 1.], [1., 1.], [1., -2.]])
        offsets = scale[..., None, None] * unit  # [G, U, 5, 2]
        b1 = g64[:, None, None, :].expand(num_gts, num_shapes, 5, 5)
        b2 = torch.cat([b1[..., :2] + offsets,
                        s64[None, :, None, :].expand(num_gts, num_shapes, 5, 3)], dim=-1)
        d = self._divergence(b1.reshape(-1, 5), b2.reshape(-1, 5)).reshape(
            num_gts, num_shapes, 5)
        s2 = scale * scale
        c = d[..., 0]
        p11 = (d[..., 1] - c) / s2
        p22 = (d[..., 2] - c) / s2
        p12 = (d[..., 3] - d[..., 1] - d[..., 2] + c) / (2 * s2)
        pred = c + (p11 - 4 * p12 + 4 * p22) * s2
        if not torch.isfinite(d).all() or not torch.allclose(pred, d[..., 4], rtol=1e-6,
                                                              atol=1e-9):
            return None
        return torch.stack([p11, p12, p22, c], dim=-1)

    def _rank_dense(self, gts: Tensor, priors: Tensor, blocked: Optional[Tensor],
                    k: int) -> Tuple[Tensor, Tensor, Tensor]:
        """Exact path: dense similarity chunk by chunk. Returns the K candidates ``[G, K]``
        (ascending prior index), their similarities and each prior's best similarity ``[A]``."""
        num_gts, num_priors = gts.shape[0], priors.shape[0]
        chunk = max(1, self.max_chunk_pairs // max(num_priors, 1))
        cand_idx, cand_sim = [], []
        max_sim = priors.new_full((num_priors, ), -math.inf)
        for start in range(0, num_gts, chunk):
            sim = self.similarity(gts[start:start + chunk], priors)
            sim = torch.nan_to_num_(sim, nan=-math.inf)
            if blocked is not None:
                sim[:, blocked] = -math.inf
            max_sim = torch.maximum(max_sim, sim.max(dim=0).values)
            idx = _topk_lowest_index_ties(sim, k)
            cand_idx.append(idx)
            cand_sim.append(sim.gather(1, idx))
        return torch.cat(cand_idx), torch.cat(cand_sim), max_sim

    def _similarity_at(self, d: Tensor) -> Tensor:
        """The similarity of a pair whose divergence is ``d`` (float64): the shared similarity of
        a unit box and its copy shifted along x (identical shapes: ``d = p·Δx²``)."""
        unit = d.new_tensor([[0., 0., 2., 2., 0.]], dtype=torch.float64)
        p = self._divergence(unit, unit + unit.new_tensor([[1., 0., 0., 0., 0.]]))
        b1 = unit.expand(d.numel(), 5)
        b2 = b1.clone()
        b2[:, 0] = (d.double().flatten().clamp(0, 1e12) / p).sqrt()
        return self.similarity(b1, b2, aligned=True).reshape(d.shape)

    def _threshold_divergence(self, device) -> float:
        """The divergence at which the similarity falls to ``neg_sim_thr`` (-inf when every
        similarity is below it, inf when none is); cached."""
        if self._thr_divergence is None:
            grid = torch.cat([torch.zeros(1), torch.logspace(-12, 12, 2401)]).double().to(device)
            sim = self._similarity_at(grid)
            below = (sim < self.neg_sim_thr).nonzero().flatten()
            if sim[0] < self.neg_sim_thr:
                self._thr_divergence = -math.inf
            elif below.numel() == 0:
                self._thr_divergence = math.inf
            else:
                hi = float(grid[below[0]])
                fine = torch.linspace(float(grid[below[0] - 1]), hi, 1001,
                                      dtype=torch.float64, device=device)
                above = fine[self._similarity_at(fine) >= self.neg_sim_thr]
                self._thr_divergence = float(above.max()) if above.numel() else hi
        return self._thr_divergence

    def _rank_window(self, gts: Tensor, priors: Tensor, blocked: Optional[Tensor], k: int,
                     coef: Tensor, runs: Sequence[Tuple[int, int]]):
        """Windowed search. For each ground truth a divergence level ``D*`` is chosen that about
        ``2K`` priors reach (from each run's prior density) and that is above the divergence of
        the negative threshold; the priors inside the bounding box of the ellipse
        ``ΔᵀPΔ + c <= D*`` of each run, found through a cell grid of the run, get the exact
        shared similarity. Every prior outside has ``d > D*``, so the K best are exact when the
        K-th value beats ``f(D*)``, and priors no window reaches are below the threshold.

        Returns ``(cand_idx, cand_sim, max_sim, certified)`` or None when no level is above the
        negative threshold (then no window is bounded)."""
        device = priors.device
        num_gts, num_priors = gts.shape[0], priors.shape[0]
        d_thr = self._threshold_divergence(device)
        if d_thr == math.inf:
            return None
        xy = priors[:, :2].double()
        p11, p12, p22, c = coef.unbind(dim=-1)  # [G, U]
        det = (p11 * p22 - p12 * p12).clamp(min=1e-300)
        # cell grid of each run: priors sorted by cell, each row of cells contiguous
        sorted_idx, grids, density = [], [], []
        for lo, hi in runs:
            pts = xy[lo:hi]
            n = hi - lo
            mn = pts.min(dim=0).values
            ext = (pts.max(dim=0).values - mn).clamp(min=1e-6)
            h = max(float((ext[0] * ext[1] / n).sqrt()), float(ext.max()) / n)
            cell = ((pts - mn) / h).floor().long()
            ncx, ncy = int(cell[:, 0].max()) + 1, int(cell[:, 1].max()) + 1
            key = cell[:, 1] * ncx + cell[:, 0]
            order = torch.sort(key, stable=True).indices
            starts = torch.searchsorted(key[order], torch.arange(ncx * ncy + 1, device=device))
            sorted_idx.append(order + lo)
            grids.append((mn, h, ncx, ncy, starts + lo))
            density.append(1.0 / (h * h))
        sorted_idx = torch.cat(sorted_idx)
        density = c.new_tensor(density)  # [U]
        # D*: about 2K priors below it, and above the negative threshold
        rate = math.pi * density / det.sqrt()  # priors per unit of divergence, per run
        target = 2.0 * k
        lo_d = c.min(dim=1).values
        u_min = c.argmin(dim=1, keepdim=True)
        hi_d = lo_d + target / rate.gather(1, u_min).squeeze(1)
        for _ in range(50):
            mid = (lo_d + hi_d) / 2
            enough = (rate * (mid[:, None] - c).clamp(min=0)).sum(dim=1) >= target
            hi_d = torch.where(enough, mid, hi_d)
            lo_d = torch.where(enough, lo_d, mid)
        level = hi_d
        if d_thr > -math.inf:
            level = torch.maximum(level, level.new_tensor(d_thr * 1.05 + 1e-9))
        # windows: per run, the cell rows and columns of the ellipse's bounding box
        centres = gts[:, :2].double()
        ranges = []  # (gt, start, end) of each cell row inside a window
        for u, (mn, h, ncx, ncy, starts) in enumerate(grids):
            slack = (level - c[:, u]).clamp(min=0)
            ok = level >= c[:, u]
            rx = (slack * p22[:, u] / det[:, u]).sqrt()
            ry = (slack * p11[:, u] / det[:, u]).sqrt()
            x0 = ((centres[:, 0] - rx - mn[0]) / h).floor().clamp(-1, ncx).long()
            x1 = ((centres[:, 0] + rx - mn[0]) / h).floor().clamp(-1, ncx).long()
            y0 = ((centres[:, 1] - ry - mn[1]) / h).floor().clamp(-1, ncy).long()
            y1 = ((centres[:, 1] + ry - mn[1]) / h).floor().clamp(-1, ncy).long()
            ok &= (x1 >= 0) & (x0 < ncx) & (y1 >= 0) & (y0 < ncy)
            x0, x1 = x0.clamp(0, ncx - 1), x1.clamp(0, ncx - 1)
            y0, y1 = y0.clamp(0, ncy - 1), y1.clamp(0, ncy - 1)
            rows = torch.where(ok, y1 - y0 + 1, torch.zeros_like(y0))
            gt_of_row = torch.repeat_interleave(torch.arange(num_gts, device=device), rows)
            first = torch.cumsum(rows, 0) - rows
            cy = y0[gt_of_row] + torch.arange(gt_of_row.numel(), device=device) - \
                first[gt_of_row]
            ranges.append(torch.stack([gt_of_row, starts[cy * ncx + x0[gt_of_row]],
                                       starts[cy * ncx + x1[gt_of_row] + 1]], dim=1))
        ranges = torch.cat(ranges)
        ranges = ranges[torch.sort(ranges[:, 0], stable=True).indices]
        per_gt = torch.zeros(num_gts, dtype=torch.long, device=device).index_add_(
            0, ranges[:, 0], ranges[:, 2] - ranges[:, 1])
        cand_idx = torch.zeros((num_gts, k), dtype=torch.long, device=device)
        cand_sim = priors.new_zeros((num_gts, k))
        certified = per_gt >= k
        max_sim = priors.new_full((num_priors, ), -math.inf)
        bound = self._similarity_at(level)  # no prior outside the windows reaches it
        # chunks of ground truths with at most max_chunk_pairs pairs (a single gt may exceed it)
        cum = torch.cumsum(per_gt, 0)
        gt_start = 0
        while gt_start < num_gts:
            base = int(cum[gt_start - 1]) if gt_start > 0 else 0
            gt_end = int(torch.searchsorted(cum, base + self.max_chunk_pairs, right=True))
            gt_end = min(max(gt_end, gt_start + 1), num_gts)
            sel = (ranges[:, 0] >= gt_start) & (ranges[:, 0] < gt_end)
            r = ranges[sel]
            lengths = r[:, 2] - r[:, 1]
            owner = torch.repeat_interleave(torch.arange(r.shape[0], device=device), lengths)
            offset = torch.arange(owner.numel(), device=device) - (torch.cumsum(lengths, 0) -
                                                                  lengths)[owner]
            pair_gt = r[owner, 0]
            pair_prior = sorted_idx[r[owner, 1] + offset]
            sim = self.similarity(gts[pair_gt], priors[pair_prior], aligned=True)
            sim = torch.nan_to_num_(sim, nan=-math.inf)
            if blocked is not None:
                sim[blocked[pair_prior]] = -math.inf
            max_sim.scatter_reduce_(0, pair_prior, sim, reduce='amax')
            # per gt: similarity descending, then prior index ascending
            order = torch.sort(pair_prior, stable=True).indices
            order = order[torch.sort(sim[order], descending=True, stable=True).indices]
            order = order[torch.sort(pair_gt[order], stable=True).indices]
            g_sorted = pair_gt[order]
            counts = torch.bincount(g_sorted - gt_start, minlength=gt_end - gt_start)
            first = torch.cumsum(counts, 0) - counts
            rank = torch.arange(order.numel(), device=device) - first[g_sorted - gt_start]
            keep = rank < k
            rows, cols = g_sorted[keep], rank[keep]
            cand_idx[rows, cols] = pair_prior[order][keep]
            cand_sim[rows, cols] = sim[order][keep]
            gt_start = gt_end
        kth = cand_sim[:, -1].double()
        certified &= kth > bound * (1 + 1e-6) + 1e-12
        reorder = cand_idx.argsort(dim=1)
        return (cand_idx.gather(1, reorder), cand_sim.gather(1, reorder), max_sim, certified)

    def _rank_quadratic(self, gts: Tensor, priors: Tensor, blocked: Optional[Tensor], k: int,
                        coef: Tensor,
                        runs: Sequence[Tuple[int, int]]) -> Tuple[Tensor, Tensor, Tensor]:
        """Fast path (see the module docstring). Same outputs as :meth:`_rank_dense`.

        For a run of priors of one shape, ``d = ΔᵀPΔ + c`` over all (gt, prior) pairs is one
        matrix product of per-gt weights ``[n, 6]`` with the prior monomials
        ``(1, x, y, x², xy, y²)`` ``[6, A]``, in float64 with centred coordinates.
        """
        num_gts, num_priors = gts.shape[0], priors.shape[0]
        chunk = max(1, self.max_chunk_pairs // max(num_priors, 1))
        short = min(num_priors, k + self.shortlist_margin)
        origin = priors[:, :2].double().mean(dim=0)
        x, y = (priors[:, :2].double() - origin).unbind(dim=1)
        monomials = torch.stack([torch.ones_like(x), x, y, x * x, x * y, y * y])  # [6, A]
        centres = gts[:, :2].double() - origin
        p11, p12, p22, c = coef.unbind(dim=-1)  # [G, U] each
        a, b = centres[:, 0:1], centres[:, 1:2]
        weights = torch.stack([
            p11 * a * a + 2 * p12 * a * b + p22 * b * b + c, -2 * (p11 * a + p12 * b),
            -2 * (p12 * a + p22 * b), p11, 2 * p12, p22
        ], dim=-1)  # [G, U, 6]
        best_d = priors.new_full((num_priors, ), math.inf, dtype=torch.float64)
        best_gt = torch.zeros(num_priors, dtype=torch.long, device=priors.device)
        cand_idx, cand_sim = [], []
        for start in range(0, num_gts, chunk):
            g = gts[start:start + chunk]
            n = g.shape[0]
            d = torch.empty((n, num_priors), dtype=torch.float64, device=priors.device)
            for u, (lo, hi) in enumerate(runs):
                torch.matmul(weights[start:start + n, u], monomials[:, lo:hi], out=d[:, lo:hi])
            if blocked is not None:
                d[:, blocked] = math.inf
            dmin, arg = d.min(dim=0)
            better = dmin < best_d
            best_d = torch.where(better, dmin, best_d)
            best_gt = torch.where(better, arg + start, best_gt)
            # shortlist by the quadratic form, then the exact similarity on it
            sl = d.topk(short, dim=1, largest=False).indices.sort(dim=1).values
            sim = self.similarity(g.repeat_interleave(short, 0), priors[sl.reshape(-1)],
                                  aligned=True).reshape(n, short)
            sim = torch.nan_to_num_(sim, nan=-math.inf)
            if blocked is not None:
                sim[blocked[sl]] = -math.inf
            top = torch.sort(sim, dim=1, descending=True, stable=True).indices[:, :k]
            idx, val = sl.gather(1, top), sim.gather(1, top)
            if short < num_priors:
                # certified when the K-th exact value beats the shortlist's worst one
                bad = ~(val[:, -1] > sim.min(dim=1).values)
                if bad.any():
                    rows = bad.nonzero().squeeze(1)
                    full = self.similarity(g[rows], priors)
                    full = torch.nan_to_num_(full, nan=-math.inf)
                    if blocked is not None:
                        full[:, blocked] = -math.inf
                    fidx = _topk_lowest_index_ties(full, k)
                    idx[rows], val[rows] = fidx, full.gather(1, fidx)
            reorder = idx.argsort(dim=1)
            cand_idx.append(idx.gather(1, reorder))
            cand_sim.append(val.gather(1, reorder))
        # each prior's best similarity: exact value at its best ground truth by the quadratic form
        max_sim = self.similarity(gts[best_gt], priors, aligned=True)
        if blocked is not None:
            max_sim[blocked] = -math.inf
        return torch.cat(cand_idx), torch.cat(cand_sim), max_sim

    @staticmethod
    def shape_runs(priors: Tensor) -> Tuple[List[Tuple[int, int]], Tensor]:
        """Runs ``[(start, end), ...]`` of consecutive priors with one shape ``(w, h, θ)`` (one
        run per FPN level for DCFL) and the shape of each run ``[U, 3]``."""
        shapes = priors[:, 2:5]
        change = (shapes[1:] != shapes[:-1]).any(dim=1).nonzero().flatten() + 1
        bounds = [0] + change.tolist() + [priors.shape[0]]
        return list(zip(bounds[:-1], bounds[1:])), shapes[bounds[:-1]]

    def rank_candidates(self, gts: Tensor, priors: Tensor,
                        blocked: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """CPS: the top-K priors of every ground truth across all levels.

        Returns ``cand_idx`` ``[G, K]`` (ascending prior index), ``cand_sim`` ``[G, K]`` and
        ``max_sim`` ``[A]`` (each prior's best similarity over the ground truths). ``blocked``
        ``[A]`` marks priors that may not be candidates.
        """
        k = min(self.topk, priors.shape[0])
        if (self.search != 'dense' and self.measure in _GAUSSIAN_MEASURES
                and priors.shape[0] > 0):
            runs, shapes = self.shape_runs(priors)
            if len(runs) <= self.max_shape_groups:
                coef = self._quadratic_coefficients(gts, shapes)
                if coef is not None:
                    found = None
                    if self.search == 'window':
                        found = self._rank_window(gts, priors, blocked, k, coef, runs)
                    if found is None:
                        return self._rank_quadratic(gts, priors, blocked, k, coef, runs)
                    cand_idx, cand_sim, max_sim, certified = found
                    if not certified.all():
                        rest = (~certified).nonzero().flatten()
                        idx, val, rest_max = self._rank_quadratic(gts[rest], priors, blocked, k,
                                                                  coef[rest], runs)
                        cand_idx[rest], cand_sim[rest] = idx, val
                        max_sim = torch.maximum(max_sim, rest_max)
                    return cand_idx, cand_sim, max_sim
        return self._rank_dense(gts, priors, blocked, k)

    # ------------------------------------------------------------------ assignment
    def assign(self,
               pred_instances: InstanceData,
               gt_instances: InstanceData,
               gt_instances_ignore: Optional[InstanceData] = None,
               **kwargs) -> AssignResult:
        """Assign ground truths to priors.

        Returns an ``AssignResult`` whose ``gt_inds`` are ``-1`` (ignored), ``0`` (negative) or
        ``i + 1`` (positive for ground truth ``i``), ``max_overlaps`` the coarse similarity with
        the assigned ground truth (for other priors the best similarity the search evaluated;
        0 for priors the window search shows to be below ``neg_sim_thr`` for every ground truth)
        and ``labels`` the class of the assigned ground truth (``-1`` otherwise).
        """
        for key in ('priors', 'bboxes', 'scores'):
            if key not in pred_instances:
                raise KeyError(f'DCFLAssigner.assign: pred_instances has no {key!r}; it needs '
                               'priors (matching), bboxes (decoded predictions) and scores '
                               '(class probabilities)')
        priors = get_box_tensor(pred_instances.priors)
        pred_bboxes = get_box_tensor(pred_instances.bboxes)
        scores = pred_instances.scores
        gt_bboxes = get_box_tensor(gt_instances.bboxes)
        gt_labels = gt_instances.labels
        if priors.shape[-1] != 5 or gt_bboxes.shape[-1] != 5 or pred_bboxes.shape[-1] != 5:
            raise ValueError('DCFLAssigner.assign: priors, bboxes and gt bboxes must be rotated '
                             f'boxes [.., 5]; got priors {tuple(priors.shape)}, bboxes '
                             f'{tuple(pred_bboxes.shape)}, gt bboxes {tuple(gt_bboxes.shape)}')
        if not torch.isfinite(gt_bboxes).all():
            bad = (~torch.isfinite(gt_bboxes).all(dim=1)).nonzero().flatten().tolist()
            raise ValueError(f'DCFLAssigner.assign: gt_instances.bboxes rows {bad} are not '
                             'finite')
        num_gts, num_priors = gt_bboxes.shape[0], priors.shape[0]
        device = priors.device
        priors = priors.detach()
        gt_bboxes = gt_bboxes.detach().to(priors.dtype)

        blocked = None
        if (self.ignore_iof_thr > 0 and gt_instances_ignore is not None
                and len(gt_instances_ignore) > 0 and num_priors > 0):
            ignore = get_box_tensor(gt_instances_ignore.bboxes).to(priors.dtype)
            iof = rbbox_overlaps(priors, ignore, mode='iof')
            blocked = iof.max(dim=1).values > self.ignore_iof_thr

        assigned = torch.zeros(num_priors, dtype=torch.long, device=device)
        labels = assigned.new_full((num_priors, ), -1)
        overlaps = priors.new_zeros(num_priors)
        if num_gts == 0 or num_priors == 0:
            if blocked is not None:
                assigned[blocked] = -1
            return AssignResult(num_gts, assigned, overlaps, labels=labels)

        with torch.no_grad():
            gt_inds, max_sim, pos_sim = self._assign(priors, pred_bboxes.detach(),
                                                     scores.detach(), gt_bboxes, gt_labels,
                                                     blocked)
        pos = gt_inds > 0
        overlaps = torch.where(pos, pos_sim, max_sim.clamp(min=0))
        labels[pos] = gt_labels[gt_inds[pos] - 1]
        return AssignResult(num_gts, gt_inds, overlaps, labels=labels)

    def _assign(self, priors: Tensor, pred_bboxes: Tensor, scores: Tensor, gts: Tensor,
                gt_labels: Tensor, blocked: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        num_gts, num_priors = gts.shape[0], priors.shape[0]
        device = priors.device
        # 1. CPS
        cand_idx, cand_sim, max_sim = self.rank_candidates(gts, priors, blocked)
        k = cand_idx.shape[1]
        gt_inds = torch.full((num_priors, ), -1, dtype=torch.long, device=device)
        gt_inds[max_sim < self.neg_sim_thr] = 0
        gt_inds[cand_idx.reshape(-1)] = 0

        # 2. posterior re-ranking: PT = w·cls + (1-w)·IoU(prediction, gt)
        flat = cand_idx.reshape(-1)
        iou = rbbox_overlaps(pred_bboxes[flat].to(gts.dtype), gts.repeat_interleave(k, 0),
                             is_aligned=True).reshape(num_gts, k)
        cand_scores = scores[cand_idx].to(gts.dtype)  # [G, K, C]
        if self.cls_score_mode == 'gt_class':
            cls = cand_scores.gather(2, gt_labels.long().view(-1, 1, 1).expand(-1, k, 1))[..., 0]
        else:
            cls = cand_scores.max(dim=2).values
        pt = self.pt_cls_weight * cls + (1 - self.pt_cls_weight) * iou
        q = min(self.topq, k)
        top = torch.sort(pt, dim=1, descending=True, stable=True).indices[:, :q]
        mps_idx = cand_idx.gather(1, top)  # [G, Q]
        mps_pt = pt.gather(1, top)
        mps_sim = cand_sim.gather(1, top)
        keep = torch.ones_like(mps_pt, dtype=torch.bool)

        # 3. DGMM
        if self.dgmm:
            keep = self.dgmm_scores(gts, priors[:, :2], mps_idx) >= math.exp(-self.gauss_thr)

        # conflicts: the highest PT, then the lower gt index
        pos_prior = mps_idx[keep]
        pos_gt = torch.arange(num_gts, device=device)[:, None].expand_as(mps_idx)[keep]
        pos_pt = mps_pt[keep]
        best_pt = torch.full((num_priors, ), -math.inf, dtype=pt.dtype, device=device)
        best_pt.scatter_reduce_(0, pos_prior, pos_pt, reduce='amax')
        win = pos_pt == best_pt[pos_prior]
        best_gt = torch.full((num_priors, ), num_gts, dtype=torch.long, device=device)
        best_gt.scatter_reduce_(0, pos_prior[win], pos_gt[win], reduce='amin')
        is_pos = best_gt < num_gts
        gt_inds[is_pos] = best_gt[is_pos] + 1
        pos_sim = max_sim.new_zeros(num_priors)
        chosen = win & (pos_gt == best_gt[pos_prior])
        pos_sim[pos_prior[chosen]] = mps_sim[keep][chosen].to(pos_sim.dtype)
        if blocked is not None:
            gt_inds[blocked] = -1
        return gt_inds, max_sim, pos_sim

    def dgmm_scores(self, gts: Tensor, prior_centres: Tensor, mps_idx: Tensor) -> Tensor:
        """DGMM score ``[G, Q]`` (float64) of each medium positive at its prior centre.

        ``Σ_m w_m exp(-½ (s-μ_m)ᵀ Σ_g⁻¹ (s-μ_m))`` with μ_1 the ground truth's centre, μ_2 the
        mean centre of its Q medium positives (the semantic centre).
        """
        mu, sigma = rbox_to_gaussian(gts.double())
        inv = torch.linalg.inv(sigma)  # [G, 2, 2]
        pts = prior_centres[mps_idx].double()  # [G, Q, 2]
        semantic = pts.mean(dim=1)  # [G, 2]
        w_geo, w_sem = self.dgmm_weights

        def gauss(centre):
            diff = pts - centre[:, None, :]
            maha = torch.einsum('gqi,gij,gqj->gq', diff, inv, diff)
            return torch.exp(-0.5 * maha)

        return w_geo * gauss(mu) + w_sem * gauss(semantic)


def _topk_lowest_index_ties(sim: Tensor, k: int) -> Tensor:
    """Indices ``[N, k]`` (ascending) of the k largest entries of each row of ``sim`` ``[N, A]``;
    among equal values the lower index wins (a boundary tie is resolved by a stable sort)."""
    num = sim.shape[1]
    if k >= num:
        return torch.arange(num, device=sim.device).expand(sim.shape[0], num).clone()
    vals, idx = sim.topk(k + 1, dim=1)
    idx = idx[:, :k]
    tie = vals[:, k - 1] == vals[:, k]
    if tie.any():
        rows = tie.nonzero().squeeze(1)
        idx[rows] = torch.sort(sim[rows], dim=1, descending=True, stable=True).indices[:, :k]
    return idx.sort(dim=1).values
