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
