"""DetPRF1Metric on hand-made predictions with values worked out by hand.

AP uses 101 recall points and the trapezoidal rule on a curve that ends at precision 0 at recall 1
(YOLOv8's definition), so a perfect detector scores 1 - 0.01 / 2 = 0.995, and finding one of two
objects with precision 1 scores 0.5 + 0.5 * 0.5 = 0.75."""
import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks

import mmext  # noqa: F401
from mmext.evaluation.metrics import DetPRF1Metric
from mmext.evaluation.metrics.det_prf1_metric import match_predictions


def sample(gt_boxes, gt_labels, boxes, scores, labels, gt_masks=None, masks=None):
    gt = dict(bboxes=torch.tensor(gt_boxes, dtype=torch.float32).reshape(-1, 4),
              labels=torch.tensor(gt_labels, dtype=torch.long))
    pred = dict(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                scores=torch.tensor(scores, dtype=torch.float32),
                labels=torch.tensor(labels, dtype=torch.long))
    if gt_masks is not None:
        gt['masks'] = BitmapMasks(np.asarray(gt_masks, np.uint8), *gt_masks[0].shape)
        pred['masks'] = torch.as_tensor(np.asarray(masks, bool))
    return dict(gt_instances=gt, pred_instances=pred)


def evaluate(samples, metric='bbox', classes=('a', 'b')):
    m = DetPRF1Metric(metric=metric)
    m.dataset_meta = dict(classes=classes)
    m.process({}, samples)
    return m.compute_metrics(m.results)


def test_perfect_detections():
    s1 = sample([[0, 0, 10, 10], [20, 20, 40, 30]], [0, 1],
                [[0, 0, 10, 10], [20, 20, 40, 30]], [0.9, 0.8], [0, 1])
    s2 = sample([[5, 5, 15, 25]], [1], [[5, 5, 15, 25]], [0.7], [1])
    r = evaluate([s1, s2])
    assert r['bbox_mAP50'] == pytest.approx(0.995) and r['bbox_mAP50-95'] == pytest.approx(0.995)
    assert (r['bbox_P'], r['bbox_R'], r['bbox_F1']) == (1.0, 1.0, 1.0)


def test_half_recall():
    r = evaluate([sample([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0],
                         [[0, 0, 10, 10]], [0.9], [0])])
    assert r['bbox_mAP50'] == pytest.approx(0.75) and r['bbox_mAP50-95'] == pytest.approx(0.75)
    assert r['bbox_P'] == pytest.approx(1.0) and r['bbox_R'] == pytest.approx(0.5)
    assert r['bbox_F1'] == pytest.approx(2 / 3, abs=1e-4)


def test_iou_062_counts_at_three_thresholds():
    # IoU 62 / 100 = 0.62: a hit at 0.50, 0.55, 0.60 only
    r = evaluate([sample([[0, 0, 10, 10]], [0], [[0, 0, 10, 6.2]], [0.9], [0])])
    assert r['bbox_mAP50'] == pytest.approx(0.995)
    assert r['bbox_mAP50-95'] == pytest.approx(0.995 * 3 / 10, abs=1e-4)


def test_missed_class_with_a_false_positive():
    # class a found at score 0.9; the b object missed, a false b (elsewhere) at score 0.3
    r = evaluate([sample([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 1],
                         [[0, 0, 10, 10], [50, 50, 60, 60]], [0.9, 0.3], [0, 1])])
    assert r['bbox_mAP50'] == pytest.approx((0.995 + 0.0) / 2)
    # mean F1 is 0.5 for every confidence <= 0.9 (a: P = R = 1; b: R = 0); the first maximum
    # is confidence 0, where b's precision is 0: P = (1 + 0) / 2, R = (1 + 0) / 2
    assert r['bbox_P'] == pytest.approx(0.5) and r['bbox_R'] == pytest.approx(0.5)
    assert r['bbox_F1'] == pytest.approx(0.5)


def test_matching_rule():
    thrs = np.array([0.5])
    # two predictions on one GT: the higher-scoring one (index 0) is the hit
    assert match_predictions(np.array([[0.7, 0.95]]), np.array([0]), np.array([0, 0]),
                             thrs)[:, 0].tolist() == [True, False]
    # prediction 0 overlaps GT A (0.9) and GT B (0.6), prediction 1 only B (0.55): both hit
    ious = np.array([[0.9, 0.0], [0.6, 0.55]])
    assert match_predictions(ious, np.array([0, 0]), np.array([0, 0]),
                             thrs)[:, 0].tolist() == [True, True]
    # a class mismatch never matches
    assert not match_predictions(np.array([[1.0]]), np.array([1]), np.array([0]), thrs).any()


