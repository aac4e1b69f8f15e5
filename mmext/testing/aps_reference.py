"""SLOW REFERENCE: APS one gt at a time, with one sklearn ``GaussianMixture`` per gt.

The paper's steps (and the released code's score and separation options) as ``APSAssigner``
documents them, with Python loops over gts and levels, the per-point losses computed directly
from a one-hot target, and a point chosen by several gts given to the smallest
(``shared_points='smallest'``). Used by the tests and by
``tools/analysis_tools/benchmark_aps_assigner.py`` as the per-gt baseline (the way the released
code and mmdet's PAA head run their GMMs). For the released code itself see
:mod:`mmext.testing.mod_reference`. Never use it to train.
"""
import math
import warnings
from typing import Sequence

import torch

FCOS_RANGES = ((-1, 64), (64, 128), (128, 256), (256, 512), (512, 1e8))
STRIDES = (8, 16, 32, 64, 128)


def per_gt_reference_assign(points: torch.Tensor,
                            num_level_priors: Sequence[int],
                            scores: torch.Tensor,
                            pred_bboxes: torch.Tensor,
                            gt_bboxes: torch.Tensor,
                            gt_labels: torch.Tensor,
                            loss_cls,
                            loss_bbox,
                            topk: int = 9,
                            candidate_count: str = 'min',
                            num_levels: int = 2,
                            scale_standard: str = 'comb',
                            score: str = 'paper',
                            separation: str = 'component',
                            use_scale: bool = True,
                            use_spatial: bool = True,
                            regress_ranges=FCOS_RANGES,
                            gmm_scale: float = 10.0,
                            gmm_precision_init: float = 0.1) -> torch.Tensor:
    """APS one gt at a time with sklearn's GaussianMixture: a slow literal reference.

    Follows the paper's steps (and the official code's options) as ``APSAssigner`` documents
    them, with Python loops over gts and levels, the per-point losses computed directly from a
    one-hot target, and one sklearn GMM fit per gt. Returns (P,) 1-based gt indices (0 =
    background); a point chosen by several gts goes to the smallest.
    """
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    num_points, num_classes = scores.shape
    device = scores.device
    assigned = torch.zeros(num_points, dtype=torch.long, device=device)
    best_area = torch.full((num_points, ), float('inf'), device=device)
    bounds = np.cumsum([0] + list(num_level_priors))
    areas = (gt_bboxes[:, 2] - gt_bboxes[:, 0]) * (gt_bboxes[:, 3] - gt_bboxes[:, 1])
    for g in range(len(gt_bboxes)):
        box = gt_bboxes[g]
        levels = []
        for lvl in range(len(num_level_priors)):
            start, end = int(bounds[lvl]), int(bounds[lvl + 1])
            pts = points[start:end]
            ltrb = torch.stack([pts[:, 0] - box[0], pts[:, 1] - box[1], box[2] - pts[:, 0],
                                box[3] - pts[:, 1]], 1)
            inside = ltrb.min(1).values > 0
            if not use_scale:
                lo, hi = regress_ranges[lvl]
                dist = ltrb.max(1).values
                inside &= (dist >= lo) & (dist <= hi)
            idx = inside.nonzero(as_tuple=True)[0] + start
            if len(idx) == 0:
                continue
            onehot = torch.zeros(len(idx), num_classes, device=device)
            onehot[:, int(gt_labels[g])] = 1
            l_cls = loss_cls(scores[idx], onehot, reduction_override='none').sum(1)
            l_reg = loss_bbox(pred_bboxes[idx], box[None].expand(len(idx), 4),
                              reduction_override='none').reshape(-1)
            order = torch.argsort(l_cls + l_reg, stable=True)
            n = min(topk, len(idx)) if candidate_count == 'min' else len(idx)
            keep = order[:n]
            levels.append((idx[keep], l_cls[keep], l_reg[keep]))
        if not levels:
            continue
        if use_scale:
            standard = dict(comb=lambda c, r: c + r, cls=lambda c, r: c,
                            reg=lambda c, r: r)[scale_standard]
            means = torch.stack([standard(c, r).mean() for _, c, r in levels])
            order = torch.argsort(means, stable=True)[:num_levels]
            levels = [levels[int(i)] for i in order]
        idx = torch.cat([lv[0] for lv in levels])
        l_cls = torch.cat([lv[1] for lv in levels])
        l_reg = torch.cat([lv[2] for lv in levels])
        if not use_spatial:
            pos = torch.ones(len(idx), dtype=torch.bool, device=device)
        else:
            gap = (l_cls - l_reg).abs()
            s_f = torch.softmax(l_cls, 0) + torch.softmax(l_reg, 0)  # Eq. 7
            if score == 'paper':  # Eq. 8 read as a cost: 1 - 1 / (1 + exp|gap|)
                s = torch.sqrt(s_f * (1.0 - 1.0 / (1.0 + torch.exp(gap))))
            elif score == 'printed':  # Eq. 8 as printed
                s = torch.sqrt(s_f / (1.0 + torch.exp(gap)))
            elif len(levels) >= 2:
                s = torch.sqrt(torch.sigmoid(gap) * (l_cls + l_reg))
            else:
                s = l_cls + l_reg
            if len(s) == 1:
                pos = torch.ones(1, dtype=torch.bool, device=device)
            else:
                s = s.cpu()
                x = (s * gmm_scale).double().numpy().reshape(-1, 1)
                gmm = GaussianMixture(
                    n_components=2,
                    weights_init=[0.5, 0.5],
                    means_init=np.array([x.min(), x.max()]).reshape(2, 1),
                    precisions_init=np.full((2, 1, 1), gmm_precision_init))
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore', ConvergenceWarning)
                    gmm.fit(x)
                fg = gmm.predict(x) == 0
                if separation == 'official' and fg.any():
                    loglik = gmm.score_samples(x)
                    fg_idx = np.nonzero(fg)[0]
                    peak = fg_idx[np.argmax(loglik[fg])]
                    fg = fg & (s.numpy() <= s.numpy()[peak])
                pos = torch.from_numpy(fg).to(device)
        chosen = idx[pos]
        chosen = chosen[areas[g] < best_area[chosen]]  # ties stay with the earlier gt
        best_area[chosen] = areas[g]
        assigned[chosen] = g + 1
    return assigned


