"""mAP50, mAP50-95, precision, recall and F1 for boxes and masks, as YOLOv8 validation reports them.

The refined-GFL paper (Panboonyuen et al., 2024) reports its YOLOv8 results as mAP50, mAP50-95,
precision, recall and F1-score; those are the numbers Ultralytics' validator prints. This metric
computes them the same way from mmdet predictions, for boxes ('bbox') and masks ('segm'):

1. Matching, per image and IoU threshold tau in {0.50, 0.55, ..., 0.95}: pairs (GT, prediction)
   of the same class with IoU >= tau; each prediction keeps its highest-IoU GT, then each GT keeps
   the highest-scoring of the predictions left on it. Matched predictions are true positives.
2. Per class c with n_c > 0 GTs, predictions sorted by score: cumulative precision and recall.
   AP_c(tau) is the area under the monotone precision envelope, sampled at 101 recall points
   (trapezoidal rule); mAP50 = mean_c AP_c(0.5), mAP50-95 = mean over c and tau (paper Formula 2:
   mAP = (1/n) sum_i AP_i).
3. Precision and recall per class are read at 1000 confidence levels in [0, 1] (at tau = 0.5);
   F1_c = 2 P_c R_c / (P_c + R_c). The confidence is the argmax of the class-mean F1 after a box
   filter of width 10 %; P and R are the class means there, and the reported
   F1 = 2 P R / (P + R) of those means (the paper's F1 column satisfies this identity).

Classes without GT are left out of the means, as in Ultralytics. Ground truths come from the data
samples (``gt_instances``), so the test pipeline must load annotations after ``Resize`` (mmdet's
convention) to keep them in original image coordinates, where ``rescale=True`` predictions are.
Keys: ``<prefix>/<bbox|segm>_{mAP50, mAP50-95, P, R, F1}``, values in [0, 1], and
``<prefix>/fitness``, Ultralytics' checkpoint-selection score: the sum over the evaluated
``bbox`` / ``segm`` of 0.1 mAP50 + 0.9 mAP50-95 (its ``best.pt``; use it as ``save_best``).

As Ultralytics' validator, each evaluation also logs a per-class table (images, instances, P, R,
F1, mAP50, mAP50-95; classes without GT listed with ``-``) and, inside a Runner, saves the
precision-recall and F1 / P / R-confidence curves as ``pr_curve.png``, ``f1_curve.png``,
``p_curve.png``, ``r_curve.png`` (``mask_*`` for 'segm') in the run's log dir
(``<work_dir>/<timestamp>/``) or in ``curve_dir``.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmdet.registry import METRICS
from mmdet.structures.bbox import bbox_overlaps
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger


def match_predictions(ious: np.ndarray, gt_labels: np.ndarray, pred_labels: np.ndarray,
                      iou_thrs: np.ndarray) -> np.ndarray:
    """True-positive flags (P, T) of predictions (ordered by descending score) for each
    threshold; ``ious`` is (G, P). See step 1 of the module docstring."""
    correct = np.zeros((len(pred_labels), len(iou_thrs)), dtype=bool)
    if ious.size == 0:
        return correct
    ious = ious * (gt_labels[:, None] == pred_labels[None, :])
    for t, thr in enumerate(iou_thrs):
        gi, pi = np.nonzero(ious >= thr)
        if gi.size == 0:
            continue
        order = np.argsort(-ious[gi, pi], kind='stable')
        gi, pi = gi[order], pi[order]
        _, first = np.unique(pi, return_index=True)  # each prediction: its best GT
        gi, pi = gi[first], pi[first]  # now ordered by prediction index = by score
        _, first = np.unique(gi, return_index=True)  # each GT: its best-scoring prediction
        correct[pi[first], t] = True
    return correct


def precision_envelope(recall: np.ndarray, precision: np.ndarray):
    """The PR curve (recall ascending) closed with (0, 1) and (1, 0), precision made monotone
    (at each recall the best precision at that recall or beyond). Returns (recall, precision)."""
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([1.0], precision, [0.0]))
    return mrec, np.flip(np.maximum.accumulate(np.flip(mpre)))


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """101-point interpolated AP of one PR curve (recall ascending)."""
    mrec, mpre = precision_envelope(recall, precision)
    x = np.linspace(0, 1, 101)
    y = np.interp(x, mrec, mpre)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def box_filter(y: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    """Moving average of width ``round(len * fraction * 2) // 2 + 1``, edges padded by the end
    values (Ultralytics' ``smooth``)."""
    nf = round(len(y) * fraction * 2) // 2 + 1
    pad = np.ones(nf // 2)
    yp = np.concatenate((pad * y[0], y, pad * y[-1]))
    return np.convolve(yp, np.ones(nf) / nf, mode='valid')


def ap_per_class(tp: np.ndarray, conf: np.ndarray, pred_cls: np.ndarray, target_cls: np.ndarray,
                 num_points: int = 1000, eps: float = 1e-16) -> Dict[str, np.ndarray]:
    """Steps 2-3 of the module docstring.

    Args:
        tp: (M, T) true-positive flags of all predictions; conf, pred_cls: (M,);
        target_cls: (G,) labels of all GTs.

    Returns:
        dict: ``classes`` (K,) and ``num_gt`` (K,), per class ``ap`` (K, T), ``p``, ``r``, ``f1``
        (K,) at the chosen confidence, ``conf`` (the chosen confidence), and ``curves``:
        ``conf`` (num_points,) with ``p``, ``r``, ``f1`` (K, num_points) against it, ``recall``
        (num_points,) with ``pr`` (K, num_points), the precision envelope at the first IoU
        threshold against it.
    """
    order = np.argsort(-conf, kind='stable')
    tp, conf, pred_cls = tp[order], conf[order], pred_cls[order]
    classes, counts = np.unique(target_cls, return_counts=True)
    num_t = tp.shape[1]
    grid = np.linspace(0, 1, num_points)
    ap = np.zeros((len(classes), num_t))
    p_curve = np.zeros((len(classes), num_points))
    r_curve = np.zeros((len(classes), num_points))
    pr_curve = np.zeros((len(classes), num_points))
    for k, (c, n_gt) in enumerate(zip(classes, counts)):
        sel = pred_cls == c
        if not sel.any():
            continue
        tpc = tp[sel].cumsum(0)
        fpc = (1 - tp[sel]).cumsum(0)
        recall = tpc / (n_gt + eps)
        precision = tpc / (tpc + fpc)
        # curves against confidence (x decreasing along the sorted predictions)
        r_curve[k] = np.interp(-grid, -conf[sel], recall[:, 0], left=0)
        p_curve[k] = np.interp(-grid, -conf[sel], precision[:, 0], left=1)
        for t in range(num_t):
            ap[k, t] = average_precision(recall[:, t], precision[:, t])
        pr_curve[k] = np.interp(grid, *precision_envelope(recall[:, 0], precision[:, 0]))
    f1_curve = 2 * p_curve * r_curve / (p_curve + r_curve + eps)
    i = int(box_filter(f1_curve.mean(0), 0.1).argmax()) if len(classes) else 0
    curves = dict(conf=grid, p=p_curve, r=r_curve, f1=f1_curve, recall=grid, pr=pr_curve)
    return dict(classes=classes, num_gt=counts, ap=ap, p=p_curve[:, i], r=r_curve[:, i],
                f1=f1_curve[:, i], conf=grid[i], curves=curves)


TABLE_COLUMNS = ('Class', 'Images', 'Instances', 'P', 'R', 'F1', 'mAP50', 'mAP50-95')


def per_class_rows(stats: dict, images_per_class: Dict[int, int], num_images: int,
                   names: Optional[Sequence[str]] = None) -> List[dict]:
    """The per-class table: an ``all`` row (means over the classes with GT; F1 = 2PR/(P+R) of the
    means, the headline F1), then one row per class with GT, then the classes of ``names``
    without GT (values None).

    Args:
        stats: :func:`ap_per_class` output.
        images_per_class: class id -> number of images with a GT of that class.
        num_images: Images evaluated.
        names: Class names of the dataset (``dataset_meta['classes']``).
    """
    def name(c):
        return names[c] if names is not None and 0 <= c < len(names) else str(c)

    rows = []
    classes = [int(c) for c in stats['classes']]
    if classes:
        p, r = float(stats['p'].mean()), float(stats['r'].mean())
        rows.append(dict(Class='all', Images=num_images, Instances=int(stats['num_gt'].sum()),
                         P=p, R=r, F1=2 * p * r / (p + r) if p + r > 0 else 0.0,
                         mAP50=float(stats['ap'][:, 0].mean()),
                         **{'mAP50-95': float(stats['ap'].mean())}))
    for k, c in enumerate(classes):
        rows.append(dict(Class=name(c), Images=images_per_class.get(c, 0),
                         Instances=int(stats['num_gt'][k]), P=float(stats['p'][k]),
                         R=float(stats['r'][k]), F1=float(stats['f1'][k]),
                         mAP50=float(stats['ap'][k, 0]),
                         **{'mAP50-95': float(stats['ap'][k].mean())}))
    for c in range(len(names) if names is not None else 0):
        if c not in classes:
            rows.append(dict(Class=name(c), Images=0, Instances=0, P=None, R=None, F1=None,
                             mAP50=None, **{'mAP50-95': None}))
    return rows


def format_rows(rows: List[dict]) -> str:
    """Fixed-width text of :func:`per_class_rows` (values with 3 decimals, ``-`` for None)."""
    width = max([len(TABLE_COLUMNS[0])] + [len(str(r['Class'])) for r in rows]) + 2
    lines = [TABLE_COLUMNS[0].ljust(width) + ''.join(c.rjust(10) for c in TABLE_COLUMNS[1:])]
    for r in rows:
        cells = [str(r['Images']), str(r['Instances'])]
        cells += ['-' if r[c] is None else f'{r[c]:.3f}' for c in TABLE_COLUMNS[3:]]
        lines.append(str(r['Class']).ljust(width) + ''.join(c.rjust(10) for c in cells))
    return '\n'.join(lines)


def _to_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if hasattr(x, 'tensor'):
        return x.tensor.detach().cpu().numpy()
    return np.asarray(x)


def _mask_tensor(masks) -> torch.Tensor:
    """Bool (N, H, W) tensor of BitmapMasks / PolygonMasks / tensor / array masks."""
    if isinstance(masks, torch.Tensor):
        return masks.bool().cpu()
    if hasattr(masks, 'to_ndarray'):
        return torch.from_numpy(masks.to_ndarray()).bool()
    return torch.as_tensor(np.asarray(masks)).bool()


def mask_ious(gt: torch.Tensor, pred: torch.Tensor, chunk: int = 64) -> np.ndarray:
    """IoU (G, P) between bool masks gt (G, H, W) and pred (P, H, W), chunked over P."""
    if gt.shape[1:] != pred.shape[1:]:
        raise ValueError(f'mask IoU: GT masks {tuple(gt.shape[1:])} and predicted masks '
                         f'{tuple(pred.shape[1:])} differ in size; predict with rescale=True and '
                         'load GT masks at the original image size')
    g = gt.reshape(gt.size(0), -1).float()
    area_g = g.sum(1)
    out = []
    for s in range(0, pred.size(0), chunk):
        p = pred[s:s + chunk].reshape(-1, g.size(1)).float()
        inter = g @ p.t()
        out.append(inter / (area_g[:, None] + p.sum(1)[None] - inter).clamp(min=1e-9))
    return torch.cat(out, 1).numpy() if out else np.zeros((gt.size(0), 0), np.float32)


@METRICS.register_module()
class DetPRF1Metric(BaseMetric):
    """YOLOv8-style mAP50 / mAP50-95 / P / R / F1 (see the module docstring).

    Args:
        metric (str | Sequence[str]): 'bbox' and/or 'segm'.
        iou_thrs (Sequence[float], optional): Defaults to 0.50:0.05:0.95; the first one is the
            threshold of P, R, F1 and mAP50.
        classwise (bool): Log the per-class table (default True).
        save_curves (bool): Save the curve images (default True; inside a Runner or with
            ``curve_dir``).
        curve_dir (str, optional): Where to save them; None: the Runner's log dir.
        collect_device, prefix: As in :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix: Optional[str] = 'prf1'

    def __init__(self,
                 metric='bbox',
                 iou_thrs: Optional[Sequence[float]] = None,
                 classwise: bool = True,
                 save_curves: bool = True,
                 curve_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        metrics = [metric] if isinstance(metric, str) else list(metric)
        for m in metrics:
            if m not in ('bbox', 'segm'):
                raise KeyError(f"DetPRF1Metric: metric must be 'bbox' or 'segm', got {m!r}")
        self.metrics = metrics
        self.iou_thrs = np.linspace(0.5, 0.95, 10) if iou_thrs is None else np.asarray(iou_thrs)
        self.classwise = classwise
        self.save_curves = save_curves
        self.curve_dir = curve_dir
        self.last_stats: Dict[str, dict] = {}

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Match each image's predictions and keep only (score, label, TP flags) and GT labels."""
        for sample in data_samples:
            pred = sample['pred_instances']
            gt = sample['gt_instances']
            scores = _to_numpy(pred['scores']).astype(np.float64)
            order = np.argsort(-scores, kind='stable')
            scores = scores[order]
            pred_labels = _to_numpy(pred['labels']).astype(np.int64)[order]
            gt_labels = _to_numpy(gt['labels']).astype(np.int64)
            result = dict(scores=scores, labels=pred_labels, gt_labels=gt_labels)
            for m in self.metrics:
                if m == 'bbox':
                    g = torch.as_tensor(_to_numpy(gt['bboxes']), dtype=torch.float32)
                    p = torch.as_tensor(_to_numpy(pred['bboxes']), dtype=torch.float32)[order]
                    ious = bbox_overlaps(g.reshape(-1, 4), p.reshape(-1, 4)).numpy()
                else:
                    if 'masks' not in pred or 'masks' not in gt:
                        raise KeyError("DetPRF1Metric(metric='segm') needs pred_instances.masks "
                                       'and gt_instances.masks (LoadAnnotations(with_mask=True) '
                                       'in the test pipeline)')
                    g = _mask_tensor(gt['masks'])
                    p = _mask_tensor(pred['masks'])
                    if len(g) == 0 or len(p) == 0:
                        ious = np.zeros((len(g), len(p)), np.float32)
                    else:
                        ious = mask_ious(g, p[torch.from_numpy(order)])
                result[m] = match_predictions(ious, gt_labels, pred_labels, self.iou_thrs)
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        conf = np.concatenate([r['scores'] for r in results]) if results else np.zeros(0)
        labels = np.concatenate([r['labels'] for r in results]) if results else np.zeros(0, int)
        targets = np.concatenate([r['gt_labels'] for r in results]) if results else np.zeros(0)
        images_per_class: Dict[int, int] = {}
        for r in results:
            for c in np.unique(r['gt_labels']):
                images_per_class[int(c)] = images_per_class.get(int(c), 0) + 1
        classes = self.dataset_meta.get('classes') if self.dataset_meta else None
        curve_dir = self.curve_dir
        if self.save_curves and curve_dir is None:
            from mmext.evaluation.functional.det_curves import default_curve_dir
            curve_dir = default_curve_dir()
        out = {}
        fitness = 0.0
        for m in self.metrics:
            tp = np.concatenate([r[m] for r in results]) if results else np.zeros(
                (0, len(self.iou_thrs)), bool)
            stats = ap_per_class(tp, conf, labels, targets)
            self.last_stats[m] = stats
            if len(stats['classes']) == 0:
                logger.warning(f'DetPRF1Metric: no ground truth at all; {m} metrics are 0')
                p = r = ap50 = ap = 0.0
            else:
                p, r = float(stats['p'].mean()), float(stats['r'].mean())
                ap50, ap = float(stats['ap'][:, 0].mean()), float(stats['ap'].mean())
            f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
            out.update({f'{m}_mAP50': ap50, f'{m}_mAP50-95': ap, f'{m}_P': p, f'{m}_R': r,
                        f'{m}_F1': f1})
            fitness += 0.1 * ap50 + 0.9 * ap
            if self.classwise and len(stats['classes']):
                rows = per_class_rows(stats, images_per_class, len(results), classes)
                thrs = self.iou_thrs
                logger.info(f'{m} per class (P, R, F1 at confidence {stats["conf"]:.3f} and IoU '
                            f'{thrs[0]:.2f}; mAP50-95: mean AP over IoU {thrs[0]:.2f}-'
                            f'{thrs[-1]:.2f}):\n' + format_rows(rows))
            if curve_dir and len(stats['classes']):
                from mmext.evaluation.functional.det_curves import save_det_curves
                names = [classes[c] if classes is not None and c < len(classes) else str(c)
                         for c in stats['classes']]
                curves = dict(stats['curves'], ap50=stats['ap'][:, 0], best_conf=stats['conf'])
                paths = save_det_curves(curves, names, curve_dir,
                                        prefix='' if m == 'bbox' else 'mask_',
                                        title='Box' if m == 'bbox' else 'Mask')
                logger.info(f'{m} curves saved to {osp.dirname(paths[0])}: '
                            + ', '.join(osp.basename(x) for x in paths))
        out['fitness'] = fitness
        return {k: round(v, 4) for k, v in out.items()}
