"""Exact fast top-K search of the coarse stage of DCFL (speed machinery of ``DCFLAssigner``).

For every ground truth, the ``k`` priors of highest similarity across all FPN levels, and each
prior's best similarity over the ground truths, exactly as the dense ``[G, A]`` similarity matrix
gives them (ties go to the lower prior index), without building that matrix.

For priors of one shape (DCFL: one square prior per FPN level; the dynamic prior only moves
centres) every supported Gaussian divergence is a quadratic form of the centre offset plus a
constant, ``d = ΔᵀPΔ + c`` (closed forms in ``mmext.structures.gaussian``); ``P`` and ``c`` are
read off the shared divergence itself in float64 at a few offsets and checked at one more.

- ``'window'`` (default): a cell grid over each run of equal-shape priors gives, for every ground
  truth, the priors inside the bounding box of the ellipse ``d <= D*``, with ``D*`` chosen from
  the prior density so that about 2K priors fall inside and above the divergence at which the
  similarity reaches ``neg_sim_thr``; only those pairs get the exact shared similarity. Every
  prior outside has ``d > D*``, which certifies the top-K (when the K-th value beats the
  similarity at ``D*``) and that priors no window reaches are below the negative threshold; a
  ground truth that is not certified goes through ``'quadratic'``.
- ``'quadratic'``: the quadratic form for all priors (one small matrix product per run) picks
  ``k + shortlist_margin`` priors that get the exact similarity, with a dense exact re-ranking
  when ties reach the end of that shortlist.
- ``'dense'`` (and non-Gaussian measures such as IoU, or priors in more than
  ``max_shape_groups`` runs): the exact similarity of every pair.

Memory is bounded: at most ``max_chunk_pairs`` (ground truth, prior) pairs are held at once.
"""
import math
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

SEARCHES = ('window', 'quadratic', 'dense')


