"""SLOW REFERENCE: a literal port of the label assignment of MMMC's released code.

Ported from HaoGood/MOD (commit 24dd4ce), ``fcos_core/modeling/rpn/fcos/loss.py``:
``FCOSLossComputation.prepare_targets_stats``, ``compute_targets_for_locations_stats``,
``_call_for_stats``, ``get_ious``, ``gmm_clustter_2``, with ``fcos_core/layers/
sigmoid_focal_loss_bce.py`` (``funcs='stats_focal'``), ``fcos_core/layers/iou_loss.py``
(``funcs='stats'``) and ``BoxList.area`` (``+1`` pixel convention). Python loops over gts and
levels, one ``sklearn.mixture.GaussianMixture`` per gt, as released. It exists only to check
``APSAssigner(official=True)`` in the tests and the benchmark; never use it to train.

Departures from the released text, none of which changes an assignment:

* one image (the released code flattens a batch level-first; images never share points);
* the ``.cuda()`` calls are dropped, and an expanded tensor is cloned before the in-place write
  that current PyTorch refuses on expanded tensors (same values);
* ``logging`` calls are dropped (the skip they accompany is kept);
* the GMM gets the (float32) scores as float64: the sklearn of the release's time ran its EM in
  float64 for float32 data (its responsibilities were float64), current sklearn (>= 1.x with
  array-API support) keeps float32 throughout, and float32 rounding decides between foreground
  points of (mathematically) equal likelihood, e.g. the two points of a two-point component;
* an image without gts, or whose gts contain no point, returns all-background (the released code
  never sees the first, its data loader drops such images, and raises ``NameError`` on the
  second: ``reg_loss_padding`` is only defined when a point lies inside a gt);
* each positive also records the (input-order) index of its gt, to compare assignments.
"""
import warnings
from typing import List, Sequence

import numpy as np
import torch
from torch.nn import functional as F

INF = 100000000


def sigmoid_focal_loss_bce(inputs, targets, alpha: float = 0.25, gamma: float = 2.0,
                           funcs: str = 'train', reduction: str = 'sum'):
    """``fcos_core.layers.sigmoid_focal_loss_bce``, as released."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction='none')
    if funcs == 'stats_bce':
        return ce_loss.sum(dim=1)
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t)**gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == 'mean':
        loss = loss.mean()
    elif reduction == 'sum':
        if funcs == 'stats_focal':
            loss = loss.sum(dim=1)
        else:
            loss = loss.sum()
    return loss


def iou_loss_stats(ious, gious, loss_type: str = 'giou'):
    """``fcos_core.layers.IOULoss.forward(ious, gious, weight=None, funcs='stats')``."""
    if loss_type == 'iou':
        losses = -torch.log(ious)
    elif loss_type == 'linear_iou':
        losses = 1 - ious
    elif loss_type == 'giou':
        losses = 1 - gious
    else:
        raise NotImplementedError
    assert losses.numel() != 0
    return losses


def get_ious(pred, target):
    """``FCOSLossComputation.get_ious``, as released (IoU smoothed by +1)."""
    pred_left = pred[:, 0]
    pred_top = pred[:, 1]
    pred_right = pred[:, 2]
    pred_bottom = pred[:, 3]

    target_left = target[:, 0]
    target_top = target[:, 1]
    target_right = target[:, 2]
    target_bottom = target[:, 3]

    target_area = (target_left + target_right) * (target_top + target_bottom)
    pred_area = (pred_left + pred_right) * (pred_top + pred_bottom)

    w_intersect = torch.min(pred_left, target_left) + torch.min(pred_right, target_right)
    g_w_intersect = torch.max(pred_left, target_left) + torch.max(pred_right, target_right)
    h_intersect = torch.min(pred_bottom, target_bottom) + torch.min(pred_top, target_top)
    g_h_intersect = torch.max(pred_bottom, target_bottom) + torch.max(pred_top, target_top)
    ac_uion = g_w_intersect * g_h_intersect + 1e-7
    area_intersect = w_intersect * h_intersect
    area_union = target_area + pred_area - area_intersect
    ious = (area_intersect + 1.0) / (area_union + 1.0)
    gious = ious - (ac_uion - area_union) / ac_uion
    return ious, gious


def gmm_clustter_2(cls_loss):
    """``FCOSLossComputation.gmm_clustter_2``, as released."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture
    cls_loss = cls_loss.double()  # (float64: see the module docstring)
    min_loss = torch.min(cls_loss).cpu().detach().numpy()
    max_loss = torch.max(cls_loss).cpu().detach().numpy()
    means_init = np.array([min_loss, max_loss]).reshape(2, 1)
    precisions_init = np.array([0.1, 0.1]).reshape(2, 1, 1)
    cls_loss = cls_loss.view(-1, 1).cpu().detach().numpy()
    gm = GaussianMixture(n_components=2, weights_init=[0.5, 0.5],
                         means_init=means_init, precisions_init=precisions_init)
    with warnings.catch_warnings():  # (not in the released code; no effect on the fit)
        warnings.simplefilter('ignore', ConvergenceWarning)
        gm.fit(cls_loss)
    results = gm.predict(cls_loss)
    assignments = results == 0

    if len(np.nonzero(assignments)[0]) > 0:
        scores = gm.score_samples(cls_loss)
        score_fgs = scores[assignments]
        fgs_inds = np.nonzero(assignments)[0]
        fgs_thr_ind = np.argmax(score_fgs)
        assignments_ = cls_loss.reshape(-1) <= cls_loss[fgs_inds[fgs_thr_ind]]
        assignments = assignments & assignments_

    return torch.from_numpy(assignments)