def make_image(num_gts: int,
               img_size: Sequence[int],
               num_classes: int,
               seed: int = 0,
               box_sizes: str = 'uniform'):
    """Random FPN points, logits, predicted boxes and gts for one image.

    ``box_sizes='coco'``: COCO's mix of 41 % small (sqrt(area) 8-32 px), 34 % medium (32-96 px)
    and 25 % large (96-400 px) boxes, aspect ratios 1/2-2; ``'uniform'``: sides uniform between
    12 px and 35 % of the image plus 12 px (large boxes that cover most of the image).
    """
    gen = torch.Generator().manual_seed(seed)
    height, width = img_size
    points, num_level_priors = [], []
    for s in STRIDES:
        ys, xs = torch.meshgrid(torch.arange((height + s - 1) // s),
                                torch.arange((width + s - 1) // s), indexing='ij')
        pts = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).float() * s + s // 2
        points.append(pts)
        num_level_priors.append(len(pts))
    points = torch.cat(points)
    if box_sizes == 'coco':
        bucket = torch.multinomial(torch.tensor([0.41, 0.34, 0.25]), max(num_gts, 1),
                                   replacement=True, generator=gen)[:num_gts]
        low = torch.tensor([8.0, 32.0, 96.0])[bucket]
        high = torch.tensor([32.0, 96.0, 400.0])[bucket]
        side = low + torch.rand(num_gts, generator=gen) * (high - low)
        ratio = torch.exp((torch.rand(num_gts, generator=gen) * 2 - 1) * math.log(2))
        wh = torch.stack([side * ratio.sqrt(), side / ratio.sqrt()], 1)
        # boxes larger than the image shrink to a random fraction of it (not all to one size:
        # equal areas would make the order of the gts a tie)
        limit = torch.tensor([width - 1.0, height - 1.0]) * (
            0.6 + 0.4 * torch.rand(num_gts, 1, generator=gen))
        wh = torch.minimum(wh, limit)
    elif box_sizes == 'uniform':
        wh = torch.rand(num_gts, 2, generator=gen) * 0.35 * torch.tensor([width, height]) + 12
    else:
        raise ValueError(f'box_sizes={box_sizes!r} is not one of coco, uniform')
    xy = torch.rand(num_gts, 2, generator=gen) * (torch.tensor([width, height]) - wh)
    gt_bboxes = torch.cat([xy, xy + wh], 1)
    gt_labels = torch.randint(0, num_classes, (num_gts, ), generator=gen)
    scores = torch.randn(len(points), num_classes, generator=gen) * 1.5 - 4
    ltrb = torch.rand(len(points), 4, generator=gen) * 120 + 4
    pred_bboxes = torch.cat([points - ltrb[:, :2], points + ltrb[:, 2:]], 1)
    return points, num_level_priors, scores, pred_bboxes, gt_bboxes, gt_labels
