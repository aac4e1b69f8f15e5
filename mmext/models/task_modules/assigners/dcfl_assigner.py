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
similarity matrix, but the matrix is not built; the search (``'window'``, ``'quadratic'``,
``'dense'``) is :class:`~mmext.models.task_modules.assigners.gaussian_topk.GaussianTopK`.
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

from .gaussian_topk import SEARCHES as _SEARCHES
from .gaussian_topk import GaussianTopK
from mmext.structures.gaussian import (gaussian_similarity, gjsd, gwd, kld,
                                       rbox_to_gaussian)

_GAUSSIAN_MEASURES = ('gjsd', 'kld', 'gwd')
_MEASURES = _GAUSSIAN_MEASURES + ('iou', )
_CLS_MODES = ('gt_class', 'max')


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
        self.shortlist_margin = self.topk if shortlist_margin is None else int(shortlist_margin)
        self.max_shape_groups = int(max_shape_groups)
        self.topk_search = GaussianTopK(
            self.similarity, None if measure == 'iou' else self._divergence,
            neg_sim_thr=self.neg_sim_thr, search=search, max_chunk_pairs=self.max_chunk_pairs,
            shortlist_margin=self.shortlist_margin, max_shape_groups=self.max_shape_groups)

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

    def rank_candidates(self, gts: Tensor, priors: Tensor,
                        blocked: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """CPS: the top-K priors of every ground truth across all levels (exact; the search is
        :class:`GaussianTopK`). Returns ``cand_idx`` ``[G, K]`` (ascending prior index),
        ``cand_sim`` ``[G, K]`` and each prior's best similarity ``max_sim`` ``[A]``."""
        return self.topk_search(gts, priors, self.topk, blocked)

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
