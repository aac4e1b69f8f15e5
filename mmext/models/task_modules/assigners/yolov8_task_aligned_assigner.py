"""Task-aligned assignment as YOLOv8 does it (candidates inside the box first, soft IoU targets)."""
from typing import Optional

import torch
from mmdet.models.task_modules.assigners.assign_result import AssignResult
from mmdet.models.task_modules.assigners.base_assigner import BaseAssigner
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor
from mmengine.structures import InstanceData
from torch import Tensor

from mmext.structures import bbox_ciou


def pairwise_ciou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Complete IoU between every box of ``boxes1`` (M, 4) and ``boxes2`` (N, 4), xyxy -> (M, N),
    in the form YOLOv8 uses (no IoU > 0.5 gate on the aspect term):
    :func:`mmext.structures.bbox_ciou` with ``aspect_iou_gate=None``."""
    return bbox_ciou(boxes1, boxes2, aspect_iou_gate=None, eps=eps)


@TASK_UTILS.register_module()
class YOLOv8TaskAlignedAssigner(BaseAssigner):
    """Task-aligned assigner of YOLOv8 (TOOD's metric, YOLOv8's candidate rule and soft targets).

    For one image with N priors (centre points p_j), predicted boxes b_j and class probabilities
    s_j, and G ground truths (g_i, c_i), all steps vectorised over (G, N):

    1. ``inside_ij``: p_j lies strictly inside g_i.
    2. ``u_ij = max(CIoU(g_i, b_j), 0)`` and ``t_ij = s_j[c_i]^alpha * u_ij^beta`` on inside pairs,
       0 elsewhere (TOOD's alignment metric, Feng et al. 2021, Eq. 1).
    3. ``pos_ij``: j is among the top-k priors of g_i by t, and inside g_i.
    4. A prior positive for several GTs keeps the GT with the largest u (over all GTs).
    5. Soft score of a positive j assigned to i: ``t_ij / max_j'(t_ij') * max_j'(u_ij')`` over the
       positives j' of g_i (TOOD's normalised t-hat); 0 for negatives.

    Differences from mmdet's :class:`~mmdet.models.task_modules.TaskAlignedAssigner`: there the
    top-k runs over all priors and only then are priors outside the box dropped (so a small box
    can end up with fewer than k positives), the IoU is plain IoU, alpha/beta are call arguments,
    and the raw metric is returned (the TOOD head normalises it). Here the candidate set is
    restricted to priors inside the box first, as in YOLOv8 (and mmyolo's
    ``BatchTaskAlignedAssigner``), and the normalised soft score is returned.

    Args:
        topk (int): Positives per GT (k). YOLOv8: 10.
        alpha (float): Exponent of the classification score. YOLOv8: 0.5.
        beta (float): Exponent of the IoU. YOLOv8: 6.0.
        iou_mode (str): 'ciou' (YOLOv8) or 'iou' for u.
        eps (float): Margin of the inside test and of the normalisation.

    Returns from :meth:`assign` an :class:`AssignResult` whose ``gt_inds`` are 1-based (0 =
    background), ``labels`` -1 for background, ``max_overlaps`` the u of the assigned pair, and an
    ``assign_metrics`` attribute (N,) holding the soft score of step 5 (set as mmdet's assigner
    sets its own).
    """

    def __init__(self, topk: int = 10, alpha: float = 0.5, beta: float = 6.0,
                 iou_mode: str = 'ciou', eps: float = 1e-9) -> None:
        if topk < 1:
            raise ValueError(f'YOLOv8TaskAlignedAssigner: topk must be >= 1, got {topk}')
        if iou_mode not in ('ciou', 'iou'):
            raise ValueError(f"YOLOv8TaskAlignedAssigner: iou_mode must be 'ciou' or 'iou', "
                             f'got {iou_mode!r}')
        self.topk = topk
        self.alpha = alpha
        self.beta = beta
        self.iou_mode = iou_mode
        self.eps = eps

    @staticmethod
    def _check_finite(pred_instances: InstanceData, gt_instances: InstanceData) -> None:
        fields = (('gt_instances.bboxes', get_box_tensor(gt_instances.bboxes)),
                  ('pred_instances.priors', pred_instances.priors),
                  ('pred_instances.bboxes', get_box_tensor(pred_instances.bboxes)),
                  ('pred_instances.scores', pred_instances.scores))
        for name, value in fields:
            if value.numel() and not bool(torch.isfinite(value).all()):
                bad = (~torch.isfinite(value)).nonzero()[0].tolist()
                raise ValueError(f'YOLOv8TaskAlignedAssigner: {name} holds a NaN or inf value '
                                 f'(first at index {bad}); box coordinates and scores must be '
                                 'finite')

    def assign(self,
               pred_instances: InstanceData,
               gt_instances: InstanceData,
               gt_instances_ignore: Optional[InstanceData] = None,
               **kwargs) -> AssignResult:
        """Assign GTs to priors.

        Args:
            pred_instances (InstanceData): ``priors`` (N, >=2), the first two columns being the
                prior centre (x, y) (points from ``MlvlPointGenerator``, optionally with strides);
                ``bboxes`` (N, 4) decoded predictions, xyxy; ``scores`` (N, C) probabilities.
            gt_instances (InstanceData): ``bboxes`` (G, 4) xyxy and ``labels`` (G,).
            gt_instances_ignore: Unused (YOLOv8 has no ignore regions).

        Raises:
            ValueError: a NaN or inf in ``gt_instances.bboxes``, ``pred_instances.priors``,
                ``pred_instances.bboxes`` or ``pred_instances.scores`` (named, with the index
                of the first).
        """
        self._check_finite(pred_instances, gt_instances)
        points = pred_instances.priors[:, :2]
        pred_bboxes = get_box_tensor(pred_instances.bboxes).detach()
        pred_scores = pred_instances.scores.detach()
        gt_bboxes = get_box_tensor(gt_instances.bboxes).to(pred_bboxes.dtype)
        gt_labels = gt_instances.labels.long()
        num_gts, num_priors = gt_bboxes.size(0), points.size(0)

        assigned_gt_inds = points.new_zeros((num_priors, ), dtype=torch.long)
        assigned_labels = points.new_full((num_priors, ), -1, dtype=torch.long)
        max_overlaps = points.new_zeros((num_priors, ))
        assign_metrics = points.new_zeros((num_priors, ))
        if num_gts == 0 or num_priors == 0:
            result = AssignResult(num_gts, assigned_gt_inds, max_overlaps, labels=assigned_labels)
            result.assign_metrics = assign_metrics
            return result

        # 1. prior centres strictly inside each GT: (G, N)
        deltas = torch.cat([points[None] - gt_bboxes[:, None, :2],
                            gt_bboxes[:, None, 2:] - points[None]], dim=-1)
        inside = deltas.amin(dim=-1) > self.eps

        # 2. alignment metric on inside pairs
        if self.iou_mode == 'ciou':
            overlaps = pairwise_ciou(gt_bboxes, pred_bboxes).clamp(min=0)
        else:
            overlaps = bbox_overlaps(gt_bboxes, pred_bboxes)
        overlaps = overlaps * inside
        scores = pred_scores[:, gt_labels].t() * inside  # (G, N)
        metrics = scores.pow(self.alpha) * overlaps.pow(self.beta)

        # 3. top-k candidates per GT, restricted to inside priors
        k = min(self.topk, num_priors)
        topk_inds = metrics.topk(k, dim=1, largest=True).indices
        is_pos = torch.zeros_like(inside).scatter_(1, topk_inds, True) & inside

        # 4. a prior claimed by several GTs goes to the GT it overlaps most
        multi = is_pos.sum(dim=0) > 1
        if multi.any():
            best = torch.zeros_like(is_pos).scatter_(0, overlaps.argmax(dim=0, keepdim=True), True)
            is_pos = torch.where(multi[None], best, is_pos)

        fg = is_pos.any(dim=0)
        gt_of_prior = is_pos.to(torch.uint8).argmax(dim=0)  # (N,)

        # 5. normalised soft score t_hat
        pos_metrics = metrics * is_pos
        max_metric = pos_metrics.amax(dim=1, keepdim=True)
        max_iou = (overlaps * is_pos).amax(dim=1, keepdim=True)
        norm = (pos_metrics * max_iou / (max_metric + self.eps)).amax(dim=0)

        prior_inds = torch.arange(num_priors, device=points.device)
        assigned_gt_inds = torch.where(fg, gt_of_prior + 1, assigned_gt_inds)
        assigned_labels = torch.where(fg, gt_labels[gt_of_prior], assigned_labels)
        max_overlaps = overlaps[gt_of_prior, prior_inds] * fg
        assign_metrics = norm * fg
        result = AssignResult(num_gts, assigned_gt_inds, max_overlaps, labels=assigned_labels)
        result.assign_metrics = assign_metrics
        return result
