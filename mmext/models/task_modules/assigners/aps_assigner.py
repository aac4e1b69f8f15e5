"""Aligned points sampler (APS) of MMMC (arXiv 2112.08902, Sec. 3.2)."""
import math
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.models.task_modules.assigners import AssignResult, BaseAssigner
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.utils import ConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmext.structures import ltrb_giou
from ...utils.batched_gmm import batched_gmm_1d
from ...utils.negative_class_loss import negative_class_loss_sum

INF = 1e8


class PairCosts(NamedTuple):
    """The in-box (point, gt) pairs of one image and their losses; ``Q`` pairs.

    ``point`` and ``gt`` (Q,) long, ascending by ``point * G + gt``; ``level`` (Q,) long: the
    point's FPN level; ``cls`` and ``reg`` (Q,) float: ``L_cls`` and ``L_reg`` of each pair.
    """
    point: Tensor
    gt: Tensor
    level: Tensor
    cls: Tensor
    reg: Tensor


class Candidates(NamedTuple):
    """Candidates of ``R`` gts, ``M`` slots each (padding where ``valid`` is False).

    ``pair`` (R, M) long: index into the :class:`PairCosts` pairs; ``cls`` and ``reg`` (R, M):
    their losses (0 at padding); ``valid`` (R, M) bool; ``levels_used`` (R,) long: the number of
    levels the candidates come from.
    """
    pair: Tensor
    cls: Tensor
    reg: Tensor
    valid: Tensor
    levels_used: Tensor


