"""mIoU, Dice (DSC), sensitivity and specificity under every convention a reader of CogSeg's Tables
1-3 could mean (the paper follows Shan et al., "Lung Infection Quantification of COVID-19 in CT
Images with Deep Learning", 2020, and states none of them).

For class ``c`` with ``TP`` (prediction and label agree on ``c``), ``P`` (predicted pixels),
``L`` (label pixels) and ``N`` (scored pixels)::

    FP = P - TP,   FN = L - TP,   TN = N - P - L + TP
    IoU  = TP / (TP + FP + FN)            Dice = 2 TP / (2 TP + FP + FN) = 2 TP / (P + L)
    Sens = TP / (TP + FN)  (recall)       Spec = TN / (TN + FP)

Every image's ``C x C`` confusion matrix is kept, so that all conventions come from one run and a
table can print them side by side. Keys (percent, rounded to two decimals, mmseg's convention)::

    m{IoU,Dice,Sens,Spec}{classes}{scope}{averaging}

- classes: ``''`` all classes (background included, mmseg's ``mIoU``); ``_fg`` the classes other
  than ``background_index``; ``_bin`` the binary problem "any infection vs rest" (the foreground
  classes merged into one), mean of its two classes; ``_inf`` that merged infection class alone.
- scope: ``''`` every labelled pixel; ``_lung`` only the pixels inside the lung mask (needs
  ``gt_lung_mask`` in the data samples, see ``LoadLungMask``; absent keys otherwise).
- averaging: ``''`` the one chosen by ``average``; the other one with the suffix ``_img``
  (per image) or ``_ds`` (per dataset). ``'dataset'`` sums the counts over the test set first
  (mmseg's ``IoUMetric``); ``'image'`` computes each value per image and averages over images.

Per class (whole slice, the chosen averaging): ``IoU.<class>``, ``Dice.<class>``, ``Sens.<class>``,
``Spec.<class>``.

Rule for a class absent from both the label and the prediction of an image (``0/0``):
``empty_score=None`` (default) leaves that image out of the class's mean, ``1.0`` counts it as
perfect (IoU = Dice = Sens = 1), ``0.0`` as a miss. It matters for per-image averaging only (a
class absent from the whole test set is NaN and left out of the means, as in mmseg).

Arithmetic links between the conventions (used to tell which one a paper's numbers can be): per
class ``IoU = Dice / (2 - Dice) <= Dice``, and ``x -> x / (2 - x)`` is concave, so a mean IoU is
at most ``f(mean Dice)`` over the same classes and images. Hence with ``K`` foreground classes
``mIoU <= (100 + K f(mDice_fg)) / (K + 1)``; CogSeg's COVID-19_1 rows break it for 10 of 11 rows
with ``K = 3``. See ``configs/cogseg/README.md`` for the mapping the CogSeg tables use.
"""
import os.path as osp
import warnings
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS
from PIL import Image
from prettytable import PrettyTable

METRIC_NAMES = ('IoU', 'Dice', 'Sens', 'Spec')
EMPTY_SCORES = (None, 0.0, 1.0)


def overlap_metrics(tp: np.ndarray, pred: np.ndarray, label: np.ndarray,
                    num_valid) -> Dict[str, np.ndarray]:
    """IoU, Dice, sensitivity and specificity from per-class counts (NaN where ``0/0``).

    Args:
        tp, pred, label: ``[..., C]`` true positives, predicted and labelled pixels per class.
        num_valid: ``[...]`` (or scalar) scored pixels.

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


def confusion_counts(cm: np.ndarray):
    """``(tp, pred, label, num_valid)`` of confusion matrices ``[..., C, C]`` (rows: label,
    columns: prediction)."""
    cm = np.asarray(cm, dtype=np.float64)
    return (np.diagonal(cm, axis1=-2, axis2=-1), cm.sum(-2), cm.sum(-1), cm.sum((-2, -1)))


def merge_classes(cm: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Confusion matrices ``[..., C, C]`` of the classes merged into ``groups`` ->
    ``[..., G, G]``."""
    num_classes = cm.shape[-1]
    onehot = np.zeros((num_classes, len(groups)))
    for g, members in enumerate(groups):
        onehot[list(members), g] = 1
    return np.einsum('...ij,ia,jb->...ab', cm, onehot, onehot)