def test_mask_metric():
    gt = np.zeros((1, 12, 12), np.uint8)
    gt[0, 1:11, 1:11] = 1  # 100 px
    pred = np.zeros((1, 12, 12), bool)
    pred[0, 1:10, 1:9] = True  # 72 px inside: IoU 0.72 -> hits at 0.50 ... 0.70
    s = sample([[1, 1, 11, 11]], [0], [[1, 1, 11, 11]], [0.9], [0], gt_masks=gt, masks=pred)
    r = evaluate([s], metric=['bbox', 'segm'])
    assert r['bbox_mAP50-95'] == pytest.approx(0.995)
    assert r['segm_mAP50'] == pytest.approx(0.995)
    assert r['segm_mAP50-95'] == pytest.approx(0.995 * 5 / 10, abs=1e-4)


def test_no_predictions_and_no_gt():
    r = evaluate([sample([[0, 0, 5, 5]], [0], [], [], [])])
    assert r['bbox_mAP50'] == 0 and r['bbox_F1'] == 0
    r = evaluate([sample([], [], [[0, 0, 5, 5]], [0.5], [0])])
    assert r['bbox_mAP50'] == 0
    with pytest.raises(KeyError, match="'bbox' or 'segm'"):
        DetPRF1Metric(metric='proposal')


def test_fitness_per_class_table_and_curve_files(tmp_path, caplog):
    """fitness = 0.1 mAP50 + 0.9 mAP50-95 (Ultralytics' best.pt score); the per-class table has
    the 'all' row, one row per class with GT (counts by hand) and absent classes with '-'; the
    four curve images are written to curve_dir."""
    from mmext.evaluation.metrics.det_prf1_metric import format_rows, per_class_rows
    s1 = sample([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0], [[0, 0, 10, 10]], [0.9], [0])
    s2 = sample([[0, 0, 10, 10]], [0], [[0, 0, 10, 6.2]], [0.8], [0])
    m = DetPRF1Metric(metric='bbox', curve_dir=str(tmp_path))
    m.dataset_meta = dict(classes=('a', 'b', 'c'))
    m.process({}, [s1, s2])
    r = m.compute_metrics(m.results)
    assert r['fitness'] == pytest.approx(0.1 * r['bbox_mAP50'] + 0.9 * r['bbox_mAP50-95'],
                                         abs=2e-4)
    stats = m.last_stats['bbox']
    rows = per_class_rows(stats, {0: 2}, 2, ('a', 'b', 'c'))
    assert [row['Class'] for row in rows] == ['all', 'a', 'b', 'c']
    assert (rows[1]['Images'], rows[1]['Instances']) == (2, 3)
    assert rows[2]['P'] is None and rows[3]['mAP50'] is None
    assert rows[1]['mAP50'] == pytest.approx(r['bbox_mAP50'], abs=1e-4)
    text = format_rows(rows)
    assert text.splitlines()[0].split() == ['Class', 'Images', 'Instances', 'P', 'R', 'F1',
                                            'mAP50', 'mAP50-95']
    assert text.splitlines()[3].split()[-1] == '-'
    for name in ('pr_curve.png', 'f1_curve.png', 'p_curve.png', 'r_curve.png'):
        f = tmp_path / name
        assert f.is_file() and f.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_pr_curve_is_the_precision_envelope():
    """The saved PR curve at the first IoU threshold: one TP at 0.9 then one FP at 0.5 with two
    GTs -> precision 1 up to recall 0.5; beyond it the curve falls linearly from the FP's 0.5 to 0 at
    recall 1 (the closing point (1, 0))."""
    from mmext.evaluation.metrics.det_prf1_metric import ap_per_class
    tp = np.array([[True], [False]])
    stats = ap_per_class(tp, np.array([0.9, 0.5]), np.array([0, 0]), np.array([0, 0]))
    c = stats['curves']
    at = lambda x: float(np.interp(x, c['recall'], c['pr'][0]))  # noqa: E731
    assert at(0.25) == pytest.approx(1.0) and at(0.45) == pytest.approx(1.0, abs=1e-6)
    assert at(0.75) == pytest.approx(0.25, abs=0.01) and at(1.0) == pytest.approx(0.0)