def _targets_for_locations_stats(locations, gt_bboxes, gt_labels):
    """``compute_targets_for_locations_stats`` for one image (labels 1-based as fcos_core's)."""
    xs, ys = locations[:, 0], locations[:, 1]
    bboxes = gt_bboxes
    labels_per_im = gt_labels + 1
    labels_per_im_reg = torch.zeros_like(labels_per_im)
    labels_per_im_reg[:] = 1
    area = (bboxes[:, 2] - bboxes[:, 0] + 1) * (bboxes[:, 3] - bboxes[:, 1] + 1)  # BoxList.area

    sort_inds = torch.sort(area)[1]
    labels_per_im = labels_per_im[sort_inds]
    bboxes = bboxes[sort_inds]
    area = area[sort_inds]
    l = xs[:, None] - bboxes[:, 0][None]  # noqa: E741
    t = ys[:, None] - bboxes[:, 1][None]
    r = bboxes[:, 2][None] - xs[:, None]
    b = bboxes[:, 3][None] - ys[:, None]
    reg_targets_per_im = torch.stack([l, t, r, b], dim=2)

    # CENTER_SAMPLING_RADIUS > 0 in the released config, whose center sampling is commented out
    is_in_boxes_cls = reg_targets_per_im.min(dim=2)[0] > 0
    is_in_boxes_reg = is_in_boxes_cls

    locations_to_gt_area = area[None].repeat(len(locations), 1)
    mask_for_gt = is_in_boxes_cls
    if locations_to_gt_area.shape[1] == 1:
        locations_to_gt_area = locations_to_gt_area.expand(-1, 2).clone()  # (clone: see top)
        is_in_boxes_cls = is_in_boxes_cls.expand(-1, 2)
        labels_per_im = torch.cat([labels_per_im, labels_per_im])
    locations_to_gt_area[is_in_boxes_cls == 0] = INF
    sort_areas, sort_inds_ = torch.sort(locations_to_gt_area, dim=1)
    locations_to_gt_inds = sort_inds_[:, :2]
    locations_to_min_area = sort_areas[:, :2]
    locations_to_gt_area_reg = area[None].repeat(len(locations), 1)
    if locations_to_gt_area_reg.shape[1] == 1:
        locations_to_gt_area_reg = locations_to_gt_area_reg.expand(-1, 2).clone()
        is_in_boxes_reg = is_in_boxes_reg.expand(-1, 2)
        labels_per_im_reg = torch.cat([labels_per_im_reg, labels_per_im_reg])
        reg_targets_per_im = reg_targets_per_im.expand(-1, 2, -1)
    locations_to_gt_area_reg[is_in_boxes_reg == 0] = INF
    sort_areas, sort_inds_ = torch.sort(locations_to_gt_area_reg, dim=1)
    locations_to_gt_inds_reg = sort_inds_[:, :2]
    locations_to_min_area_reg = sort_areas[:, :2]
    reg_targets_per_im = torch.stack([
        reg_targets_per_im[range(len(locations)), locations_to_gt_inds_reg[:, 0]],
        reg_targets_per_im[range(len(locations)), locations_to_gt_inds_reg[:, 1]]
    ], dim=-1)

    labels_per_im = labels_per_im[locations_to_gt_inds]
    labels_per_im[locations_to_min_area == INF] = 0
    labels_per_im_reg = labels_per_im_reg[locations_to_gt_inds_reg]
    labels_per_im_reg[locations_to_min_area_reg == INF] = 0
    return labels_per_im, labels_per_im_reg, reg_targets_per_im, mask_for_gt, sort_inds