def scores(cm: np.ndarray, average: str, empty_score: Optional[float] = None
           ) -> Dict[str, np.ndarray]:
    """Per-class IoU, Dice, Sens, Spec (fractions) of per-image confusion matrices ``[N, C, C]``,
    averaged per ``'dataset'`` or per ``'image'`` (see the module docstring for
    ``empty_score``)."""
    if average == 'dataset':
        return overlap_metrics(*confusion_counts(cm.sum(0)))
    tp, pred, label, n = confusion_counts(cm)
    per_image = overlap_metrics(tp, pred, label, n)
    if empty_score is not None:
        empty = (pred + label) == 0
        for name in ('IoU', 'Dice', 'Sens'):
            per_image[name] = np.where(empty, empty_score, per_image[name])
    with warnings.catch_warnings():  # a class undefined in every image: NaN, no warning
        warnings.simplefilter('ignore', RuntimeWarning)
        return OrderedDict((k, np.nanmean(v, axis=0)) for k, v in per_image.items())


@METRICS.register_module()
class DiceSensSpecMetric(IoUMetric):
    """mIoU, Dice, sensitivity and specificity (per class and mean) under several conventions.

    Args:
        ignore_index (int): label ignored in the counts. Default 255.
        background_index (int, optional): the class left out of the ``_fg`` means and merged
            against all others in ``_bin``/``_inf``. ``None`` disables those keys. Default 0.
        average (str): ``'dataset'`` (counts summed over the test set, default) or ``'image'``:
            which averaging the unsuffixed keys use; the other gets a suffix.
        empty_score (float, optional): the rule for a class absent from both label and
            prediction of an image under per-image averaging: ``None`` skip (default), ``1.0``,
            ``0.0``.
        lung_mask (str): ``'auto'`` (``_lung`` keys when the data samples have
            ``gt_lung_mask``), ``'require'`` (error naming the image otherwise) or ``'off'``.
        collect_device, prefix, output_dir, format_only: as mmseg's ``IoUMetric``.
    """

    def __init__(self,
                 ignore_index: int = 255,
                 background_index: Optional[int] = 0,
                 average: str = 'dataset',
                 empty_score: Optional[float] = None,
                 lung_mask: str = 'auto',
                 collect_device: str = 'cpu',
                 output_dir: Optional[str] = None,
                 format_only: bool = False,
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        if average not in ('dataset', 'image'):
            raise ValueError(f"DiceSensSpecMetric: average must be 'dataset' or 'image', got "
                             f'{average!r}')
        if empty_score not in EMPTY_SCORES:
            raise ValueError(f'DiceSensSpecMetric: empty_score must be one of {EMPTY_SCORES}, '
                             f'got {empty_score!r}')
        if lung_mask not in ('auto', 'require', 'off'):
            raise ValueError("DiceSensSpecMetric: lung_mask must be 'auto', 'require' or 'off', "
                             f'got {lung_mask!r}')
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
        self.empty_score = empty_score
        self.lung_mask = lung_mask

    def confusion(self, pred: torch.Tensor, label: torch.Tensor, num_classes: int,
                  keep: Optional[torch.Tensor] = None) -> np.ndarray:
        """``[C, C]`` confusion matrix (rows label, columns prediction) of the pixels whose label
        is not ``ignore_index`` (and, with ``keep``, where ``keep`` is true)."""
        valid = label != self.ignore_index
        if keep is not None:
            valid &= keep
        label, pred = label[valid].long(), pred[valid].long()
        if label.numel() and (int(label.max()) >= num_classes or int(pred.max()) >= num_classes
                              or int(label.min()) < 0):
            raise ValueError(f'DiceSensSpecMetric: label or prediction values outside 0..'
                             f'{num_classes - 1} (and ignore_index {self.ignore_index})')
        cm = torch.bincount(label * num_classes + pred, minlength=num_classes**2)
        return cm.reshape(num_classes, num_classes).cpu().numpy().astype(np.int64)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store each image's confusion matrix (whole slice and, if given, inside the lung)."""
        num_classes = len(self.dataset_meta['classes'])
        for data_sample in data_samples:
            pred = data_sample['pred_sem_seg']['data'].squeeze()
            if not self.format_only:
                label = data_sample['gt_sem_seg']['data'].squeeze().to(pred)
                record = dict(cm=self.confusion(pred, label, num_classes))
                lung = data_sample.get('gt_lung_mask', None)
                if lung is None and self.lung_mask == 'require':
                    raise KeyError(f'DiceSensSpecMetric: lung_mask="require" but '
                                   f'{data_sample.get("img_path", "an image")} has no '
                                   'gt_lung_mask (add LoadLungMask to the test pipeline)')
                if lung is not None and self.lung_mask != 'off':
                    lung = lung['data'].squeeze().to(pred.device)
                    if lung.shape != label.shape:
                        raise ValueError(
                            f'DiceSensSpecMetric: {data_sample.get("lung_mask_path", "?")}: lung '
                            f'mask {tuple(lung.shape)} vs label map {tuple(label.shape)}')
                    record['cm_lung'] = self.confusion(pred, label, num_classes, lung > 0)
                self.results.append(record)
            if self.output_dir is not None:
                basename = osp.splitext(osp.basename(data_sample['img_path']))[0]
                out = pred.cpu().numpy()
                if data_sample.get('reduce_zero_label', False):
                    out = out + 1
                Image.fromarray(out.astype(np.uint8)).save(
                    osp.abspath(osp.join(self.output_dir, f'{basename}.png')))

    def _groups(self, num_classes: int) -> Dict[str, Optional[List[int]]]:
        all_classes = list(range(num_classes))
        if self.background_index is None:
            return {'': all_classes}
        fg = [c for c in all_classes if c != self.background_index]
        return {'': all_classes, '_fg': fg}

    def _keys_for(self, cm: np.ndarray, scope: str, suffix: str, average: str,
                  metrics: Dict[str, float]) -> Dict[str, np.ndarray]:
        num_classes = cm.shape[-1]
        per_class = scores(cm, average, self.empty_score)
        for classes, members in self._groups(num_classes).items():
            for name in METRIC_NAMES:
                metrics[f'm{name}{classes}{scope}{suffix}'] = _mean_percent(
                    per_class[name][members])
        if self.background_index is not None:
            fg = [c for c in range(num_classes) if c != self.background_index]
            binary = scores(merge_classes(cm, [[self.background_index], fg]), average,
                            self.empty_score)
            for name in METRIC_NAMES:
                metrics[f'm{name}_bin{scope}{suffix}'] = _mean_percent(binary[name])
            for name in METRIC_NAMES:
                metrics[f'm{name}_inf{scope}{suffix}'] = _mean_percent(binary[name][1:])
        return per_class

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """All the keys of the module docstring from the stored confusion matrices."""
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            return OrderedDict()
        if not results:
            raise ValueError('DiceSensSpecMetric: no predictions were processed')
        other = 'image' if self.average == 'dataset' else 'dataset'
        other_suffix = '_img' if other == 'image' else '_ds'
        scopes = [('', 'cm')]
        with_lung = [('cm_lung' in r) for r in results]
        if any(with_lung):
            if not all(with_lung):
                raise ValueError(f'DiceSensSpecMetric: {sum(with_lung)} of {len(results)} images '
                                 'have a lung mask; give all of them one or none')
            scopes.append(('_lung', 'cm_lung'))
        metrics: Dict[str, float] = OrderedDict()
        tables = {}
        for scope, key in scopes:
            cm = np.stack([r[key] for r in results])
            tables[scope] = self._keys_for(cm, scope, '', self.average, metrics)
            self._keys_for(cm, scope, other_suffix, other, metrics)
        for name in METRIC_NAMES:  # per class, whole slice, the chosen averaging
            for c, cls in enumerate(self._class_names(len(tables['']['IoU']))):
                value = tables[''][name][c]
                metrics[f'{name}.{cls}'] = float('nan') if np.isnan(value) else \
                    float(np.round(value * 100, 2))
        self._log_table(tables[''], logger)
        return metrics

    def _class_names(self, num_classes: int) -> List[str]:
        classes = self.dataset_meta.get('classes') if self.dataset_meta else None
        if classes is None or len(classes) != num_classes:
            return [str(c) for c in range(num_classes)]
        return list(classes)

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
    if values.size == 0 or np.all(np.isnan(values)):
        return float('nan')
    return float(np.round(np.nanmean(values) * 100, 2))
