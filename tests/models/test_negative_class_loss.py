import math

import pytest
import torch

import mmext  # noqa: F401
from mmext.models.utils import negative_class_loss_sum


def _build(cfg):
    from mmdet.registry import MODELS
    return MODELS.build(cfg)


def test_focal_closed_form_at_hand_computed_values():
    focal = _build(dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25))
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), -1e4]])
    # x = 0: sigmoid 1/2, softplus ln 2 -> 0.75 * 1/4 * ln 2 per class
    # x = ln 3: sigmoid 3/4, softplus ln 4 -> 0.75 * 9/16 * ln 4; x = -1e4: 0
    expected = torch.tensor([2 * 0.75 * 0.25 * math.log(2.0), 0.75 * 9 / 16 * math.log(4.0)])
    assert torch.allclose(negative_class_loss_sum(focal, logits), expected, rtol=1e-6)


@pytest.mark.parametrize('gamma, alpha, weight', [(2.0, 0.25, 1.0), (1.5, 0.4, 2.0)])
def test_focal_closed_form_equals_the_module(gamma, alpha, weight):
    focal = _build(dict(type='FocalLoss', use_sigmoid=True, gamma=gamma, alpha=alpha,
                        loss_weight=weight))
    logits = torch.randn(3000, 80, generator=torch.Generator().manual_seed(0)) * 4
    logits[0, :4] = torch.tensor([-40.0, 40.0, 0.0, 25.0])  # both tails and softplus's threshold
    module = focal(logits, torch.zeros_like(logits), reduction_override='none').sum(-1)
    assert torch.allclose(negative_class_loss_sum(focal, logits), module, rtol=1e-5, atol=1e-6)


def test_other_losses_go_through_the_module_in_blocks():
    bce = _build(dict(type='CrossEntropyLoss', use_sigmoid=True))
    logits = torch.randn(1000, 7, generator=torch.Generator().manual_seed(1))
    expected = torch.nn.functional.softplus(logits).sum(-1)  # BCE(x, 0) = softplus(x)
    for block in (1 << 17, 50):  # one block, and many
        assert torch.allclose(negative_class_loss_sum(bce, logits, block), expected, atol=1e-5)
    assert negative_class_loss_sum(bce, logits[:0]).shape == (0, )
