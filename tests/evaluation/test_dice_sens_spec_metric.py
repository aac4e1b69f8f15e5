"""DiceSensSpecMetric on hand-computed confusion counts."""
import pytest
import torch

import mmext  # noqa: F401
from mmext.evaluation.metrics import DiceSensSpecMetric

# image A (255 = ignored)          image B
# label  0 0 1   pred  0 1 1       label  2 2 2   pred  2 2 0
#        1 2 255       1 2 2              0 0 0         0 0 0
LABELS = [[[0, 0, 1], [1, 2, 255]], [[2, 2, 2], [0, 0, 0]]]
PREDS = [[[0, 1, 1], [1, 2, 2]], [[2, 2, 0], [0, 0, 0]]]
# counts by hand (TP, FP, FN, TN), N = 5 and 6 valid pixels:
#   A: class 0 (1, 0, 1, 3)  class 1 (2, 1, 0, 2)  class 2 (1, 0, 0, 3)
#   B: class 0 (3, 1, 0, 2)  class 1 (0, 0, 0, 6)  class 2 (2, 0, 1, 3)
#   summed: class 0 (4, 1, 1, 5)  class 1 (2, 1, 0, 8)  class 2 (3, 0, 1, 7)
DATASET = dict(  # IoU = TP/(TP+FP+FN), Dice = 2TP/(2TP+FP+FN), Sens = TP/(TP+FN), Spec = TN/(TN+FP)
    IoU=[4 / 6, 2 / 3, 3 / 4], Dice=[8 / 10, 4 / 5, 6 / 7], Sens=[4 / 5, 1.0, 3 / 4],
    Spec=[5 / 6, 8 / 9, 1.0])
IMAGE = dict(  # per image, then the mean over the images where the value is defined
    IoU=[(1 / 2 + 3 / 4) / 2, 2 / 3, (1 + 2 / 3) / 2],
    Dice=[(2 / 3 + 6 / 7) / 2, 4 / 5, (1 + 4 / 5) / 2],
    Sens=[(1 / 2 + 1) / 2, 1.0, (1 + 2 / 3) / 2],
    Spec=[(1 + 2 / 3) / 2, (2 / 3 + 1) / 2, 1.0])


def run_metric(**kwargs):
    metric = DiceSensSpecMetric(**kwargs)
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    samples = [dict(pred_sem_seg=dict(data=torch.tensor(p)[None]),
                    gt_sem_seg=dict(data=torch.tensor(g)[None]))
               for p, g in zip(PREDS, LABELS)]
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


@pytest.mark.parametrize('average, expected', [('dataset', DATASET), ('image', IMAGE)])
def test_hand_computed(average, expected):
    metrics = run_metric(average=average)
    for name, per_class in expected.items():
        assert metrics[f'm{name}'] == pytest.approx(round(100 * sum(per_class) / 3, 2))
        assert metrics[f'm{name}_fg'] == pytest.approx(round(100 * sum(per_class[1:]) / 2, 2))


def test_without_background_means():
    metrics = run_metric(background_index=None)
    assert 'mIoU_fg' not in metrics and metrics['mIoU'] == pytest.approx(69.44)


def test_bad_average():
    with pytest.raises(ValueError, match='average'):
        DiceSensSpecMetric(average='pixel')


def test_other_averaging_is_printed_beside():
    ds, img = run_metric(average='dataset'), run_metric(average='image')
    assert ds['mIoU_img'] == img['mIoU'] and img['mIoU_ds'] == ds['mIoU']
    assert ds['mDice_fg_img'] == img['mDice_fg']