class GaussianTopK:
    """Exact top-K of a similarity that decreases with a Gaussian divergence (see the module).

    Args:
        similarity (callable): ``similarity(boxes1, boxes2, aligned=False)`` -> ``[N, M]`` (or
            ``[N]`` aligned), higher is closer; the exact values every path returns.
        divergence (callable, optional): ``divergence(boxes1, boxes2)`` (aligned) that
            ``similarity`` is a decreasing function of; None forces the dense path.
        neg_sim_thr (float): similarity below which a prior counts as negative; priors no
            window reaches are certified below it.
        search (str): ``'window'``, ``'quadratic'`` or ``'dense'``.
        max_chunk_pairs (int): at most this many (ground truth, prior) pairs are held at once.
        shortlist_margin (int, optional): extra priors re-scored exactly beyond the K best by
            the ``'quadratic'`` search (defaults to K).
        max_shape_groups (int): with more runs of equal-shape priors, the dense path is used.
    """

    def __init__(self,
                 similarity: Callable[..., Tensor],
                 divergence: Optional[Callable[[Tensor, Tensor], Tensor]],
                 neg_sim_thr: float = 0.8,
                 search: str = 'window',
                 max_chunk_pairs: int = 1 << 20,
                 shortlist_margin: Optional[int] = None,
                 max_shape_groups: int = 64) -> None:
        if search not in SEARCHES:
            raise ValueError(f'GaussianTopK: search must be one of {SEARCHES}, got {search!r}')
        if max_chunk_pairs < 1:
            raise ValueError(f'GaussianTopK: max_chunk_pairs must be >= 1, got {max_chunk_pairs}')
        self.similarity = similarity
        self._divergence = divergence
        self.neg_sim_thr = float(neg_sim_thr)
        self.search = search
        self.max_chunk_pairs = int(max_chunk_pairs)
        self.shortlist_margin = shortlist_margin
        self.max_shape_groups = int(max_shape_groups)
        self._thr_divergence = None

    def quadratic_coefficients(self, gts: Tensor, shapes: Tensor) -> Optional[Tensor]:
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

    def rank_dense(self, gts: Tensor, priors: Tensor, blocked: Optional[Tensor],
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
            idx = topk_lowest_index_ties(sim, k)
            cand_idx.append(idx)
            cand_sim.append(sim.gather(1, idx))
        return torch.cat(cand_idx), torch.cat(cand_sim), max_sim

    def similarity_at(self, d: Tensor) -> Tensor:
        """The similarity of a pair whose divergence is ``d`` (float64): the shared similarity of
        a unit box and its copy shifted along x (identical shapes: ``d = p·Δx²``)."""
        unit = d.new_tensor([[0., 0., 2., 2., 0.]], dtype=torch.float64)
        p = self._divergence(unit, unit + unit.new_tensor([[1., 0., 0., 0., 0.]]))
        b1 = unit.expand(d.numel(), 5)
        b2 = b1.clone()
        b2[:, 0] = (d.double().flatten().clamp(0, 1e12) / p).sqrt()
        return self.similarity(b1, b2, aligned=True).reshape(d.shape)

    def threshold_divergence(self, device) -> float:
        """The divergence at which the similarity falls to ``neg_sim_thr`` (-inf when every
        similarity is below it, inf when none is); cached."""
        if self._thr_divergence is None:
            grid = torch.cat([torch.zeros(1), torch.logspace(-12, 12, 2401)]).double().to(device)
            sim = self.similarity_at(grid)
            below = (sim < self.neg_sim_thr).nonzero().flatten()
            if sim[0] < self.neg_sim_thr:
                self._thr_divergence = -math.inf
            elif below.numel() == 0:
                self._thr_divergence = math.inf
            else:
                hi = float(grid[below[0]])
                fine = torch.linspace(float(grid[below[0] - 1]), hi, 1001,
                                      dtype=torch.float64, device=device)
                above = fine[self.similarity_at(fine) >= self.neg_sim_thr]
                self._thr_divergence = float(above.max()) if above.numel() else hi
        return self._thr_divergence

    def rank_window(self, gts: Tensor, priors: Tensor, blocked: Optional[Tensor], k: int,
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
        d_thr = self.threshold_divergence(device)
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
        bound = self.similarity_at(level)  # no prior outside the windows reaches it
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

    def rank_quadratic(self, gts: Tensor, priors: Tensor, blocked: Optional[Tensor], k: int,
                        coef: Tensor,
                        runs: Sequence[Tuple[int, int]]) -> Tuple[Tensor, Tensor, Tensor]:
        """Fast path (see the module docstring). Same outputs as :meth:`rank_dense`.

        For a run of priors of one shape, ``d = ΔᵀPΔ + c`` over all (gt, prior) pairs is one
        matrix product of per-gt weights ``[n, 6]`` with the prior monomials
        ``(1, x, y, x², xy, y²)`` ``[6, A]``, in float64 with centred coordinates.
        """
        num_gts, num_priors = gts.shape[0], priors.shape[0]
        chunk = max(1, self.max_chunk_pairs // max(num_priors, 1))
        margin = k if self.shortlist_margin is None else int(self.shortlist_margin)
        short = min(num_priors, k + margin)
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
                    fidx = topk_lowest_index_ties(full, k)
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

    def __call__(self, gts: Tensor, priors: Tensor, k: int,
                 blocked: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """The ``k`` best priors of every ground truth across all levels.

        Returns ``cand_idx`` ``[G, K]`` (ascending prior index), ``cand_sim`` ``[G, K]`` and
        ``max_sim`` ``[A]`` (each prior's best similarity over the ground truths). ``blocked``
        ``[A]`` marks priors that may not be candidates.
        """
        k = min(int(k), priors.shape[0])
        if self.search != 'dense' and self._divergence is not None and priors.shape[0] > 0:
            runs, shapes = self.shape_runs(priors)
            if len(runs) <= self.max_shape_groups:
                coef = self.quadratic_coefficients(gts, shapes)
                if coef is not None:
                    found = None
                    if self.search == 'window':
                        found = self.rank_window(gts, priors, blocked, k, coef, runs)
                    if found is None:
                        return self.rank_quadratic(gts, priors, blocked, k, coef, runs)
                    cand_idx, cand_sim, max_sim, certified = found
                    if not certified.all():
                        rest = (~certified).nonzero().flatten()
                        idx, val, rest_max = self.rank_quadratic(gts[rest], priors, blocked, k,
                                                                  coef[rest], runs)
                        cand_idx[rest], cand_sim[rest] = idx, val
                        max_sim = torch.maximum(max_sim, rest_max)
                    return cand_idx, cand_sim, max_sim
        return self.rank_dense(gts, priors, blocked, k)



def topk_lowest_index_ties(sim: Tensor, k: int) -> Tensor:
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
