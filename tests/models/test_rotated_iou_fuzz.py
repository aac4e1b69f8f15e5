"""Property tests of the pure-PyTorch rotated IoU (``mmext.structures.rotated_box_iou``) and of
``RotatedIoULoss`` on random and degenerate boxes: 0, 1, 37 and 2,000 boxes mixing ordinary,
zero-size, huge (1e5 px), out-of-image, duplicate, identical, nested, touching and nearly
parallel boxes, with angles far beyond +-pi. No crash, IoU / IoF in [0, 1], symmetric, 1 for
identical boxes, 0 for disjoint or zero-size ones, periodic in the angle, close to the float64
value; losses finite and non-negative with finite gradients (also for no box at all); NaN / inf
coordinates give a ValueError naming the argument."""
import math

import pytest
import torch

import mmext  # noqa: F401
from mmext.models.losses import RotatedIoULoss
from mmext.structures import rotated_box_iou
from mmext.testing.degenerate_boxes import KINDS, degenerate_rotated_boxes


scene = degenerate_rotated_boxes


def partners(boxes, seed):
    """Boxes paired one to one with ``boxes``: identical, nearly parallel (1e-6 rad, 1e-3 px),
    shifted, nested, touching, the same box described with w/h swapped or the angle + pi, or
    random."""
    gen = torch.Generator().manual_seed(seed)
    num = boxes.shape[0]
    out = boxes.clone()
    how = torch.randint(0, 8, (num, ), generator=gen)
    out[how == 1, 4] += 1e-6
    out[how == 1, 0] += 1e-3
    out[how == 2, :2] += (torch.rand(int((how == 2).sum()), 2, generator=gen) - 0.5) * 20
    out[how == 3, 2:4] *= 0.5  # nested (same centre and angle)
    touching = how == 4  # shares a side: shifted by its width along its own axis
    c, s = torch.cos(boxes[touching, 4]), torch.sin(boxes[touching, 4])
    out[touching, 0] += c * boxes[touching, 2]
    out[touching, 1] += s * boxes[touching, 2]
    swap = how == 5
    out[swap, 2], out[swap, 3] = boxes[swap, 3], boxes[swap, 2]
    out[swap, 4] += math.pi / 2
    out[how == 6, 4] -= 3 * math.pi
    rand, _ = scene(num, seed + 1000)
    out[how == 7] = rand[how == 7]
    return out, how


def positive_area(boxes):
    return (boxes[:, 2] > 0) & (boxes[:, 3] > 0)


@pytest.mark.parametrize('num', [0, 1, 37, 2000])
def test_pairwise_iou_invariants(num):
    boxes, kind = scene(num, seed=num)
    other = scene(min(num, 40), seed=num + 1)[0]
    iou = rotated_box_iou(boxes, other)
    assert iou.shape == (num, other.shape[0])
    assert torch.isfinite(iou).all() and (iou >= 0).all() and (iou <= 1).all()
    # symmetric
    assert torch.allclose(iou, rotated_box_iou(other, boxes).T, atol=1e-5)
    # IoF >= IoU, also within [0, 1]
    iof = rotated_box_iou(boxes, other, mode='iof')
    assert torch.isfinite(iof).all() and (iof <= 1).all() and (iof >= iou - 1e-6).all()
    # zero-size boxes overlap nothing
    assert (iou[~positive_area(boxes)] == 0).all()
    # close to the float64 value (huge boxes, needles and big angles included)
    ref = rotated_box_iou(boxes.double(), other.double())
    assert torch.allclose(iou.double(), ref, atol=1e-3), (iou.double() - ref).abs().max()
    # the aligned form is the diagonal of the pairwise one
    k = min(num, other.shape[0])
    assert torch.allclose(rotated_box_iou(boxes[:k], other[:k], aligned=True),
                          torch.diagonal(iou[:k, :k]), atol=1e-6)


@pytest.mark.parametrize('num', [1, 37, 2000])
def test_aligned_iou_of_related_boxes(num):
    boxes, kind = scene(num, seed=10 + num)
    other, how = partners(boxes, seed=20 + num)
    iou = rotated_box_iou(boxes, other, aligned=True)
    assert torch.isfinite(iou).all() and (iou >= 0).all() and (iou <= 1).all()
    pos = positive_area(boxes)
    # identical boxes: 1; the same box with w/h swapped (angle + pi/2) or the angle - 3 pi: 1 up
    # to the rounding of the float32 angle (a 1e-7 rad turn of a 0.01 x 46 px needle: 2e-4)
    assert torch.allclose(iou[pos & (how == 0)], torch.ones_like(iou[pos & (how == 0)]),
                          atol=1e-5)
    same = pos & ((how == 5) | (how == 6))
    assert torch.allclose(iou[same], torch.ones_like(iou[same]), atol=1e-3)
    # nested with half the sides: a quarter of the area
    nested = pos & (how == 3)
    assert torch.allclose(iou[nested], torch.full_like(iou[nested], 0.25), atol=1e-4)
    # touching along a side: no overlap
    touching = pos & (how == 4)
    assert (iou[touching & (kind != KINDS.index('tiny'))] < 1e-4).all()
    assert (iou[touching] < 1e-2).all()  # a 2e-3 px box at x = 66: float32 rounds the shift
    # close to float64; a 0.01 x 60 px needle turned by 3 pi has an IoU 6,000 times as sensitive
    # to its angle as it is long and thin, so float32 angle rounding (5e-7) gives up to 3e-3 there
    ref = rotated_box_iou(boxes.double(), other.double(), aligned=True)
    ill = (kind == KINDS.index('thin')) | (kind == KINDS.index('tiny'))
    assert torch.allclose(iou[~ill].double(), ref[~ill], atol=1e-3)
    assert torch.allclose(iou.double(), ref, atol=1e-2)
    # angle periodicity of the whole computation (up to the float32 rounding of the angle)
    turned = boxes.clone()
    turned[:, 4] += 2 * math.pi
    turned = rotated_box_iou(turned, other, aligned=True)
    assert torch.allclose(turned[~ill], iou[~ill], atol=1e-3)
    assert torch.allclose(turned, iou, atol=1e-2)


