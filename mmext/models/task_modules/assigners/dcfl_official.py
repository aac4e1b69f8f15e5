"""Vectorised steps of the released DCFL assigner (``DCFLAssigner(official=True)``).

The released ``C2FAssigner`` (Chasel-Tsui/mmrotate-dcfl) runs two Python loops, over the
ground truths and their top-K values, then over the ground truths and their top-Q slots. Their
results have closed forms, computed here without a loop over ground truths or priors (a loop
over chunks of ground truths bounds memory only):

- :func:`value_equality_candidates`: ``overlaps[i] == topk_values[i, j]`` marks every prior whose
  similarity equals one of gt ``i``'s K best *values*, i.e. every prior at or above the K-th
  value: K priors, or more when the K-th value is tied. The exact top-(K+1) search tells the tied
  gts apart (their (K+1)-th value equals the K-th); only those get a dense similarity row.
- :func:`last_gt_owner`: the loop writes ``i + 1`` in gt order, so a prior chosen by several gts
  holds the last (largest) index: a scatter-amax over the gt index.
- :func:`shared_list_topq`: ``gt_poscan [G, P]`` is -100 except each candidate's own gt row;
  its row-wise ``topk(q)`` is the gt's q best own candidates when it has at least q and no tie at
  the q-th value (a sort per gt), and otherwise what ``torch.topk`` picks, the -100 entries
  (other gts' candidates) included: those rows go through ``torch.topk`` itself, on the same
  -100-filled rows as the released code (``torch.topk`` is row-wise, so the choice among equal
  entries is the released one on CPU; on CUDA its tie order can depend on the launch shape).
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

PAD_QUALITY = -100.0  # the released fill value of ``gt_poscan``


def value_equality_candidates(search, gts: Tensor, priors: Tensor, k: int,
                              blocked: Optional[Tensor] = None,
                              max_chunk_pairs: int = 1 << 20) -> Tuple[Tensor, Tensor, Tensor]:
    """The released CPS candidates: for every gt, every prior whose similarity is at least its
    K-th best (value equality with the top-K values, so ties at the K-th value give more).

    Args:
        search: a :class:`~.gaussian_topk.GaussianTopK` (exact top-K, its ``similarity``).
        gts ``[G, 5]``, priors ``[A, 5]``, k: K; blocked ``[A]`` (similarity -inf) or None.

    Returns:
        ``pair_gt``, ``pair_prior`` (the (gt, prior) pairs, gt-major) and ``max_sim`` ``[A]``.
    """
    num_gts, num_priors = gts.shape[0], priors.shape[0]
    device = priors.device
    k = min(int(k), num_priors)
    k1 = min(k + 1, num_priors)
    idx, val, max_sim = search(gts, priors, k1, blocked)  # [G, k1], ascending prior index
    gt_ar = torch.arange(num_gts, device=device)
    if k1 == k:  # every prior is a candidate of every gt
        return gt_ar.repeat_interleave(k), idx.reshape(-1), max_sim
    order = torch.sort(val, dim=1, descending=True, stable=True).indices
    by_value = idx.gather(1, order)
    sorted_val = val.gather(1, order)
    tied = sorted_val[:, k - 1] == sorted_val[:, k]
    keep = by_value[~tied, :k]
    pair_gt = [gt_ar[~tied].repeat_interleave(k)]
    pair_prior = [keep.reshape(-1)]
    if tied.any():
        rows = tied.nonzero().flatten()
        chunk = max(1, max_chunk_pairs // max(num_priors, 1))
        for start in range(0, rows.numel(), chunk):
            r = rows[start:start + chunk]
            sim = torch.nan_to_num_(search.similarity(gts[r], priors), nan=-float('inf'))
            if blocked is not None:
                sim[:, blocked] = -float('inf')
            kth = sim.topk(k, dim=1).values[:, -1:]
            g, a = (sim >= kth).nonzero(as_tuple=True)
            pair_gt.append(r[g])
            pair_prior.append(a)
    pair_gt, pair_prior = torch.cat(pair_gt), torch.cat(pair_prior)
    order = torch.sort(pair_gt, stable=True).indices
    return pair_gt[order], pair_prior[order], max_sim


def last_gt_owner(pair_gt: Tensor, pair_prior: Tensor, num_priors: int) -> Tensor:
    """``[A]``: the last gt (in gt order) that chose each prior, -1 where none did."""
    owner = torch.full((num_priors, ), -1, dtype=torch.long, device=pair_prior.device)
    return owner.scatter_reduce_(0, pair_prior, pair_gt, reduce='amax')


def shared_list_topq(cand_gt: Tensor, quality: Tensor, num_gts: int, q: int,
                     max_chunk_pairs: int = 1 << 20) -> Tensor:
    """Row-wise top-q of the released ``gt_poscan`` ``[G, P]`` without building it for every gt.

    Args:
        cand_gt ``[P]``: the gt each entry of the shared candidate list holds (0-based).
        quality ``[P]``: their PT (the released ``IoU + sigmoid(max logit)``, in ``[0, 2]``).
        num_gts: G. q: ``min(Q, P)``.

    Returns:
        ``[G, q]`` positions in the candidate list: for each gt its q best own candidates, or,
        for a gt with fewer than q own candidates (or a tie at its q-th value), the released
        ``torch.topk`` choice, which fills the rest with other gts' candidates.
    """
    num_cands = cand_gt.shape[0]
    device = cand_gt.device
    counts = torch.bincount(cand_gt, minlength=num_gts)
    # per gt: quality descending, then list position (a stable sort of a stable sort)
    order = torch.sort(quality, descending=True, stable=True).indices
    order = order[torch.sort(cand_gt[order], stable=True).indices]
    first = torch.cumsum(counts, 0) - counts
    picks = torch.zeros((num_gts, q), dtype=torch.long, device=device)
    ok = counts >= q
    if q < num_cands:
        nxt = (first + q).clamp(max=num_cands - 1)
        at_q = quality[order[(first + q - 1).clamp(min=0, max=num_cands - 1)]]
        ok &= ~((counts > q) & (quality[order[nxt]] == at_q))
    rows_ok = ok.nonzero().flatten()
    slots = first[rows_ok, None] + torch.arange(q, device=device)
    picks[rows_ok] = order[slots]
    rest = (~ok).nonzero().flatten()
    if rest.numel():
        row_of = torch.full((num_gts, ), -1, dtype=torch.long, device=device)
        chunk = max(1, max_chunk_pairs // max(num_cands, 1))
        cols = torch.arange(num_cands, device=device)
        for start in range(0, rest.numel(), chunk):
            r = rest[start:start + chunk]
            row_of[r] = torch.arange(r.numel(), device=device)
            rows = quality.new_full((r.numel(), num_cands), PAD_QUALITY)
            mine = row_of[cand_gt] >= 0
            rows[row_of[cand_gt][mine], cols[mine]] = quality[mine]
            picks[r] = rows.topk(q, dim=1, largest=True, sorted=True).indices
            row_of[r] = -1
    return picks