@TASK_UTILS.register_module()
class APSAssigner(BaseAssigner):
    """Assign points to ground truths by their own classification and regression losses.

    The aligned points sampler of MMMC (arXiv 2112.08902, Sec. 3.2). All ground truths of an
    image are processed at once (no loop over them); :meth:`assign` runs the paper's steps, one
    method each:

    1. **In-box pairs and their losses** (:meth:`inbox_pairs`, :meth:`pair_costs`). The points
       strictly inside a gt box, on every FPN level, are its possible candidates. Each (point, gt)
       pair costs ``L_cls + L_reg``: ``L_cls`` is the classification loss of the point summed over
       classes for a one-hot target of the gt's class, ``L_reg`` the box loss of the point's
       decoded prediction against the gt box. ``max_gts_per_point=2`` restricts each point to
       its two smallest enclosing gts (the released code; the paper has no such limit).
    2. **Candidates per level** (Eqs. 4-5, :meth:`level_candidates`). On each level the ``N_l``
       cheapest in-box points: ``N_l = min(K, count)`` (``candidate_count='min'``, what the text
       "limited within K" and the released code do) or all in-box points (``'max'``, Eq. 4 as
       printed, ``max(K, count)``).
    3. **Scale** (Eq. 6, :meth:`select_levels`). The ``num_levels`` (2) levels with the lowest
       mean loss over their candidates are kept. The mean is of ``L_cls + L_reg``
       (``scale_standard='comb'``), of ``L_cls`` (``'cls'``) or of ``L_reg`` (``'reg'``), the
       three standards of Table 1. With ``use_scale=False`` (Table 6, "spatial only") the learnt
       scale step is replaced by FCOS's rigid one: a point is a candidate only if its largest
       distance to the gt box sides lies in its level's ``regress_ranges``; candidates of all
       levels are kept.
    4. **Score** (Eqs. 7-9, :meth:`candidate_scores`); lower is better. With ``S_f =
       softmax(L_cls)_j + softmax(L_reg)_j`` over the gt's candidates (Eq. 7), a cost:

       * ``score='paper'`` (default): ``S = sqrt(S_f * sigmoid|L_cls - L_reg|)``. The paper's
         Eq. 8 prints the gap factor as ``S_m = 1 / (1 + exp|L_cls - L_reg|)``, which *falls* as
         the gap grows: multiplied with the cost ``S_f`` and read "lower is better" it would
         prefer the candidates whose two losses disagree most, the opposite of the paper's aim
         (aligned points). The consistent reading takes the gap term as a cost too:
         ``1 - S_m = sigmoid|gap|``, the factor of the released code. This is the default.
       * ``score='printed'``: Eq. 8 as printed, ``S = sqrt(S_f * S_m)``.
       * ``score='official'`` (HaoGood/MOD ``loss.py``): ``S = sqrt(sigmoid|L_cls - L_reg| *
         (L_cls + L_reg))`` when two levels are kept, plain ``L_cls + L_reg`` when only one level
         has candidates (the released code computes the softmaxes and does not use them).
    5. **GMM split** (Eq. 10, :meth:`split_positives`). A two-component 1-D Gaussian mixture is
       fitted to each gt's ``gmm_scale * S`` (batched EM, :func:`~mmext.models.utils.
       batched_gmm_1d`, initialised as the released code does: means at the min and max score,
       weights 0.5, precisions ``gmm_precision_init``). The component initialised at the minimum
       holds the positives (``separation='component'``, Eq. 10). With ``separation='official'``
       only those of its points whose score is at most the score of its highest-likelihood point
       are kept (the released code, after PAA). A gt with a single candidate takes it as its
       positive. With ``use_spatial=False`` (Table 6, "scale only") all candidates of the kept
       levels are positives.
    6. **Shared points** (:meth:`resolve_shared_points`). ``shared_points='smallest'`` (default):
       every gt chooses its positives independently, and a point chosen by several gts goes to the
       smallest of them (ties: the lower gt index); the larger gt loses that point and gets no
       replacement. ``shared_points='exclude'`` (the released order): gts are processed by
       increasing area, and a point that is already positive for a smaller gt is removed from the
       larger gts' candidates *before* they choose theirs (so they can choose another point).
       It is run in rounds over all gts at once (:meth:`exclusion_rounds`): each round
       recomputes the gts whose excluded points changed, until none does (at most the nesting
       depth of the boxes + 1 rounds); the loop runs over rounds, not over the gts.

    Every other point is negative (there is no ignore region). A gt with no point inside its box
    (a box smaller than the stride between two points, a zero-area or an out-of-image box) gets no
    positive, and the image still trains.

    ``official=True`` reproduces the assignment of the released code (HaoGood/MOD,
    ``FCOSLossComputation._call_for_stats``) and sets, whatever the other arguments say:

    * ``score='official'``, ``separation='official'``, ``candidate_count='min'``;
    * ``max_gts_per_point=2`` and ``shared_points='exclude'``;
    * ``L_cls`` of a point's *second* gt is the loss of a two-hot target (the classes of both of
      its gts), as the released code builds it; the first gt's is one-hot;
    * ``L_reg = 1 - GIoU`` with the released ``+1`` smoothing of the IoU
      (:func:`~mmext.structures.ltrb_giou`) on the point's distances in stride units, instead of
      ``loss_bbox``; this needs the strides: ``pred_instances.priors`` (P, 4) as mmdet's
      ``MlvlPointGenerator(with_stride=True)`` gives them;
    * the GMM's threshold is compared on the scaled scores, as the released code does.

    ``mmext.testing.mod_reference`` is a literal port of the released assignment (loops, one
    sklearn fit per gt); the tests check that ``official=True`` gives the same assignments.

    The losses come from the caller's loss modules (``loss_cls`` and ``loss_bbox`` of
    :meth:`assign`, e.g. the head's own ``FocalLoss`` and ``GIoULoss``, called with
    ``reduction_override='none'``); without them the assigner builds ``cls_cost`` and ``reg_cost``.
    The classification loss must be element-wise over classes (sigmoid focal loss, BCE).

    Args:
        topk (int): ``K``, candidates per level. Defaults to 9.
        candidate_count (str): 'min' or 'max', see step 2. Defaults to 'min'.
        num_levels (int): FPN levels kept per gt. Defaults to 2.
        scale_standard (str): 'comb', 'cls' or 'reg', see step 3. Defaults to 'comb'.
        score (str): 'paper', 'printed' or 'official', see step 4. Defaults to 'paper'.
        separation (str): 'component' or 'official', see step 5. Defaults to 'component'.
        use_scale (bool): the loss-driven scale step (Table 6). Defaults to True.
        use_spatial (bool): the score + GMM spatial step (Table 6). Defaults to True.
        regress_ranges (Sequence[Tuple[float, float]]): per-level ranges used when
            ``use_scale=False``. Defaults to FCOS's.
        max_gts_per_point (int, optional): see step 1. Defaults to None (no limit).
        shared_points (str): 'smallest' or 'exclude', see step 6. Defaults to 'smallest'.
        official (bool): the released code's assignment, see above. Defaults to False.
        gmm_scale (float): the scores are multiplied by it before the GMM (released: 10).
        gmm_precision_init (float): initial precision of both components (released: 0.1).
        gmm_max_iter (int), gmm_tol (float), gmm_reg_covar (float): EM settings (sklearn's
            defaults 100, 1e-3, 1e-6, as the released code uses them).
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
                 shared_points: str = 'smallest',
                 official: bool = False,
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
                       score=('paper', 'printed', 'official'),
                       separation=('component', 'official'),
                       shared_points=('smallest', 'exclude'))
        given = dict(candidate_count=candidate_count, scale_standard=scale_standard, score=score,
                     separation=separation, shared_points=shared_points)
        for name, value in given.items():
            if value not in choices[name]:
                raise ValueError(f'APSAssigner: {name}={value!r} is not one of {choices[name]}')
        if topk < 1 or num_levels < 1:
            raise ValueError(f'APSAssigner: topk ({topk}) and num_levels ({num_levels}) must be '
                             '>= 1')
        if max_gts_per_point is not None and max_gts_per_point < 1:
            raise ValueError(f'APSAssigner: max_gts_per_point={max_gts_per_point} must be >= 1 '
                             'or None')
        if official:
            score, separation, candidate_count = 'official', 'official', 'min'
            max_gts_per_point, shared_points = 2, 'exclude'
        self.official = official
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
        self.shared_points = shared_points
        self.gmm_scale = gmm_scale
        self.gmm_precision_init = gmm_precision_init
        self.gmm_max_iter = gmm_max_iter
        self.gmm_tol = gmm_tol
        self.gmm_reg_covar = gmm_reg_covar
        self.cls_cost = MODELS.build(cls_cost)
        self.reg_cost = MODELS.build(reg_cost)

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
                (x, y first; with 4 columns the last two are the level's strides, needed by
                ``official=True``), ``scores`` (P, C) classification logits and ``bboxes`` (P, 4)
                the decoded predicted boxes (x1, y1, x2, y2) in image coordinates. Levels are
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
        loss_cls, loss_bbox = self._check_inputs(pred_instances, num_level_priors, gt_instances,
                                                 gt_instances_ignore, loss_cls, loss_bbox)
        priors = pred_instances.priors
        points = priors[:, :2]
        gt_bboxes = gt_instances.bboxes
        gt_bboxes = gt_bboxes.tensor if hasattr(gt_bboxes, 'tensor') else gt_bboxes
        gt_labels = gt_instances.labels
        num_points, num_gts = points.size(0), gt_bboxes.size(0)
        gt_bboxes = gt_bboxes.to(points.dtype)

        areas = self.gt_areas(gt_bboxes)
        inside = self.inbox_pairs(points, num_level_priors, gt_bboxes, areas)  # (P, G)
        if num_gts == 0 or num_points == 0 or not bool(inside.any()):
            return self._result(num_points, num_gts, gt_labels, points, None, None)
        costs = self.pair_costs_of(pred_instances, num_level_priors, gt_bboxes, gt_labels, areas,
                                   inside, loss_cls, loss_bbox)
        if self.shared_points == 'smallest':
            all_gts = torch.arange(num_gts, device=points.device)
            pos_pair = self.choose_positives(all_gts, costs.cls + costs.reg, costs,
                                             num_level_priors)
            pos_pair = self.resolve_shared_points(pos_pair, costs, areas, num_points)
        else:
            pos_pair = self.exclusion_rounds(costs, areas, num_level_priors, num_points)
        return self._result(num_points, num_gts, gt_labels, points, costs, pos_pair)

    def _check_inputs(self, pred_instances, num_level_priors, gt_instances, gt_instances_ignore,
                      loss_cls, loss_bbox) -> Tuple[nn.Module, nn.Module]:
        """Refuse what the assigner cannot use, naming the field; returns the two losses."""
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
        gt_bboxes = gt_instances.bboxes
        gt_bboxes = gt_bboxes.tensor if hasattr(gt_bboxes, 'tensor') else gt_bboxes
        fields = (('gt_instances.bboxes', gt_bboxes), ('pred_instances.priors',
                                                       pred_instances.priors),
                  ('pred_instances.bboxes', pred_instances.bboxes),
                  ('pred_instances.scores', pred_instances.scores))
        for name, value in fields:
            # one reduction pass, no mask: min and max are finite iff every value is (NaN
            # propagates through both)
            if value.numel() and not bool(torch.isfinite(torch.stack(torch.aminmax(value))).all()):
                bad = (~torch.isfinite(value)).nonzero()[0].tolist()
                raise ValueError(f'APSAssigner: {name} holds a NaN or inf value (first at index '
                                 f'{bad}); box coordinates and logits must be finite')
        num_points = pred_instances.priors.size(0)
        if sum(num_level_priors) != num_points:
            raise ValueError(f'APSAssigner: num_level_priors {list(num_level_priors)} sum to '
                             f'{sum(num_level_priors)} but there are {num_points} priors')
        if not self.use_scale and len(self.regress_ranges) != len(num_level_priors):
            raise ValueError(f'APSAssigner: use_scale=False needs one regress range per level; '
                             f'got {len(self.regress_ranges)} ranges for '
                             f'{len(num_level_priors)} levels')
        if self.official and pred_instances.priors.size(1) < 4:
            raise ValueError('APSAssigner(official=True) computes the released GIoU cost in '
                             'stride units: pred_instances.priors must be (P, 4) points with '
                             'strides (x, y, stride_w, stride_h), as '
                             'MlvlPointGenerator.grid_priors(with_stride=True) gives them; got '
                             f'shape {tuple(pred_instances.priors.shape)}')
        return loss_cls, loss_bbox

    # ------------------------------------------------------------------ step 1
    def gt_areas(self, gt_bboxes: Tensor) -> Tensor:
        """(G,) areas that order the gts (``max_gts_per_point``, step 6): ``w * h``; with
        ``official=True`` ``(w + 1) * (h + 1)``, the released code's ``BoxList.area``."""
        extra = 1.0 if self.official else 0.0
        return ((gt_bboxes[:, 2] - gt_bboxes[:, 0] + extra) *
                (gt_bboxes[:, 3] - gt_bboxes[:, 1] + extra))

    def inbox_pairs(self, points: Tensor, num_level_priors: Sequence[int], gt_bboxes: Tensor,
                    areas: Tensor) -> Tensor:
        """Step 1: which points may be candidates of which gt, (P, G) bool.

        A point strictly inside the gt box; with ``use_scale=False`` also with its largest
        distance to the box sides in its level's regress range; with ``max_gts_per_point`` only
        for that many of its smallest enclosing gts (ties: the lower index).

        Args:
            points (Tensor): (P, 2) x, y. num_level_priors: points per level.
            gt_bboxes (Tensor): (G, 4) x1, y1, x2, y2. areas (Tensor): (G,), :meth:`gt_areas`.
        """
        # computed as (G, P), points innermost (contiguous, vectorised), returned transposed
        xs, ys = points[:, 0], points[:, 1]
        x1, y1, x2, y2 = (gt_bboxes[:, i:i + 1] for i in range(4))
        inside = (xs > x1) & (xs < x2) & (ys > y1) & (ys < y2)  # (G, P)
        if not self.use_scale:
            level = self._point_levels(num_level_priors, points.device)
            ranges = points.new_tensor(self.regress_ranges)[level]  # (P, 2)
            max_dist = torch.maximum(torch.maximum(xs - x1, ys - y1), torch.maximum(x2 - xs,
                                                                                    y2 - ys))
            inside &= (max_dist >= ranges[:, 0]) & (max_dist <= ranges[:, 1])
        inside = inside.t()  # (P, G)
        if self.max_gts_per_point is not None and gt_bboxes.size(0) > self.max_gts_per_point:
            point, gt = inside.nonzero(as_tuple=True)
            rank = self._pair_area_ranks(point, gt, areas, inside.size(0), self.max_gts_per_point)
            drop = rank > self.max_gts_per_point
            inside[point[drop], gt[drop]] = False
        return inside

    @staticmethod
    def _area_order(areas: Tensor) -> Tensor:
        """(G,) long: each gt's position when the gts are sorted by area (ties: the lower index
        first), the order in which the released code processes them."""
        order = areas.argsort(stable=True)
        position = torch.empty_like(order)
        position[order] = torch.arange(order.numel(), device=order.device)
        return position

    @staticmethod
    def _pair_area_ranks(point: Tensor, gt: Tensor, areas: Tensor, num_points: int,
                         max_rank: int) -> Tensor:
        """(Q,) long: for pairs (point, gt), the 1-based rank of the gt by area among the gts
        enclosing the point (1 = smallest; area ties: the lower index), ``max_rank + 1`` for all
        ranks beyond ``max_rank``. One arg-min per rank over the pairs (``max_rank`` is 1-2),
        never a pass over (P, G)."""
        pos = APSAssigner._area_order(areas)[gt]  # unique per gt: one winner per point and rank
        rank = torch.full_like(gt, max_rank + 1)
        left = torch.ones_like(gt, dtype=torch.bool)
        for r in range(1, max_rank + 1):  # over ranks, not over gts
            best = torch.full((num_points, ), areas.numel(), dtype=torch.long, device=gt.device)
            best = best.scatter_reduce(0, point[left], pos[left], reduce='amin')
            hit = left & (pos == best[point])
            rank[hit] = r
            left &= ~hit
        return rank

    @staticmethod
    def _point_levels(num_level_priors: Sequence[int], device) -> Tensor:
        """(P,) FPN level of every point."""
        sizes = torch.tensor(list(num_level_priors), device=device)
        return torch.repeat_interleave(torch.arange(len(num_level_priors), device=device), sizes)

    def pair_costs_of(self, pred_instances: InstanceData, num_level_priors: Sequence[int],
                      gt_bboxes: Tensor, gt_labels: Tensor, areas: Tensor, inside: Tensor,
                      loss_cls: nn.Module, loss_bbox: nn.Module) -> PairCosts:
        """Step 1 (cont.): ``L_cls`` and ``L_reg`` of every in-box pair (``inside`` (P, G)).

        ``official=True``: the second gt of a point gets the two-hot classification cost and
        ``L_reg`` is the released smoothed GIoU cost (see the class docstring).
        """
        priors = pred_instances.priors
        scores = pred_instances.scores.detach()
        pred_bboxes = pred_instances.bboxes.detach()
        num_points, num_gts = inside.shape
        pair_p, pair_g = inside.nonzero(as_tuple=True)  # ascending p * G + g (row-major)
        extra = None
        if self.official:
            # the released code's target of a point's second gt is two-hot: both gts' classes
            pair_rank = self._pair_area_ranks(pair_p, pair_g, areas, num_points, 2)
            first_gt = torch.full((num_points, ), num_gts, dtype=torch.long, device=priors.device)
            first_gt[pair_p[pair_rank == 1]] = pair_g[pair_rank == 1]
            first_label = gt_labels[first_gt[pair_p].clamp(max=num_gts - 1)]
            extra = torch.where(pair_rank == 2, first_label, torch.full_like(first_label, -1))
        cls_costs, reg_costs = self.pair_costs(scores, pred_bboxes, gt_bboxes, gt_labels, pair_p,
                                               pair_g, loss_cls, loss_bbox, extra_labels=extra)
        if self.official:
            reg_costs = self.released_reg_costs(priors, pred_bboxes, gt_bboxes, pair_p, pair_g)
        level = self._point_levels(num_level_priors, priors.device)[pair_p]
        return PairCosts(pair_p, pair_g, level, cls_costs, reg_costs)

    @staticmethod
    def pair_costs(scores: Tensor,
                   pred_bboxes: Tensor,
                   gt_bboxes: Tensor,
                   gt_labels: Tensor,
                   point_inds: Tensor,
                   gt_inds: Tensor,
                   loss_cls: nn.Module,
                   loss_bbox: nn.Module,
                   block_elements: int = 1 << 17,
                   extra_labels: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Per-pair losses ``(L_cls, L_reg)``, each (num_pairs,), for pairs (point, gt).

        ``L_cls`` is ``loss_cls`` summed over classes for a one-hot target of the gt's class (a
        two-hot one where ``extra_labels`` (num_pairs,) names a second class, -1 for none) and
        ``L_reg`` is ``loss_bbox`` between the point's predicted box and the gt box, both with
        ``reduction_override='none'``. As the loss is element-wise over classes, the cost of a
        point for class ``c`` is ``sum_k l(x_k, 0) + l(x_c, 1) - l(x_c, 0)``: ``L_cls`` is
        assembled from the all-negative loss of each candidate point (once per point, whatever
        its number of gts) and the loss of the one logit of the gt's class under a positive and a
        negative target, instead of the loss over all classes of every pair. The all-negative
        loss comes from :func:`~mmext.models.utils.negative_class_loss_sum` (a closed form for
        mmdet's ``FocalLoss``, else the module over blocks of about ``block_elements`` logits),
        with the values of a single call of ``loss_cls``.
        """
        if point_inds.numel() == 0:
            empty = scores.new_zeros((0, ), dtype=torch.float32)
            return empty, empty.clone()
        is_candidate = torch.zeros(scores.size(0), dtype=torch.bool, device=scores.device)
        is_candidate[point_inds] = True
        rows = (is_candidate.cumsum(0) - 1)[point_inds]
        logits = scores[is_candidate]
        neg_sum = negative_class_loss_sum(loss_cls, logits, block_elements)

        def flip(labels: Tensor) -> Tensor:
            """(num_pairs,) ``l(x_c, 1) - l(x_c, 0)`` of class ``labels``."""
            one = logits[rows, labels][:, None]
            pos = loss_cls(one, torch.ones_like(one), reduction_override='none')
            neg = loss_cls(one, torch.zeros_like(one), reduction_override='none')
            return (pos - neg)[:, 0]

        labels = gt_labels[gt_inds]
        cls_costs = neg_sum[rows] + flip(labels)
        if extra_labels is not None:
            second = (extra_labels >= 0) & (extra_labels != labels)
            if bool(second.any()):
                cls_costs = cls_costs + torch.where(second, flip(extra_labels.clamp(min=0)),
                                                    torch.zeros_like(cls_costs))
        reg_costs = loss_bbox(pred_bboxes[point_inds], gt_bboxes[gt_inds],
                              reduction_override='none')
        return cls_costs.float(), reg_costs.reshape(-1).float()

    @staticmethod
    def released_reg_costs(priors: Tensor, pred_bboxes: Tensor, gt_bboxes: Tensor,
                           point_inds: Tensor, gt_inds: Tensor) -> Tensor:
        """(num_pairs,) ``1 - GIoU`` of the released code: the point's predicted and target
        distances ``(l, t, r, b)`` divided by its stride, IoU smoothed by +1
        (:func:`~mmext.structures.ltrb_giou`). ``priors`` (P, 4): x, y, stride_w, stride_h."""
        pts = priors[point_inds]
        xy = pts[:, :2].repeat(1, 2)
        sign = pts.new_tensor([1., 1., -1., -1.])
        stride = pts[:, 2:4].repeat(1, 2)
        pred = (xy - pred_bboxes[point_inds]) * sign / stride
        target = (xy - gt_bboxes[gt_inds]) * sign / stride
        return (1 - ltrb_giou(pred, target)[1]).float()

    # ------------------------------------------------------------------ steps 2-5, per gt
    def choose_positives(self, gts: Tensor, pair_cost: Tensor, costs: PairCosts,
                         num_level_priors: Sequence[int]) -> Tensor:
        """Steps 2-5 for the gts ``gts`` (R,): indices (into the pairs of ``costs``) of their
        positives. ``pair_cost`` (Q,): ``L_cls + L_reg`` of each pair, inf where the pair's point
        is no possible candidate of its gt; pairs of other gts are ignored."""
        cand = self.level_candidates(gts, pair_cost, costs, num_level_priors)
        cand = self.select_levels(*cand)
        if self.use_spatial:
            pos = self.split_positives(self.candidate_scores(cand), cand.valid)
        else:
            pos = cand.valid
        return cand.pair[pos]

    def level_candidates(self, gts: Tensor, pair_cost: Tensor, costs: PairCosts,
                         num_level_priors: Sequence[int]) -> Tuple[Tensor, ...]:
        """Step 2 (Eqs. 4-5): the ``N_l`` cheapest possible candidates on each level.

        The pairs of the gts ``gts`` are ordered by (gt, level, cost) and the first ``N_l`` of
        each (gt, level) group kept (cost ties: the lower point index first).

        Args:
            gts (Tensor): (R,) gt indices; pair_cost (Tensor): (Q,), inf where not possible.

        Returns:
            tuple: ``pair`` (R, L, k) long index into the pairs, ``cls`` and ``reg`` (R, L, k)
            their losses, ``valid`` (R, L, k) bool, in ascending cost on each level.
        """
        num_rows, num_levels = gts.numel(), len(num_level_priors)
        device = pair_cost.device
        num_gts = 1 + max(int(t.max()) if t.numel() else 0 for t in (gts, costs.gt))
        row_of = torch.full((num_gts, ), -1, dtype=torch.long, device=device)
        row_of[gts] = torch.arange(num_rows, device=device)
        pair_row = row_of[costs.gt]
        sel = ((pair_row >= 0) & torch.isfinite(pair_cost)).nonzero(as_tuple=True)[0]
        group = pair_row[sel] * num_levels + costs.level[sel]  # (S,)
        # one integer sort by (group, cost): the cost's float32 bits mapped to an order-keeping
        # unsigned 32-bit code in the low half of the key (stable: ties keep the point order)
        bits = pair_cost[sel].float().view(torch.int32).long()
        code = torch.where(bits >= 0, bits + (1 << 31), -1 - bits)
        order = (group * (1 << 32) + code).argsort(stable=True)
        group, sel = group[order], sel[order]
        count = torch.bincount(group, minlength=num_rows * num_levels)
        start = count.cumsum(0) - count
        slot = torch.arange(group.numel(), device=device) - start[group]  # rank in its group
        if self.candidate_count == 'min':
            k_max = max(min(self.topk, max(num_level_priors)), 1)
        else:
            k_max = max(int(count.max()) if count.numel() else 1, 1)
        keep = slot < k_max
        pair = torch.zeros(num_rows * num_levels * k_max, dtype=torch.long, device=device)
        valid = torch.zeros(pair.shape, dtype=torch.bool, device=device)
        flat = group[keep] * k_max + slot[keep]
        pair[flat] = sel[keep]
        valid[flat] = True
        pair, valid = pair.view(num_rows, num_levels, k_max), valid.view(num_rows, num_levels,
                                                                         k_max)
        zero = torch.zeros(pair.shape, dtype=costs.cls.dtype, device=device)
        return (pair, torch.where(valid, costs.cls[pair], zero),
                torch.where(valid, costs.reg[pair], zero), valid)

    def select_levels(self, pair: Tensor, cls: Tensor, reg: Tensor, valid: Tensor) -> Candidates:
        """Step 3 (Eq. 6): keep the ``num_levels`` levels of lowest mean loss (all levels with
        ``use_scale=False``), best level first. Inputs (R, L, k); outputs (R, M), M = kept * k."""
        level_count = valid.sum(-1)
        standard = dict(comb=cls + reg, cls=cls, reg=reg)[self.scale_standard]
        level_mean = (standard * valid).sum(-1) / level_count.clamp(min=1)
        level_mean = torch.where(level_count > 0, level_mean, torch.full_like(level_mean,
                                                                              math.inf))
        if self.use_scale:
            keep = min(self.num_levels, level_mean.size(1))
            kept_mean, kept_level = level_mean.topk(keep, dim=1, largest=False)
            gather = kept_level[..., None].expand(-1, -1, pair.size(-1))
            pair, cls, reg = pair.gather(1, gather), cls.gather(1, gather), reg.gather(1, gather)
            valid = valid.gather(1, gather) & torch.isfinite(kept_mean)[..., None]
            levels_used = torch.isfinite(kept_mean).sum(1)
        else:
            levels_used = (level_count > 0).sum(1)
        return Candidates(pair.flatten(1), cls.flatten(1), reg.flatten(1), valid.flatten(1),
                          levels_used)

    def candidate_scores(self, cand: Candidates) -> Tensor:
        """Step 4 (Eqs. 7-9): score ``S`` (R, M) of each gt's candidates (lower is better); 0 at
        padding. See the class docstring for ``score='paper' | 'printed' | 'official'``."""
        cls, reg, valid = cand.cls, cand.reg, cand.valid
        gap = (cls - reg).abs()
        if self.score == 'official':
            score = (torch.sigmoid(gap) * (cls + reg)).sqrt()
            score = torch.where(cand.levels_used[:, None] >= 2, score, cls + reg)
        else:
            neg_inf = torch.full_like(cls, -math.inf)
            any_valid = valid.any(1, keepdim=True)
            soft_cls = torch.where(valid, cls, neg_inf).softmax(1)
            soft_reg = torch.where(valid, reg, neg_inf).softmax(1)
            s_f = torch.where(any_valid, soft_cls + soft_reg, torch.zeros_like(soft_cls))  # Eq. 7
            if self.score == 'paper':
                gap_cost = torch.sigmoid(gap)  # 1 - S_m: Eq. 8 read as a cost
            else:
                gap_cost = torch.sigmoid(-gap)  # S_m = 1 / (1 + exp|L_cls - L_reg|), as printed
            score = (s_f * gap_cost).sqrt()  # Eq. 9
        return torch.where(valid, score, torch.zeros_like(score))

    def split_positives(self, cand_score: Tensor, valid: Tensor) -> Tensor:
        """Step 5 (Eq. 10): positives (R, M) bool among each gt's candidates, by a 2-component
        GMM on ``gmm_scale * S`` (R, M); a gt with one candidate takes it."""
        num_valid = valid.sum(1)
        pos = torch.zeros_like(valid)
        single = num_valid == 1
        pos[single] = valid[single]
        rows = num_valid >= 2
        if not bool(rows.any()):
            return pos
        scores = cand_score[rows] * self.gmm_scale
        row_valid = valid[rows]
        fit = batched_gmm_1d(
            scores,
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

    # ------------------------------------------------------------------ step 6
    @staticmethod
    def resolve_shared_points(pos_pair: Tensor, costs: PairCosts, areas: Tensor,
                              num_points: int) -> Tensor:
        """Step 6, ``shared_points='smallest'``: of the positive pairs ``pos_pair`` (N,), those
        whose point is positive for no smaller gt (area ties: the lower gt index)."""
        pos_p, pos_g = costs.point[pos_pair], costs.gt[pos_pair]
        pos_area = areas[pos_g]
        best_area = areas.new_full((num_points, ), math.inf).scatter_reduce(
            0, pos_p, pos_area, reduce='amin')
        smallest = pos_area == best_area[pos_p]
        best_gt = torch.full((num_points, ), areas.numel(), dtype=torch.long,
                             device=areas.device)
        best_gt = best_gt.scatter_reduce(0, pos_p[smallest], pos_g[smallest], reduce='amin')
        return pos_pair[pos_g == best_gt[pos_p]]

    def exclusion_rounds(self, costs: PairCosts, areas: Tensor, num_level_priors: Sequence[int],
                         num_points: int) -> Tensor:
        """Step 6, ``shared_points='exclude'`` (the released order): gts by increasing area (ties:
        the lower index); a point positive for a smaller gt is no candidate of a larger one.

        The result equals processing the gts one by one in that order, computed in rounds over
        all gts at once: each round recomputes (steps 2-5) every gt whose excluded points changed,
        excluding the points that the current positives of its smaller gts hold. The smallest
        gt is final after round 1, and a gt is final one round after all its smaller gts that
        share a point with it: at most ``nesting depth + 1`` rounds (2-4 in COCO-like scenes),
        each over the gts that changed; the loop runs over rounds, not over the gts. Returns the
        positive pair indices (each point in at most one).
        """
        num_gts, num_pairs = areas.numel(), costs.point.numel()
        device = areas.device
        pair_rank = self._area_order(areas)[costs.gt]
        is_pos = torch.zeros(num_pairs, dtype=torch.bool, device=device)
        excluded = torch.zeros_like(is_pos)
        todo = torch.arange(num_gts, device=device)
        in_todo = torch.zeros(num_gts, dtype=torch.bool, device=device)
        pair_cost = costs.cls + costs.reg
        for _ in range(num_gts + 1):  # rounds; stops once no gt's excluded points change
            in_todo[todo] = True
            mine = in_todo[costs.gt]
            cost = torch.where(excluded, math.inf, pair_cost)
            pos_pair = self.choose_positives(todo, cost, costs, num_level_priors)
            is_pos &= ~mine
            is_pos[pos_pair] = True
            in_todo[todo] = False
            holds = is_pos
            if self.official:
                # the released code: a gt whose split gives no positive (its GMM's low component
                # comes out empty) also removes its in-box points from the larger gts
                # (``aa = labels_mark[:, 0]`` is a view there, not a copy)
                npos = torch.zeros(num_gts, dtype=torch.long, device=device)
                npos.index_add_(0, costs.gt[is_pos], torch.ones_like(costs.gt[is_pos]))
                holds = is_pos | (npos[costs.gt] == 0)
            # the smallest gt (lowest rank) that holds each point; a larger gt loses it
            holder = torch.full((num_points, ), num_gts, dtype=torch.long, device=device)
            holder = holder.scatter_reduce(0, costs.point[holds], pair_rank[holds], reduce='amin')
            new_excluded = holder[costs.point] < pair_rank
            changed = torch.zeros(num_gts, dtype=torch.bool, device=device)
            changed[costs.gt[new_excluded != excluded]] = True
            excluded = new_excluded
            todo = changed.nonzero(as_tuple=True)[0]
            if todo.numel() == 0:
                break
        return is_pos.nonzero(as_tuple=True)[0]

    # ------------------------------------------------------------------ result
    @staticmethod
    def _result(num_points: int, num_gts: int, gt_labels: Tensor, points: Tensor,
                costs: Optional[PairCosts], pos_pair: Optional[Tensor]) -> AssignResult:
        """AssignResult with the positives ``pos_pair`` (pair indices; None: no positive)."""
        assigned = torch.zeros(num_points, dtype=torch.long, device=points.device)
        labels = assigned.new_full((num_points, ), -1)
        cls_costs = points.new_zeros((num_points, ))
        reg_costs = points.new_zeros((num_points, ))
        if pos_pair is not None and pos_pair.numel() > 0:
            pos_p, pos_g = costs.point[pos_pair], costs.gt[pos_pair]
            assigned[pos_p] = pos_g + 1
            labels[pos_p] = gt_labels[pos_g]
            cls_costs[pos_p] = costs.cls[pos_pair].to(cls_costs.dtype)
            reg_costs[pos_p] = costs.reg[pos_pair].to(reg_costs.dtype)
        result = AssignResult(num_gts, assigned, points.new_zeros((num_points, )), labels=labels)
        result.set_extra_property('cls_costs', cls_costs)
        result.set_extra_property('reg_costs', reg_costs)
        return result
