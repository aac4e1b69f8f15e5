"""mIoU, Dice (DSC), sensitivity and specificity, per class and mean: the four metrics of CogSeg's
Tables 1-3 (which follow Shan et al., "Lung Infection Quantification of COVID-19 in CT Images with
Deep Learning", 2020).

For class ``c`` with ``TP`` (intersection of prediction and label), ``P`` (predicted pixels),
``L`` (label pixels) and ``N`` (valid pixels, the ignore index excluded)::

    FP = P - TP,   FN = L - TP,   TN = N - P - L + TP
    IoU  = TP / (TP + FP + FN)            Dice = 2 TP / (2 TP + FP + FN) = 2 TP / (P + L)
    Sens = TP / (TP + FN)  (recall)       Spec = TN / (TN + FP)

``average='dataset'`` (default, like mmseg's ``IoUMetric``) sums the counts over the whole test
set first; ``average='image'`` computes every value per image and averages over the images where
it is defined (``0/0`` is skipped). Means are ``nanmean`` over classes, in percent, rounded to two
decimals (mmseg's convention). Returned keys: ``mIoU``, ``mDice``, ``mSens``, ``mSpec`` over all
classes, and the same with the suffix ``_fg`` over all classes except ``background_index``
(``None`` disables them).

The paper does not say which classes its means cover. In all its rows mIoU is larger than DSC,
which is impossible for the same set of classes (per class, Dice >= IoU), so its mIoU must count
the background and its DSC cannot: the CogSeg table files compare the paper's mIoU with ``mIoU``
and its DSC, Sens. and Spec. with the ``_fg`` means.
"""
import warnings
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS
from prettytable import PrettyTable

METRIC_NAMES = ('IoU', 'Dice', 'Sens', 'Spec')


def overlap_metrics(tp: np.ndarray, pred: np.ndarray, label: np.ndarray,
                    num_valid) -> Dict[str, np.ndarray]:
    """IoU, Dice, sensitivity and specificity from per-class counts (NaN where ``0/0``).

    Args:
        tp, pred, label: ``[..., C]`` true positives, predicted and labelled pixels per class.
        num_valid: ``[...]`` (or scalar) valid pixels.

    Returns:
        dict of ``[..., C]`` float64 arrays (fractions, not percent).
    """
    tp, pred, label = (np.asarray(a, dtype=np.float64) for a in (tp, pred, label))
    n = np.asarray(num_valid, dtype=np.float64)[..., None]
    fp = pred - tp
    fn = label - tp
    tn = n - pred - label + tp
    with np.errstate(divide='ignore', invalid='ignore'):
        return OrderedDict(
            IoU=tp / (tp + fp + fn),
            Dice=2 * tp / (2 * tp + fp + fn),
            Sens=tp / (tp + fn),
            Spec=tn / (tn + fp))


@METRICS.register_module()
class DiceSensSpecMetric(IoUMetric):
    """mIoU, Dice, sensitivity and specificity (per class and mean) for semantic segmentation.

    Args:
        ignore_index (int): label ignored in the counts. Default 255.
        background_index (int, optional): class left out of the ``_fg`` means. Default 0.
        average (str): ``'dataset'`` (counts summed over the test set) or ``'image'``.
        collect_device, prefix, output_dir, format_only: as mmseg's ``IoUMetric``.
    """

    def __init__(self,
                 ignore_index: int = 255,
                 background_index: Optional[int] = 0,
                 average: str = 'dataset',
                 collect_device: str = 'cpu',
                 output_dir: Optional[str] = None,
                 format_only: bool = False,
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        if average not in ('dataset', 'image'):
            raise ValueError(f"average must be 'dataset' or 'image', got {average!r}")
        super().__init__(
            ignore_index=ignore_index,
            iou_metrics=['mIoU'],
            collect_device=collect_device,
            output_dir=output_dir,
            format_only=format_only,
            prefix=prefix,
            **kwargs)
        self.background_index = background_index
        self.average = average

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Metrics from the per-image ``(intersect, union, pred, label)`` counts of ``process``."""
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            return OrderedDict()
        if not results:
            raise ValueError('DiceSensSpecMetric: no predictions were processed')
        tp, _, pred, label = (np.stack([np.asarray(r[k].cpu()) for r in results])
                              for k in range(4))
        num_valid = label.sum(axis=1)  # every valid pixel has exactly one label
        if self.average == 'dataset':
            per_class = overlap_metrics(tp.sum(0), pred.sum(0), label.sum(0), num_valid.sum())
        else:
            per_image = overlap_metrics(tp, pred, label, num_valid)
            with warnings.catch_warnings():  # a class undefined in every image: NaN, no warning
                warnings.simplefilter('ignore', RuntimeWarning)
                per_class = OrderedDict((k, np.nanmean(v, axis=0)) for k, v in per_image.items())
        num_classes = tp.shape[1]
        fg = [c for c in range(num_classes) if c != self.background_index]
        metrics: Dict[str, float] = OrderedDict()
        for name in METRIC_NAMES:
            metrics[f'm{name}'] = _mean_percent(per_class[name])
        if self.background_index is not None:
            for name in METRIC_NAMES:
                metrics[f'm{name}_fg'] = _mean_percent(per_class[name][fg])
        self._log_table(per_class, logger)
        return metrics

    def _log_table(self, per_class: Dict[str, np.ndarray], logger: MMLogger) -> None:
        classes: Sequence[str] = self.dataset_meta.get('classes') if self.dataset_meta else None
        num_classes = len(next(iter(per_class.values())))
        if classes is None or len(classes) != num_classes:
            classes = [str(c) for c in range(num_classes)]
        table = PrettyTable()
        table.add_column('Class', list(classes))
        for name, value in per_class.items():
            table.add_column(name, [round(float(v) * 100, 2) for v in value])
        print_log(f'per class results ({self.average} average):', logger)
        print_log('\n' + table.get_string(), logger=logger)


def _mean_percent(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    if np.all(np.isnan(values)):
        return float('nan')
    return float(np.round(np.nanmean(values) * 100, 2))

