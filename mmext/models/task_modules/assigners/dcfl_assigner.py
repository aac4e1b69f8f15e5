"""DCFL's coarse-to-fine label assigner, ``M_d(M_s(P̃, GT), G̃T)`` (Xu et al., CVPR 2023).

The three stages, for every ground truth ``g`` (all ground truths and priors at once):

1. **Coarse prior matching, CPS** (Sec. 3.2 of the paper, Eq. 6): a similarity between ``g`` and
   every prior (``'gjsd'``, ``'kld'``, ``'gwd'``: ``mmext.structures.gaussian.gaussian_similarity``
   of the box Gaussians, official form ``1/(1+d)``; or ``'iou'``: rotated IoU), ranked across all
   FPN levels at once. The ``topk`` (K) best priors are ``g``'s coarse candidates. A prior that is no
   ground truth's candidate is negative when its best similarity is below ``neg_sim_thr``
   (official: 0.8) and ignored otherwise.
2. **Posterior re-ranking, MPS** (Sec. 3.3, Eq. 7, ``PT_i = ½ Cls(D_i) + ½ IoU(D_i, gt_i)``): each
   candidate's predicted box (``pred_instances.bboxes``) gets its rotated IoU with ``g`` and its
   classification score (``pred_instances.scores``, probabilities): by default the score of
   ``g``'s class as the paper writes; ``cls_score_mode='max'`` uses the best class score like
   the official code. The ``topq`` (Q) candidates with the highest PT are ``g``'s medium
   positives; the other candidates become negative.
3. **DGMM constraint, FPS** (Sec. 3.3, Eq. 8): two Gaussians with ``g``'s covariance Σ_g, one at the
   geometry centre μ_g, one at the semantic centre (the mean centre of ``g``'s Q medium
   positives), mixed with ``dgmm_weights`` (official 0.7 / 0.3) and scaled to peak 1:
   ``DGMM(s) = Σ_m w_m · exp(-½ (s-μ_m)ᵀ Σ_g⁻¹ (s-μ_m))``. A medium positive at prior centre
   ``s`` whose score is below ``exp(-gauss_thr)`` (g, paper 0.8) becomes negative.

By default (the paper's reading) a prior that ends up positive for several ground truths goes to
the one with the highest PT (ties: the lower ground-truth index). Every ground truth selects
exactly ``min(K, #priors)`` candidates and ``min(Q, K)`` medium positives; ties in a ranking go to
the lower prior index.

Equations are numbered in the order the paper text prints them (it numbers none): (6) GJSD,
(7) ``PT_i = ½ Cls(D_i) + ½ IoU(D_i, gt_i)``, (8) ``DGMM_i(s) = Σ_m w_{i,m} √(2π|Σ_{i,m}|)
N_{i,m}``.
The paper writes the DGMM normaliser as ``√(2π|Σ|)``; read literally in 2-D that caps the score at
``1/√(2π) ≈ 0.40 < e^{-0.8}`` and would remove every positive, so both modes scale each Gaussian
to peak 1 like the released code.

**``official=True``** reproduces ``C2FAssigner.assign`` of the released code (Chasel-Tsui/
mmrotate-dcfl, ``mmrotate/core/bbox/assigners/coarse2fine_assigner.py``) as a whole; per stage
(the paper's reading first, the released one second):

- CPS: exactly K per gt (ties: the lower prior index), a prior may be a candidate of several
  gts | every prior whose similarity *equals* one of the gt's K best values (ties at the K-th
  value give more than K), and a prior chosen by several gts belongs to the *last* in gt order
  (the released loop overwrites).
- MPS: PT of Eq. 7 with the gt class's score | ``IoU(prediction, gt it holds) + sigmoid(max
  logit)`` (the same ranking as ½/½ with the best class); the top-Q over the shared candidate
  list: a gt with fewer than Q candidates of its own (it lost them to later gts) is padded with
  other gts' candidates, which become positive again for *their* gt and enter *its* semantic
  centre; every other candidate is negative.
- negatives: no candidate and best similarity below 0.8 (both; official ``0 <= max_sim``).
- DGMM: 0.7 / 0.3 at threshold ``exp(-g)`` (both); a positive is tested against the gt it holds;
  in the released code an *ignored* prior (-1) is tested against gt 0 (``(gt_ind - 1).clamp(0)``)
  and becomes negative outside gt 0's DGMM; ignore regions (``ignore_iof_thr > 0``) are -1
  before that test, so they follow the same rule; with no gt every prior is negative.
- conflicts: the highest PT (then the lower gt index) | none left (each candidate has one gt).
- ``max_overlaps``: the similarity with the assigned gt | each prior's best similarity.

The reference :func:`mmext.testing.dcfl_reference.c2f_reference_assign` is a literal (slow) port
of the released loops; the official steps here are closed forms of those loops
(:mod:`~mmext.models.task_modules.assigners.dcfl_official`), with no loop over gts or priors.

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

from .dcfl_official import (last_gt_owner, shared_list_topq,
                            value_equality_candidates)
from .gaussian_topk import SEARCHES as _SEARCHES
from .gaussian_topk import GaussianTopK
from mmext.structures.gaussian import (gaussian_similarity, gjsd, gwd, kld,
                                       rbox_to_gaussian)

_GAUSSIAN_MEASURES = ('gjsd', 'kld', 'gwd')
_MEASURES = _GAUSSIAN_MEASURES + ('iou', )
_CLS_MODES = ('gt_class', 'max')
# what official=True fixes: (argument, default, released value)
_OFFICIAL = (('cls_score_mode', 'gt_class', 'max'), ('pt_cls_weight', 0.5, 0.5),
             ('neg_sim_thr', 0.8, 0.8), ('dgmm_weights', (0.7, 0.3), (0.7, 0.3)))


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
        official (bool): reproduce the released ``C2FAssigner`` as a whole (default False: the
            paper's reading). It sets:

            - PT = ``IoU(prediction, gt) + sigmoid(max logit)`` (``cls_score_mode='max'``,
              ½/½ weights: the same ranking);
            - CPS by value equality with each gt's K best similarities: a tie at the K-th value
              gives that gt *more than K* candidates;
            - a prior chosen by several gts belongs to the last of them in gt order (the
              released loop overwrites earlier gts), so a gt can keep fewer than K;
            - the top-Q over the shared candidate list: a gt with fewer than Q candidates of its
              own takes others' (``torch.topk`` over the released -100-filled rows), which turn
              positive again for their own gt and count in its semantic centre;
            - negatives: not a candidate and ``0 <= max_sim < 0.8``; the rest ignored (-1);
            - DGMM weights 0.7 / 0.3, threshold ``exp(-gauss_thr)`` (float32 like the released
              code), a positive tested against its own gt, an ignored prior (ignore regions
              included) against gt 0 (negative outside it); with no gt all priors negative;
            - ``max_overlaps``: each prior's best similarity.

            ``cls_score_mode``, ``pt_cls_weight``, ``neg_sim_thr`` and ``dgmm_weights`` must be
            left at their defaults (or set to the released values); ``topk``, ``topq``,
            ``gauss_thr`` (released configs: 0.6), ``measure`` (released: ``'gjsd'``), ``dgmm``,
            ``ignore_iof_thr`` and the search options apply as usual.
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
                 max_shape_groups: int = 64,
                 official: bool = False) -> None:
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
        self.official = bool(official)
        if self.official:
            given = dict(cls_score_mode=cls_score_mode, pt_cls_weight=pt_cls_weight,
                         neg_sim_thr=neg_sim_thr, dgmm_weights=tuple(dgmm_weights))
            for name, default, released in _OFFICIAL:
                if given[name] not in (default, released):
                    raise ValueError(f'DCFLAssigner: official=True uses {name}={released!r}; '
                                     f'got {name}={given[name]!r}')
            cls_score_mode, pt_cls_weight, neg_sim_thr, dgmm_weights = (
                released for _, _, released in _OFFICIAL)
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
        0 for priors the window search shows to be below ``neg_sim_thr`` for every ground truth;
        ``official=True``: the best similarity for every prior) and ``labels`` the class of the
        assigned ground truth (``-1`` otherwise).
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
            if blocked is not None and not self.official:  # released: every prior negative
                assigned[blocked] = -1
            return AssignResult(num_gts, assigned, overlaps, labels=labels)

        with torch.no_grad():
            gt_inds, max_sim, pos_sim = self._assign(priors, pred_bboxes.detach(),
                                                     scores.detach(), gt_bboxes, gt_labels,
                                                     blocked)
        pos = gt_inds > 0
        overlaps = max_sim.clamp(min=0)
        if not self.official:
            overlaps = torch.where(pos, pos_sim, overlaps)
        labels[pos] = gt_labels[gt_inds[pos] - 1]
        return AssignResult(num_gts, gt_inds, overlaps, labels=labels)

    def _assign(self, priors: Tensor, pred_bboxes: Tensor, scores: Tensor, gts: Tensor,
                gt_labels: Tensor, blocked: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """The three stages on a flat candidate list ``(cand_gt, cand_prior)``: paper and
        official branches side by side. Returns ``gt_inds``, ``max_sim`` and ``pos_sim``."""
        num_gts, num_priors = gts.shape[0], priors.shape[0]
        device = priors.device
        gt_ar = torch.arange(num_gts, device=device)

        # 1. CPS (Eq. 6): coarse candidates across all levels
        if self.official:  # value equality (ties: more than K); a later gt overwrites
            pair_gt, pair_prior, max_sim = value_equality_candidates(
                self.topk_search, gts, priors, self.topk, blocked, self.max_chunk_pairs)
            owner = last_gt_owner(pair_gt, pair_prior, num_priors)
            cand_prior = (owner >= 0).nonzero().flatten()  # the shared list, by prior index
            cand_gt = owner[cand_prior]
        else:  # exactly K per gt; a prior may be a candidate of several gts
            cand_idx, cand_sim, max_sim = self.rank_candidates(gts, priors, blocked)
            k = cand_idx.shape[1]
            cand_prior, cand_gt = cand_idx.reshape(-1), gt_ar.repeat_interleave(k)
        gt_inds = torch.full((num_priors, ), -1, dtype=torch.long, device=device)
        negative = max_sim < self.neg_sim_thr
        if self.official and blocked is not None:  # released: ignore regions stay -1
            negative &= ~blocked
        gt_inds[negative] = 0
        gt_inds[cand_prior] = 0  # candidates that do not become medium positives

        # 2. MPS (Eq. 7): PT of every candidate, the Q best per gt
        pt = self.posterior_quality(pred_bboxes[cand_prior], scores[cand_prior], gts[cand_gt],
                                    gt_labels[cand_gt])
        if self.official:  # top-Q rows of the shared list: a gt short of Q takes others'
            q = min(self.topq, cand_prior.shape[0])
            mps = shared_list_topq(cand_gt, pt, num_gts, q, self.max_chunk_pairs)  # [G, q]
        else:
            q = min(self.topq, k)
            top = torch.sort(pt.reshape(num_gts, k), dim=1, descending=True,
                             stable=True).indices[:, :q]
            mps = top + gt_ar[:, None] * k  # [G, q] positions in the flat list
        mps_prior = cand_prior[mps]
        semantic = priors[:, :2].double()[mps_prior].mean(dim=1)  # [G, 2]

        # 3. DGMM (Eq. 8) on the medium positives, then the final labels
        if self.official:  # each medium positive for the gt it holds; ignored ones vs gt 0
            pos_prior = torch.unique(mps_prior)
            pos_gt = cand_gt[torch.searchsorted(cand_prior, pos_prior)]
            if self.dgmm:
                thr = float(torch.exp(torch.tensor([-self.gauss_thr])))  # released: float32
                keep = self.dgmm_score_at(gts, semantic, pos_gt, priors[pos_prior, :2]) >= thr
                pos_prior, pos_gt = pos_prior[keep], pos_gt[keep]
                ignored = (gt_inds == -1).nonzero().flatten()
                inside = self.dgmm_score_at(gts, semantic, torch.zeros_like(ignored),
                                            priors[ignored, :2]) >= thr
                gt_inds[ignored[~inside]] = 0
            gt_inds[pos_prior] = pos_gt + 1
            return gt_inds, max_sim, max_sim
        keep = torch.ones(mps.shape, dtype=torch.bool, device=device)
        if self.dgmm:
            keep = self.dgmm_score_at(gts, semantic, gt_ar[:, None].expand_as(mps),
                                      priors[mps_prior, :2]) >= math.exp(-self.gauss_thr)
        # conflicts: the highest PT, then the lower gt index
        pos_prior = mps_prior[keep]
        pos_gt = gt_ar[:, None].expand_as(mps)[keep]
        pos_pt = pt[mps][keep]
        best_pt = torch.full((num_priors, ), -math.inf, dtype=pt.dtype, device=device)
        best_pt.scatter_reduce_(0, pos_prior, pos_pt, reduce='amax')
        win = pos_pt == best_pt[pos_prior]
        best_gt = torch.full((num_priors, ), num_gts, dtype=torch.long, device=device)
        best_gt.scatter_reduce_(0, pos_prior[win], pos_gt[win], reduce='amin')
        is_pos = best_gt < num_gts
        gt_inds[is_pos] = best_gt[is_pos] + 1
        pos_sim = max_sim.new_zeros(num_priors)
        chosen = win & (pos_gt == best_gt[pos_prior])
        pos_sim[pos_prior[chosen]] = cand_sim.reshape(-1)[mps][keep][chosen].to(pos_sim.dtype)
        if blocked is not None:
            gt_inds[blocked] = -1
        return gt_inds, max_sim, pos_sim

    def posterior_quality(self, pred_bboxes: Tensor, scores: Tensor, gts: Tensor,
                          gt_labels: Tensor) -> Tensor:
        """PT (Eq. 7) of candidate ``n`` ``[N]`` for the gt it is paired with: by default
        ``w·Cls + (1-w)·IoU(prediction, gt)``; official ``IoU(gt, prediction) + max score``
        (the released ``iou + sigmoid(max logit)``)."""
        scores = scores.to(gts.dtype)
        if self.official:
            iou = rbbox_overlaps(gts, pred_bboxes.to(gts.dtype), is_aligned=True)
            return iou.reshape(-1) + scores.max(dim=1).values
        iou = rbbox_overlaps(pred_bboxes.to(gts.dtype), gts, is_aligned=True).reshape(-1)
        if self.cls_score_mode == 'gt_class':
            cls = scores.gather(1, gt_labels.long().view(-1, 1))[:, 0]
        else:
            cls = scores.max(dim=1).values
        return self.pt_cls_weight * cls + (1 - self.pt_cls_weight) * iou

    def dgmm_score_at(self, gts: Tensor, semantic: Tensor, gt_index: Tensor,
                      points: Tensor) -> Tensor:
        """DGMM score (Eq. 8, each Gaussian scaled to peak 1; float64) of ``points``
        ``[..., 2]`` for the gts ``gt_index`` ``[...]``: ``Σ_m w_m exp(-½ (s-μ_m)ᵀ Σ_g⁻¹
        (s-μ_m))``, μ_1 the gt's centre, μ_2 its semantic centre ``semantic`` ``[G, 2]``."""
        mu, sigma = rbox_to_gaussian(gts.double())
        inv = torch.linalg.inv(sigma)[gt_index]  # [..., 2, 2]
        pts = points.double()
        w_geo, w_sem = self.dgmm_weights

        def gauss(centre):
            diff = pts - centre[gt_index]
            return torch.exp(-0.5 * torch.einsum('...i,...ij,...j->...', diff, inv, diff))

        return w_geo * gauss(mu) + w_sem * gauss(semantic.double())

    def dgmm_scores(self, gts: Tensor, prior_centres: Tensor, mps_idx: Tensor) -> Tensor:
        """DGMM score ``[G, Q]`` (float64) of each medium positive ``mps_idx`` ``[G, Q]`` at its
        prior centre, the semantic centre being the mean centre of the gt's Q medium positives
        (see :meth:`dgmm_score_at`)."""
        pts = prior_centres[mps_idx].double()  # [G, Q, 2]
        gt_index = torch.arange(gts.shape[0], device=gts.device)[:, None].expand_as(mps_idx)
        return self.dgmm_score_at(gts, pts.mean(dim=1), gt_index, pts)