def mod_assign(locations: Sequence[torch.Tensor], box_cls: Sequence[torch.Tensor],
               box_regression: Sequence[torch.Tensor], gt_bboxes: torch.Tensor,
               gt_labels: torch.Tensor, fpn_strides: Sequence[int]) -> torch.Tensor:
    """The released APS assignment of one image, literally.

    Args:
        locations (list[Tensor]): per level (n_l, 2) point coordinates.
        box_cls (list[Tensor]): per level (n_l, C) classification logits.
        box_regression (list[Tensor]): per level (n_l, 4) predicted ``(l, t, r, b)`` in stride
            units (``NORM_REG_TARGETS=True``, the training output of the released head).
        gt_bboxes (Tensor): (G, 4) x1, y1, x2, y2. gt_labels (Tensor): (G,) 0-based classes.
        fpn_strides (list[int]): stride of each level.

    Returns:
        Tensor: (P,) long, 1-based index (input order) of each point's gt, 0 for background.
    """
    num_points_per_level: List[int] = [len(p) for p in locations]
    points_all_level = torch.cat(list(locations), dim=0)
    assigned_gt = torch.zeros(len(points_all_level), dtype=torch.long)
    if len(gt_bboxes) == 0:
        return assigned_gt
    labels, labels_reg, reg_targets, mask_for_gt, sort_inds = _targets_for_locations_stats(
        points_all_level, gt_bboxes, gt_labels)
    # prepare_targets_stats (batch of one: level-first order is the plain order)
    reg_targets = torch.cat([
        t / s for t, s in zip(torch.split(reg_targets, num_points_per_level, dim=0), fpn_strides)
    ])
    gt_mask = mask_for_gt.T

    # _call_for_stats
    box_cls_flatten = torch.cat(list(box_cls), dim=0)
    labels_flatten = labels.reshape(-1, 2)
    box_regression_flatten = torch.cat(list(box_regression), dim=0)
    reg_targets_flatten = reg_targets.reshape(-1, 4, 2)

    pos_inds = torch.nonzero(labels_flatten[:, 0] > 0).squeeze(1)
    pos_inds_ = torch.nonzero(labels_flatten[:, 1] > 0).squeeze(1)
    neg_inds_ = torch.nonzero(labels_flatten[:, 1] == 0).squeeze(1)
    if pos_inds.numel() == 0:  # the released code raises NameError (see the module docstring)
        return assigned_gt
    box_regression_flatten = box_regression_flatten[pos_inds]
    reg_targets_flatten[:, :, 1] = torch.where(
        (reg_targets_flatten[:, :, 1].min(dim=1)[0] < 0)[:, None].expand(-1, 4),
        reg_targets_flatten[:, :, 0], reg_targets_flatten[:, :, 1])
    reg_targets_flatten_stat = reg_targets_flatten[pos_inds]

    total_num_pos = pos_inds.numel()  # reduce_sum on one GPU
    num_pos_avg_per_gpu = max(total_num_pos / float(1), 1.0)

    cls_targets = torch.zeros_like(box_cls_flatten)
    cls_targets_ = torch.zeros_like(box_cls_flatten)
    cls_targets[pos_inds, labels_flatten[pos_inds, 0].long() - 1] = 1
    cls_targets_[pos_inds, labels_flatten[pos_inds, 0].long() - 1] = 1
    cls_targets_[pos_inds_, labels_flatten[pos_inds_, 1].long() - 1] = 1
    cls_loss_pos = sigmoid_focal_loss_bce(
        box_cls_flatten, cls_targets, funcs='stats_focal') / num_pos_avg_per_gpu
    cls_loss_pos_ = sigmoid_focal_loss_bce(
        box_cls_flatten, cls_targets_, funcs='stats_focal') / num_pos_avg_per_gpu
    cls_loss = torch.stack([cls_loss_pos, cls_loss_pos_], dim=1)
    ious, gious = get_ious(box_regression_flatten, reg_targets_flatten_stat[:, :, 0])
    ious_, gious_ = get_ious(box_regression_flatten, reg_targets_flatten_stat[:, :, 1])
    reg_loss = iou_loss_stats(ious, gious) / num_pos_avg_per_gpu
    reg_loss_ = iou_loss_stats(ious_, gious_) / num_pos_avg_per_gpu
    reg_loss_padding = labels_flatten.new_zeros(labels_flatten.shape, dtype=torch.float)
    reg_loss_padding[pos_inds] = torch.stack([reg_loss, reg_loss_], dim=1)

    labels_mark = torch.ones_like(labels_flatten, dtype=torch.bool)
    labels_mark[:, 1] = 0
    labels_resample_cls = torch.zeros_like(labels_flatten[:, 0])
    for gt_index, gt in enumerate(gt_mask):
        gt_loss = []
        gt_cls_loss = []
        gt_reg_loss = []
        gt_loss_inds = []
        gt_labels_ = []
        beg = 0
        for num_points in num_points_per_level:
            num_points_ = num_points * 1  # * batch_size
            end = beg + num_points_
            gt_mask_per_level = gt[beg:end]
            cls_loss_per_level = cls_loss[beg:end] * int(num_pos_avg_per_gpu)
            reg_loss_per_level = reg_loss_padding[beg:end] * int(num_pos_avg_per_gpu)
            mark_per_level = labels_mark[beg:end]
            labels_per_level = labels_flatten[beg:end]

            gt_mask_per_level = gt_mask_per_level[:, None] & mark_per_level
            gt_per_level_loss = (cls_loss_per_level + reg_loss_per_level)[gt_mask_per_level]
            gt_per_level_cls_loss = (cls_loss_per_level)[gt_mask_per_level]
            gt_per_level_reg_loss = (reg_loss_per_level)[gt_mask_per_level]
            gt_label_per_level = labels_per_level[gt_mask_per_level]
            if torch.sum(gt_per_level_loss) == 0:
                beg = end
                continue
            else:
                topk_number = min(9, gt_per_level_loss.numel())
                aa, bb = (0 - gt_per_level_loss).topk(topk_number)
                cc = torch.nonzero(gt_mask_per_level[:, 0] | gt_mask_per_level[:, 1])
                gt_loss.append(0 - aa)
                gt_cls_loss.append(gt_per_level_cls_loss[bb])
                gt_reg_loss.append(gt_per_level_reg_loss[bb])
                gt_loss_inds.append(beg + cc[bb])
                gt_labels_.append(gt_label_per_level[bb])
                beg = end
        if len(gt_loss) == 0:
            labels_mark[gt == 1] = 0
            continue
        if len(gt_loss) == 1:
            gt_loss = gt_loss[0]
            gt_loss_inds = gt_loss_inds[0]
            gt_labels_ = gt_labels_[0]
        else:
            gt_loss_avg = [a.sum() / len(a) for a in gt_loss]
            gt_loss_avg = torch.stack(gt_loss_avg)
            _, level_inds = gt_loss_avg.sort()
            gt_cls_loss = torch.cat([gt_cls_loss[level_inds[0]], gt_cls_loss[level_inds[1]]])
            gt_reg_loss = torch.cat([gt_reg_loss[level_inds[0]], gt_reg_loss[level_inds[1]]])
            gt_gap = (gt_cls_loss - gt_reg_loss).sigmoid()
            gt_gap[gt_gap < 0.5] = 1 - gt_gap[gt_gap < 0.5]
            gt_loss = torch.sqrt(gt_gap * (gt_cls_loss + gt_reg_loss))
            gt_loss_inds = torch.cat([gt_loss_inds[level_inds[0]], gt_loss_inds[level_inds[1]]])
            gt_labels_ = torch.cat([gt_labels_[level_inds[0]], gt_labels_[level_inds[1]]])
        if torch.numel(gt_loss) == 1:
            assign = 0
        else:
            assign = gmm_clustter_2(gt_loss * 10)
        inds = gt_loss_inds[assign].squeeze()
        try:
            if torch.max(labels_resample_cls[inds]) != 0:
                aa = labels_mark[:, 0]
                labels_mark[gt == 1, 0] = 0
                labels_mark[gt == 1, 1] = 1
                labels_mark[neg_inds_, 1] = 0
                labels_mark[(gt == 1) & (aa == 0), 1] = 0
                continue
        except Exception:  # the released bare except: torch.max of no positives
            aa = labels_mark[:, 0]
            labels_mark[gt == 1, 0] = 0
            labels_mark[gt == 1, 1] = 1
            labels_mark[neg_inds_, 1] = 0
            labels_mark[(gt == 1) & (aa == 0), 1] = 0
            continue
        assert torch.max(labels_resample_cls[inds]) == 0
        assert gt_labels_[assign].max() - gt_labels_[assign].min() == 0
        labels_resample_cls[inds] = gt_labels_[assign]
        assigned_gt[inds] = int(sort_inds[gt_index]) + 1  # (added: which gt, input order)
        aa = torch.zeros_like(labels_mark[:, 0])
        aa[:] = labels_mark[:, 0]
        labels_mark[gt == 1, 0] = 0
        labels_mark[gt == 1, 1] = 1
        labels_mark[inds, 1] = 0
        labels_mark[neg_inds_, 1] = 0
        labels_mark[(gt == 1) & (aa == 0), 1] = 0
        assert torch.nonzero((labels_mark[:, 0] == True) &  # noqa: E712
                             (labels_mark[:, 1] == True)).shape[0] == 0  # noqa: E712
    return assigned_gt


def mod_assign_decoded(points: torch.Tensor, num_level_priors: Sequence[int],
                       scores: torch.Tensor, pred_bboxes: torch.Tensor, gt_bboxes: torch.Tensor,
                       gt_labels: torch.Tensor, strides: Sequence[int]) -> torch.Tensor:
    """:func:`mod_assign` on mmdet-style inputs: (P, 2) points, (P, C) logits and (P, 4) decoded
    boxes in image coordinates, levels concatenated; the boxes become the released head's
    ``(l, t, r, b)`` in stride units."""
    xy = points.repeat(1, 2)
    sign = points.new_tensor([1., 1., -1., -1.])
    stride = torch.cat([points.new_full((n, 1), float(s))
                        for n, s in zip(num_level_priors, strides)])
    ltrb = (xy - pred_bboxes) * sign / stride
    split = list(num_level_priors)
    return mod_assign(points.split(split), scores.split(split), ltrb.split(split), gt_bboxes,
                      gt_labels, strides)