def test_disjoint_boxes_give_zero():
    boxes, _ = scene(300, seed=3)
    far = boxes.clone()
    reach = (boxes[:, 2]**2 + boxes[:, 3]**2).sqrt()
    far[:, 0] += reach + 1.0  # centres further apart than the two half diagonals
    iou = rotated_box_iou(boxes, far, aligned=True)
    assert (iou == 0).all()


def test_small_box_at_the_edge_of_a_huge_one_is_accurate_in_float32():
    """Regression: the shoelace sum in the frame of a 1e5 px box cancelled catastrophically
    for a small overlap far from its centre (IoF 1.28 for a box wholly inside)."""
    big = torch.tensor([[0.0, 0.0, 1e5, 1e5, 0.0]]).expand(6, 5)
    small = torch.tensor([[4.9e4, 4.9e4, 10.0, 10.0, 0.3], [4.9998e4, 3e4, 10.0, 10.0, 0.0],
                          [3e4, 5e4, 10.0, 10.0, 0.3], [-5e4, -5e4, 8.0, 3.0, 1.0],
                          [5e4, 0.0, 10.0, 10.0, math.pi / 4], [1e3, 2e3, 4.0, 4.0, 0.2]])
    for mode in ('iou', 'iof'):
        got = rotated_box_iou(small, big, aligned=True, mode=mode)
        ref = rotated_box_iou(small.double(), big.double(), aligned=True, mode=mode)
        assert (got <= 1).all()
        assert torch.allclose(got.double(), ref, atol=1e-3, rtol=1e-3), (mode, got, ref)
    got = rotated_box_iou(small, big, aligned=True, mode='iof')
    assert got[0] == pytest.approx(1.0, abs=1e-4) and got[2] == pytest.approx(0.5, abs=1e-3)


@pytest.mark.parametrize('mode', ['linear', 'square', 'log'])
@pytest.mark.parametrize('num', [1, 37, 2000])
def test_loss_finite_non_negative_with_finite_gradients(mode, num):
    boxes, _ = scene(num, seed=30 + num)
    other, _ = partners(boxes, seed=40 + num)
    pred = boxes.clone().requires_grad_()
    target = other.clone().requires_grad_()
    eps = 1e-6
    per_box = RotatedIoULoss(mode=mode, eps=eps, reduction='none')(pred, target)
    assert per_box.shape == (num, ) and torch.isfinite(per_box).all()
    top = -math.log(eps) if mode == 'log' else 1.0
    assert (per_box >= 0).all() and (per_box <= top + 1e-5).all()
    weight = torch.rand(num, generator=torch.Generator().manual_seed(num))
    weight[::3] = 0
    for kwargs in (dict(), dict(reduction_override='sum'), dict(weight=weight),
                   dict(weight=weight, avg_factor=float(num)),
                   dict(weight=weight[:, None].expand(num, 5))):
        pred.grad = target.grad = None
        loss = RotatedIoULoss(mode=mode, loss_weight=2.0)(pred, target, **kwargs)
        assert torch.isfinite(loss) and loss >= 0, kwargs
        loss.backward()
        assert torch.isfinite(pred.grad).all(), kwargs
        # (an all-zero weight short-cuts to ``(pred * weight).sum()``: no gradient to target)
        assert target.grad is None or torch.isfinite(target.grad).all(), kwargs


def test_loss_of_identical_boxes_is_zero_and_of_no_box_is_zero():
    boxes, _ = scene(50, seed=5)
    boxes = boxes[positive_area(boxes)]
    pred = boxes.clone().requires_grad_()
    loss = RotatedIoULoss(mode='linear')(pred, boxes.clone())
    assert loss.item() == pytest.approx(0.0, abs=1e-4)
    loss.backward()
    assert torch.isfinite(pred.grad).all()
    # no box at all: zero (a mean over nothing would be NaN), and backward still works
    for mode in ('linear', 'square', 'log'):
        for kwargs in (dict(), dict(reduction_override='sum'), dict(avg_factor=0.0),
                       dict(weight=torch.zeros(0))):
            empty = torch.zeros(0, 5, requires_grad=True)
            loss = RotatedIoULoss(mode=mode)(empty, torch.zeros(0, 5), **kwargs)
            assert loss.item() == 0.0, (mode, kwargs)
            loss.backward()
            assert empty.grad.shape == (0, 5)
        none = RotatedIoULoss(mode=mode, reduction='none')(torch.zeros(0, 5), torch.zeros(0, 5))
        assert none.shape == (0, )


@pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize('column', [0, 2, 4])
def test_non_finite_coordinates_are_named(value, column):
    good, _ = scene(6, seed=6)
    bad = good.clone()
    bad[3, column] = value
    with pytest.raises(ValueError, match='rotated_box_iou: boxes1 holds NaN/inf'):
        rotated_box_iou(bad, good)
    with pytest.raises(ValueError, match='rotated_box_iou: boxes2 holds NaN/inf'):
        rotated_box_iou(good, bad, aligned=True)
    with pytest.raises(ValueError, match='RotatedIoULoss: pred holds NaN/inf'):
        RotatedIoULoss()(bad, good)
    with pytest.raises(ValueError, match='RotatedIoULoss: target holds NaN/inf'):
        RotatedIoULoss()(good, bad, weight=torch.zeros(6))  # also on the zero-weight shortcut