def test_binary_any_infection_vs_rest():
    # classes 1 and 2 merged into "infection" (by hand from the two images above):
    #   A: background (TP 1, FP 0, FN 1)  infection (TP 3, FP 1, FN 0), N = 5
    #   B: background (TP 3, FP 1, FN 0)  infection (TP 2, FP 0, FN 1), N = 6
    #   summed: background (4, 1, 1, TN 5)  infection (5, 1, 1, TN 4)
    m = run_metric()
    assert m['mIoU_bin'] == pytest.approx(round(100 * (4 / 6 + 5 / 7) / 2, 2))
    assert m['mIoU_inf'] == pytest.approx(round(100 * 5 / 7, 2))
    assert m['mDice_inf'] == pytest.approx(round(100 * 10 / 12, 2))
    assert m['mSens_inf'] == pytest.approx(round(100 * 5 / 6, 2))
    assert m['mSpec_inf'] == pytest.approx(round(100 * 4 / 5, 2))
    # a lesion predicted as the other lesion class counts in the binary score, not per class
    assert m['mIoU_inf'] > m['mIoU_fg']


def test_empty_slice_rule():
    # class 1 is absent from label and prediction of image B: skipped, perfect or a miss
    skip = run_metric(average='image')
    one = run_metric(average='image', empty_score=1.0)
    zero = run_metric(average='image', empty_score=0.0)
    iou = IMAGE['IoU']
    assert skip['mIoU'] == pytest.approx(round(100 * sum(iou) / 3, 2))
    assert one['mIoU'] == pytest.approx(round(100 * (iou[0] + (2 / 3 + 1) / 2 + iou[2]) / 3, 2))
    assert zero['mIoU'] == pytest.approx(round(100 * (iou[0] + (2 / 3 + 0) / 2 + iou[2]) / 3, 2))
    # the rule is for per-image averaging; dataset counts are unaffected
    assert run_metric(empty_score=1.0)['mIoU'] == run_metric()['mIoU']
    with pytest.raises(ValueError, match='empty_score'):
        DiceSensSpecMetric(empty_score=0.5)


def test_scoring_inside_the_lung_mask():
    # lung mask of image A leaves out its top-right pixel (label 1, pred 1); image B all lung
    lungs = [[[1, 1, 0], [1, 1, 1]], [[1, 1, 1], [1, 1, 1]]]
    metric = DiceSensSpecMetric()
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    samples = [dict(pred_sem_seg=dict(data=torch.tensor(p)[None]),
                    gt_sem_seg=dict(data=torch.tensor(g)[None]),
                    gt_lung_mask=dict(data=torch.tensor(m, dtype=torch.uint8)[None]))
               for p, g, m in zip(PREDS, LABELS, lungs)]
    metric.process({}, samples)
    m = metric.compute_metrics(metric.results)
    # inside the lung, class 1 loses one TP: summed (TP 1, FP 1, FN 0) -> IoU 1/2
    # (classes 0 and 2 keep their counts: 4/6 and 3/4)
    assert m['mIoU_lung'] == pytest.approx(round(100 * (4 / 6 + 1 / 2 + 3 / 4) / 3, 2))
    assert m['mIoU'] == run_metric()['mIoU']  # the whole-slice keys are unchanged
    assert 'mDice_inf_lung' in m and 'mIoU_fg_lung_img' in m
    # all or none of the images need a lung mask
    metric = DiceSensSpecMetric()
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    metric.process({}, samples[:1] + [dict(pred_sem_seg=samples[1]['pred_sem_seg'],
                                           gt_sem_seg=samples[1]['gt_sem_seg'])])
    with pytest.raises(ValueError, match='lung mask'):
        metric.compute_metrics(metric.results)
    metric = DiceSensSpecMetric(lung_mask='require')
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    with pytest.raises(KeyError, match='LoadLungMask'):
        metric.process({}, [dict(pred_sem_seg=samples[1]['pred_sem_seg'],
                                 gt_sem_seg=samples[1]['gt_sem_seg'], img_path='b.png')])


def test_per_class_keys():
    m = run_metric()
    assert m['IoU.a'] == pytest.approx(round(100 * DATASET['IoU'][1], 2))
    assert m['Dice.b'] == pytest.approx(round(100 * DATASET['Dice'][2], 2))
