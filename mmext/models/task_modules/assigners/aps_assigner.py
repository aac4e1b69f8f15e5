"""Aligned points sampler (APS) of MMMC (arXiv 2112.08902, Sec. 3.2)."""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.models.task_modules.assigners import AssignResult, BaseAssigner
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.utils import ConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from ...utils.batched_gmm import batched_gmm_1d

INF = 1e8


@TASK_UTILS.register_module()
class APSAssigner(BaseAssigner):
    """Assign points to ground truths by their own classification and regression losses.

    The aligned points sampler of MMMC (arXiv 2112.08902, Sec. 3.2). For every ground truth
    (all of an image's ground truths at once, no loop over them):

    1. **Candidates** (Eqs. 4-5). Points strictly inside the gt box, on every FPN level. Each
       (point, gt) pair costs ``L_cls + L_reg``: ``L_cls`` is the classification loss of the point
       summed over classes for a one-hot target of the gt's class, ``L_reg`` the box loss of the
       point's decoded prediction against the gt box. On each level the ``N_l`` cheapest points are
       kept: ``N_l = min(K, count)`` (``candidate_count='min'``, what the text "limited within K"
       and the official code do) or all in-box points (``'max'``, Eq. 4 as printed,
       ``max(K, count)``).
    2. **Scale** (Eq. 6). The ``num_levels`` (2) levels with the lowest mean loss over their
       candidates are kept. The mean is of ``L_cls + L_reg`` (``scale_standard='comb'``), of
       ``L_cls`` (``'cls'``) or of ``L_reg`` (``'reg'``), the three standards of Table 1. With
       ``use_scale=False`` (Table 6, "spatial only") the learnt scale step is replaced by FCOS's
       rigid one: a point is a candidate only if its largest distance to the gt box sides lies in
       its level's ``regress_ranges``; candidates of all levels are kept.
    3. **Spatial** (Eqs. 7-10). Every candidate ``j`` of the kept levels gets a score ``S``:

       * ``score='paper'`` (default): ``S_f = softmax(L_cls)_j + softmax(L_reg)_j`` over the gt's
         candidates (Eq. 7), ``S_m = 1 / (1 + exp|L_cls - L_reg|)`` (Eq. 8), ``S = sqrt(S_f S_m)``
         (Eq. 9). Note that Eq. 8 decreases as the loss gap grows, so with positives taken from the
         low-score component it favours large gaps; the official code's factor grows with the gap.
       * ``score='official'`` (HaoGood/MOD ``loss.py``): ``S = sqrt(sigmoid|L_cls - L_reg| *
         (L_cls + L_reg))`` when two levels are kept, plain ``L_cls + L_reg`` when only one level
         has candidates.

       A two-component 1-D Gaussian mixture is fitted to each gt's ``gmm_scale * S`` (batched EM,
       :func:`~mmext.models.utils.batched_gmm_1d`, initialised as the official code does: means at
       the min and max score, weights 0.5, precisions ``gmm_precision_init``). The component
       initialised at the minimum holds the positives (``separation='component'``, Eq. 10). With
       ``separation='official'`` only those of its points whose score is at most the score of its
       highest-likelihood point are kept (the official code, after PAA). A gt with a single
       candidate takes it as its positive. With ``use_spatial=False`` (Table 6, "scale only") all
       candidates of the kept levels are positives.

    Every other point is negative (there is no ignore region). A point chosen by several gts goes to
    the smallest one (the official code processes gts by increasing area and, on such a clash,
    drops the later gt's positives altogether; here only the shared points move). A gt with no point
    inside its box gets no positive. ``max_gts_per_point=2`` reproduces the official restriction of
    each point's candidacy to its two smallest enclosing gts (the paper has no such limit).

    The losses come from the caller's loss modules (``loss_cls`` and ``loss_bbox`` of
    :meth:`assign`, e.g. the head's own ``FocalLoss`` and ``GIoULoss``, called with
    ``reduction_override='none'``); without them the assigner builds ``cls_cost`` and ``reg_cost``.
    The classification loss must be element-wise over classes (sigmoid focal loss, BCE): the cost
    of a point for class ``c`` is then ``sum_k l(x_k, 0) + l(x_c, 1) - l(x_c, 0)``, so the loss
    runs once over the candidate points' logits (all-negative targets) and twice over one logit
    per (point, gt) pair, instead of over all classes of every pair (:meth:`pair_costs`).

    Args:
        topk (int): ``K``, candidates per level. Defaults to 9.
        candidate_count (str): 'min' or 'max', see step 1. Defaults to 'min'.
        num_levels (int): FPN levels kept per gt. Defaults to 2.
        scale_standard (str): 'comb', 'cls' or 'reg', see step 2. Defaults to 'comb'.
        score (str): 'paper' or 'official', see step 3. Defaults to 'paper'.
        separation (str): 'component' or 'official', see step 3. Defaults to 'component'.
        use_scale (bool): the loss-driven scale step (Table 6). Defaults to True.
        use_spatial (bool): the score + GMM spatial step (Table 6). Defaults to True.
        regress_ranges (Sequence[Tuple[float, float]]): per-level ranges used when
            ``use_scale=False``. Defaults to FCOS's.
        max_gts_per_point (int, optional): see above. Defaults to None (no limit).
        gmm_scale (float): the scores are multiplied by it before the GMM (official: 10).
        gmm_precision_init (float): initial precision of both components (official: 0.1).
        gmm_max_iter (int), gmm_tol (float), gmm_reg_covar (float): EM settings (sklearn's
            defaults 100, 1e-3, 1e-6, as the official code uses them).
        cls_cost (dict): classification loss used when :meth:`assign` gets none.
        reg_cost (dict): box loss used when :meth:`assign` gets none.
    """

    def __init__(self,
                 topk: int = 9,
                 candidate_count: str = 'min',
                 num_levels: int = 2,
                 scale_standard: str = 'comb',
                 score: str = 'paper',
                 separation: str = 'component',
                 use_scale: bool = True,
                 use_spatial: bool = True,
                 regress_ranges: Sequence[Tuple[float, float]] = ((-1, 64), (64, 128),
                                                                  (128, 256), (256, 512),
                                                                  (512, INF)),
                 max_gts_per_point: Optional[int] = None,
                 gmm_scale: float = 10.0,
                 gmm_precision_init: float = 0.1,
                 gmm_max_iter: int = 100,
                 gmm_tol: float = 1e-3,
                 gmm_reg_covar: float = 1e-6,
                 cls_cost: ConfigType = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                     loss_weight=1.0),
                 reg_cost: ConfigType = dict(type='GIoULoss', loss_weight=1.0)) -> None:
        choices = dict(candidate_count=('min', 'max'), scale_standard=('comb', 'cls', 'reg'),
                       score=('paper', 'official'), separation=('component', 'official'))
        given = dict(candidate_count=candidate_count, scale_standard=scale_standard, score=score,
                     separation=separation)
        for name, value in given.items():
            if value not in choices[name]:
                raise ValueError(f'APSAssigner: {name}={value!r} is not one of {choices[name]}')
        if topk < 1 or num_levels < 1:
            raise ValueError(f'APSAssigner: topk ({topk}) and num_levels ({num_levels}) must be '
                             '>= 1')
        if max_gts_per_point is not None and max_gts_per_point < 1:
            raise ValueError(f'APSAssigner: max_gts_per_point={max_gts_per_point} must be >= 1 '
                             'or None')
        self.topk = topk
        self.candidate_count = candidate_count
        self.num_levels = num_levels
        self.scale_standard = scale_standard
        self.score = score
        self.separation = separation
        self.use_scale = use_scale
        self.use_spatial = use_spatial
        self.regress_ranges = [tuple(float(v) for v in r) for r in regress_ranges]
        self.max_gts_per_point = max_gts_per_point
        self.gmm_scale = gmm_scale
        self.gmm_precision_init = gmm_precision_init
        self.gmm_max_iter = gmm_max_iter
        self.gmm_tol = gmm_tol
        self.gmm_reg_covar = gmm_reg_covar
        self.cls_cost = MODELS.build(cls_cost)
        self.reg_cost = MODELS.build(reg_cost)

    # ------------------------------------------------------------------ costs
    @staticmethod
    def pair_costs(scores: Tensor,
                   pred_bboxes: Tensor,
                   gt_bboxes: Tensor,
                   gt_labels: Tensor,
                   point_inds: Tensor,
                   gt_inds: Tensor,
                   loss_cls: nn.Module,
                   loss_bbox: nn.Module,
                   block_elements: int = 1 << 17) -> Tuple[Tensor, Tensor]:
        """Per-pair losses ``(L_cls, L_reg)``, each (num_pairs,), for pairs (point, gt).

        ``L_cls`` is ``loss_cls`` summed over classes for a one-hot target of the gt's class and
        ``L_reg`` is ``loss_bbox`` between the point's predicted box and the gt box, both with
        ``reduction_override='none'``. ``L_cls`` is assembled from the all-negative loss of each
        candidate point (once per point, whatever its number of gts) and the loss of the one
        logit of the gt's class under a positive and a negative target. The all-negative loss
        runs on the CPU over blocks of about ``block_elements`` logits: the loss makes many
        element-wise passes, and a block that fits in the cache makes them cheaper than passes
        over all points; the values are those of a single call (on other devices it is one
        call).
        """
        if point_inds.numel() == 0:
            empty = scores.new_zeros((0, ))
            return empty, empty
        is_candidate = torch.zeros(scores.size(0), dtype=torch.bool, device=scores.device)
        is_candidate[point_inds] = True
        rows = (is_candidate.cumsum(0) - 1)[point_inds]
        logits = scores[is_candidate]
        if logits.device.type == 'cpu':
            block_rows = max(1, block_elements // max(1, logits.size(1)))
        else:  # accelerators: one call, as kernel launches cost more than memory traffic
            block_rows = max(1, logits.size(0))
        neg_sum = torch.cat([
            loss_cls(block, torch.zeros_like(block), reduction_override='none').sum(-1)
            for block in logits.split(block_rows)
        ])
        pair_logits = logits[rows, gt_labels[gt_inds]][:, None]
        pos = loss_cls(pair_logits, torch.ones_like(pair_logits), reduction_override='none')
        neg = loss_cls(pair_logits, torch.zeros_like(pair_logits), reduction_override='none')
        cls_costs = neg_sum[rows] + (pos - neg)[:, 0]
        reg_costs = loss_bbox(pred_bboxes[point_inds], gt_bboxes[gt_inds],
                              reduction_override='none')
        return cls_costs.float(), reg_costs.reshape(-1).float()

    # ------------------------------------------------------------------ assign
    @torch.no_grad()
    def assign(self,
               pred_instances: InstanceData,
               num_level_priors: List[int],
               gt_instances: InstanceData,
               gt_instances_ignore: Optional[InstanceData] = None,
               loss_cls: Optional[nn.Module] = None,
               loss_bbox: Optional[nn.Module] = None,
               **kwargs) -> AssignResult:
        """Assign every prior (point) to a gt or to the background.

        Args:
            pred_instances (InstanceData): of one image, with ``priors`` (P, 2) or (P, 4) points
                (x, y first), ``scores`` (P, C) classification logits and ``bboxes`` (P, 4) the
                decoded predicted boxes (x1, y1, x2, y2) in image coordinates. Levels are
                concatenated in order.
            num_level_priors (list[int]): number of points on each level, summing to P.
            gt_instances (InstanceData): ``bboxes`` (G, 4) and ``labels`` (G,).
            gt_instances_ignore: not supported (the paper has no ignore region); must be None or
                empty.
            loss_cls (nn.Module, optional): classification loss taking ``reduction_override``;
                defaults to ``cls_cost``.
            loss_bbox (nn.Module, optional): box loss taking ``reduction_override``; defaults to
                ``reg_cost``.

        Returns:
            AssignResult: ``gt_inds`` (P,) 1-based gt index, 0 for background; ``labels`` (P,)
            (-1 for background); ``max_overlaps`` (P,) zeros. Extra properties ``cls_costs`` and
            ``reg_costs`` (P,) hold each positive's ``L_cls`` and ``L_reg`` (0 for background).
        """
        if gt_instances_ignore is not None and len(gt_instances_ignore) > 0:
            raise ValueError('APSAssigner does not support ignored gts (the paper has no ignore '
                             'region); pass gt_instances_ignore=None')
        loss_cls = self.cls_cost if loss_cls is None else loss_cls
        if not getattr(loss_cls, 'use_sigmoid', True):
            raise ValueError(
                f'APSAssigner: the classification loss must be element-wise over classes (a '
                f'sigmoid loss such as FocalLoss); got {type(loss_cls).__name__} with '
                'use_sigmoid=False (set loss_cls.use_sigmoid=True)')
        loss_bbox = self.reg_cost if loss_bbox is None else loss_bbox
        points = pred_instances.priors[:, :2]
        scores = pred_instances.scores.detach()
        pred_bboxes = pred_instances.bboxes.detach()
        gt_bboxes = gt_instances.bboxes
        if hasattr(gt_bboxes, 'tensor'):  # mmdet HorizontalBoxes
            gt_bboxes = gt_bboxes.tensor
        gt_labels = gt_instances.labels
        num_points, num_gts = points.size(0), gt_bboxes.size(0)
        if sum(num_level_priors) != num_points:
            raise ValueError(f'APSAssigner: num_level_priors {list(num_level_priors)} sum to '
                             f'{sum(num_level_priors)} but there are {num_points} priors')
        num_levels = len(num_level_priors)
        if not self.use_scale and len(self.regress_ranges) != num_levels:
            raise ValueError(f'APSAssigner: use_scale=False needs one regress range per level; '
                             f'got {len(self.regress_ranges)} ranges for {num_levels} levels')

        device = points.device
        assigned = torch.zeros(num_points, dtype=torch.long, device=device)
        zeros = points.new_zeros((num_points, ))
        if num_gts == 0 or num_points == 0:
            result = AssignResult(num_gts, assigned, zeros, labels=assigned.new_full(
                (num_points, ), -1))
            result.set_extra_property('cls_costs', zeros.clone())
            result.set_extra_property('reg_costs', zeros.clone())
            return result

        # ---- step 1: in-box (point, gt) pairs and their losses
        xs, ys = points[:, 0:1], points[:, 1:2]
        inside = ((xs > gt_bboxes[:, 0]) & (xs < gt_bboxes[:, 2]) & (ys > gt_bboxes[:, 1]) &
                  (ys < gt_bboxes[:, 3]))  # (P, G)
        if not self.use_scale:
            level_sizes = torch.tensor(list(num_level_priors), device=device)
            point_level = torch.repeat_interleave(
                torch.arange(num_levels, device=device), level_sizes)
            ranges = points.new_tensor(self.regress_ranges)[point_level]  # (P, 2)
            max_dist = torch.stack((xs - gt_bboxes[:, 0], ys - gt_bboxes[:, 1],
                                    gt_bboxes[:, 2] - xs, gt_bboxes[:, 3] - ys),
                                   dim=-1).amax(-1)
            inside &= (max_dist >= ranges[:, 0:1]) & (max_dist <= ranges[:, 1:2])
        areas = (gt_bboxes[:, 2] - gt_bboxes[:, 0]) * (gt_bboxes[:, 3] - gt_bboxes[:, 1])
        if self.max_gts_per_point is not None and num_gts > self.max_gts_per_point:
            by_area = torch.where(inside, areas[None], areas.new_tensor(math.inf))
            rank = by_area.argsort(dim=1).argsort(dim=1)
            inside &= rank < self.max_gts_per_point
        pair_p, pair_g = inside.nonzero(as_tuple=True)
        pair_cls, pair_reg = self.pair_costs(scores, pred_bboxes, gt_bboxes, gt_labels, pair_p,
                                             pair_g, loss_cls, loss_bbox)
        # (G, P) cost of every in-box pair (inf elsewhere) and the pair it belongs to
        cost_dense = points.new_full((num_gts, num_points), math.inf)
        cost_dense[pair_g, pair_p] = pair_cls + pair_reg
        pair_keys = pair_p * num_gts + pair_g  # ascending: nonzero() is row-major

        # ---- step 1 (cont.): the N_l cheapest in-box points of every level
        if self.candidate_count == 'min':
            per_level_k = [min(self.topk, n) for n in num_level_priors]
        else:
            counts = torch.stack([c.sum(0) for c in inside.split(list(num_level_priors), 0)])
            per_level_k = [max(int(c.max()), 1) for c in counts]
        k_max = max(per_level_k)
        cand_idx = points.new_zeros((num_gts, num_levels, k_max), dtype=torch.long)
        cand_cost = points.new_full((num_gts, num_levels, k_max), math.inf)
        start = 0
        for lvl, (n, k) in enumerate(zip(num_level_priors, per_level_k)):  # over levels only
            if n > 0:
                vals, idx = cost_dense[:, start:start + n].topk(k, dim=1, largest=False)
                cand_cost[:, lvl, :k] = vals
                cand_idx[:, lvl, :k] = idx + start
            start += n
        valid = torch.isfinite(cand_cost)
        gt_rows = torch.arange(num_gts, device=device)[:, None, None]
        cand_pair = torch.searchsorted(pair_keys, cand_idx * num_gts + gt_rows)
        cand_pair = torch.where(valid, cand_pair, torch.zeros_like(cand_pair))
        cand_cls = torch.where(valid, pair_cls[cand_pair], torch.zeros_like(cand_cost))
        cand_reg = torch.where(valid, pair_reg[cand_pair], torch.zeros_like(cand_cost))

        # ---- step 2: scale (Eq. 6)
        level_count = valid.sum(-1)
        standard = dict(comb=cand_cls + cand_reg, cls=cand_cls, reg=cand_reg)[self.scale_standard]
        level_mean = (standard * valid).sum(-1) / level_count.clamp(min=1)
        level_mean = torch.where(level_count > 0, level_mean, torch.full_like(level_mean,
                                                                              math.inf))
        if self.use_scale:
            keep = min(self.num_levels, num_levels)
            kept_mean, kept_level = level_mean.topk(keep, dim=1, largest=False)
            gather = kept_level[..., None].expand(-1, -1, k_max)
            cand_pair = cand_pair.gather(1, gather)
            cand_cls = cand_cls.gather(1, gather)
            cand_reg = cand_reg.gather(1, gather)
            valid = valid.gather(1, gather) & torch.isfinite(kept_mean)[..., None]
            levels_used = torch.isfinite(kept_mean).sum(1)
        else:
            levels_used = (level_count > 0).sum(1)
        cand_pair = cand_pair.flatten(1)
        cand_cls = cand_cls.flatten(1)
        cand_reg = cand_reg.flatten(1)
        valid = valid.flatten(1)

        # ---- step 3: spatial (Eqs. 7-10)
        if self.use_spatial:
            cand_score = self.candidate_scores(cand_cls, cand_reg, valid, levels_used)
            pos = self.split_positives(cand_score, valid)
        else:
            pos = valid

        # ---- positives -> per-point assignment; a shared point goes to the smallest gt
        # (ties in area: the lower gt index)
        pos_pair = cand_pair[pos]
        pos_p, pos_g = pair_p[pos_pair], pair_g[pos_pair]
        pos_area = areas[pos_g].to(points.dtype)
        best_area = points.new_full((num_points, ), math.inf).scatter_reduce(
            0, pos_p, pos_area, reduce='amin')
        smallest = pos_area == best_area[pos_p]
        best_gt = torch.full((num_points, ), num_gts, dtype=torch.long, device=device)
        best_gt = best_gt.scatter_reduce(0, pos_p[smallest], pos_g[smallest], reduce='amin')
        is_pos = best_gt < num_gts
        assigned[is_pos] = best_gt[is_pos] + 1
        labels = assigned.new_full((num_points, ), -1)
        labels[is_pos] = gt_labels[best_gt[is_pos]]
        won = pos_g == best_gt[pos_p]
        cls_costs = zeros.clone()
        reg_costs = zeros.clone()
        cls_costs[pos_p[won]] = pair_cls[pos_pair[won]]
        reg_costs[pos_p[won]] = pair_reg[pos_pair[won]]
        result = AssignResult(num_gts, assigned, zeros, labels=labels)
        result.set_extra_property('cls_costs', cls_costs)
        result.set_extra_property('reg_costs', reg_costs)
        return result

    def candidate_scores(self, cand_cls: Tensor, cand_reg: Tensor, valid: Tensor,
                         levels_used: Tensor) -> Tensor:
        """Score ``S`` (G, M) of each gt's candidates (lower is better); 0 at padding.

        ``score='paper'``: Eqs. 7-9. ``score='official'``: see the class docstring.
        """
        gap = (cand_cls - cand_reg).abs()
        if self.score == 'paper':
            neg_inf = torch.full_like(cand_cls, -math.inf)
            any_valid = valid.any(1, keepdim=True)
            soft_cls = torch.where(valid, cand_cls, neg_inf).softmax(1)
            soft_reg = torch.where(valid, cand_reg, neg_inf).softmax(1)
            s_f = torch.where(any_valid, soft_cls + soft_reg, torch.zeros_like(soft_cls))
            s_m = torch.sigmoid(-gap)  # 1 / (1 + exp|L_cls - L_reg|), Eq. 8
            score = (s_f * s_m).sqrt()
        else:
            score = (torch.sigmoid(gap) * (cand_cls + cand_reg)).sqrt()
            score = torch.where(levels_used[:, None] >= 2, score, cand_cls + cand_reg)
        return torch.where(valid, score, torch.zeros_like(score))

    def split_positives(self, cand_score: Tensor, valid: Tensor) -> Tensor:
        """Positives (G, M) bool among each gt's candidates, by a 2-component GMM on the score."""
        num_valid = valid.sum(1)
        pos = torch.zeros_like(valid)
        single = num_valid == 1
        pos[single] = valid[single]
        rows = num_valid >= 2
        if not bool(rows.any()):
            return pos
        scores = cand_score[rows]
        row_valid = valid[rows]
        fit = batched_gmm_1d(
            scores * self.gmm_scale,
            row_valid,
            precisions_init=self.gmm_precision_init,
            max_iter=self.gmm_max_iter,
            tol=self.gmm_tol,
            reg_covar=self.gmm_reg_covar)
        fg = (fit.labels == 0) & row_valid
        if self.separation == 'official':
            fg_ll = torch.where(fg, fit.log_likelihood, torch.full_like(fit.log_likelihood,
                                                                        -math.inf))
            peak = fg_ll.argmax(dim=1, keepdim=True)
            threshold = scores.gather(1, peak)
            fg = fg & (scores <= threshold)
        pos[rows] = fg
        return pos
