"""The refined GFL's classification loss (QFL with the paper's alpha) and DFL against numbers
computed by hand; QFL with hard labels against the paper's Formula 1 written out literally."""
import math

import pytest
import torch
from mmdet.models.dense_heads.gfl_head import Integral
from mmdet.models.losses import DistributionFocalLoss, QualityFocalLoss

import mmext  # noqa: F401
from mmext.models.losses import RefinedQualityFocalLoss

LN3 = math.log(3.0)


def test_qfl_hand_values():
    # positive: logit 0 (sigma 0.5), y 0.8: |0.8 - 0.5|^2 * ln 2 = 0.09 * 0.693147
    # negative: logit ln 3 (sigma 0.75), y 0: 0.75^2 * -ln(0.25) = 0.5625 * 1.386294
    pred = torch.tensor([[0.0, LN3]])
    target = torch.tensor([[0.8, 0.0]])
    pos, neg = 0.09 * math.log(2), 0.5625 * math.log(4)
    loss = RefinedQualityFocalLoss(beta=2.0, reduction='sum')
    assert loss(pred, target).item() == pytest.approx(pos + neg, rel=1e-6)
    balanced = RefinedQualityFocalLoss(beta=2.0, alpha=0.25, reduction='sum')
    assert balanced(pred, target).item() == pytest.approx(0.25 * pos + 0.75 * neg, rel=1e-6)
    # mmdet's tuple target (labels, scores), background label = C
    labels, scores = torch.tensor([0]), torch.tensor([0.8])
    assert balanced(pred, (labels, scores)).item() == pytest.approx(0.25 * pos + 0.75 * neg,
                                                                   rel=1e-6)


def test_alpha_none_is_mmdet_qfl():
    torch.manual_seed(0)
    pred = torch.randn(20, 7)
    target = torch.zeros(20, 7)
    target[torch.arange(0, 20, 2), torch.randint(0, 7, (10, ))] = torch.rand(10)
    weight = torch.rand(20)
    ours = RefinedQualityFocalLoss(beta=2.0, loss_weight=0.5)(pred, target, weight=weight,
                                                              avg_factor=3.0)
    ref = QualityFocalLoss(beta=2.0, loss_weight=0.5)(pred, target, weight=weight, avg_factor=3.0)
    assert ours.item() == pytest.approx(ref.item(), rel=1e-6)


def test_hard_labels_give_formula_1():
    """L = -alpha_t (1 - p_t)^gamma log(p_t), p_t = p for y = 1 and 1 - p for y = 0."""
    torch.manual_seed(1)
    pred = torch.randn(6, 4, dtype=torch.float64)
    y = (torch.rand(6, 4) > 0.6).double()
    alpha, gamma = 0.25, 2.0
    p = torch.sigmoid(pred)
    literal = 0.0
    for i in range(6):
        for c in range(4):
            p_t = p[i, c] if y[i, c] == 1 else 1 - p[i, c]
            a_t = alpha if y[i, c] == 1 else 1 - alpha
            literal += -a_t * (1 - p_t)**gamma * math.log(p_t)
    ours = RefinedQualityFocalLoss(beta=gamma, alpha=alpha, reduction='sum')(pred, y)
    assert ours.item() == pytest.approx(float(literal), rel=1e-9)


def test_activated_inputs_and_errors():
    prob = torch.tensor([[0.5, 0.75]])
    target = torch.tensor([[0.8, 0.0]])
    loss = RefinedQualityFocalLoss(alpha=0.5, activated=True, reduction='sum')
    expected = 0.5 * (0.09 * math.log(2) + 0.5625 * math.log(4))
    assert loss(prob, target).item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match='alpha'):
        RefinedQualityFocalLoss(alpha=1.5)
    with pytest.raises(ValueError, match='same shape'):
        RefinedQualityFocalLoss(alpha=0.25)(torch.zeros(2, 3), torch.zeros(2, 4))


def test_dfl_hand_value_and_optimum():
    """DFL(S_i, S_i+1) = -((y_i+1 - y) log S_i + (y - y_i) log S_i+1), 16 bins, y = 2.3."""
    logits = torch.zeros(1, 16)
    logits[0, 2], logits[0, 3] = math.log(7), math.log(3)  # softmax: 7/24 and 3/24
    expected = -(0.7 * math.log(7 / 24) + 0.3 * math.log(3 / 24))
    dfl = DistributionFocalLoss(reduction='sum')
    assert dfl(logits, torch.tensor([2.3])).item() == pytest.approx(expected, rel=1e-6)
    # at the optimum S_2 = 0.7, S_3 = 0.3 the expectation (YOLOv8's 16-bin Integral) is y
    optimum = torch.full((1, 16), -30.0)
    optimum[0, 2], optimum[0, 3] = math.log(0.7), math.log(0.3)
    integral = Integral(reg_max=15)
    assert integral(optimum.repeat(1, 4))[0].tolist() == pytest.approx([2.3] * 4, rel=1e-5)
