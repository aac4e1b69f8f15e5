"""Pure-PyTorch rotated IoU against mmcv's box_iou_rotated, hand values and gradcheck."""
import math

import pytest
import torch
from mmcv.ops import box_iou_rotated

from mmext.structures import rotated_box_iou


def _random_boxes(n, seed, dtype=torch.float32, spread=60.0):
    g = torch.Generator().manual_seed(seed)
    xy = spread * torch.rand(n, 2, generator=g)
    wh = 2 + 40 * torch.rand(n, 2, generator=g)
    theta = (torch.rand(n, 1, generator=g) - 0.5) * 2 * math.pi
    return torch.cat([xy, wh, theta], dim=1).to(dtype)


def _mmcv(b1, b2, aligned=False):
    return box_iou_rotated(b1.float(), b2.float(), aligned=aligned).double()


def test_hand_values():
    unit = torch.tensor([[0.0, 0.0, 1.0, 1.0, 0.0]])
    half = torch.tensor([[0.5, 0.0, 1.0, 1.0, 0.0]])
    assert rotated_box_iou(unit, half).item() == pytest.approx(1 / 3, abs=1e-6)
    # a square and the same square turned 45 degrees: IoU = 1/sqrt(2)
    sq = torch.tensor([[3.0, 4.0, 2.0, 2.0, 0.0], [3.0, 4.0, 2.0, 2.0, math.pi / 4]],
                      dtype=torch.float64)
    assert rotated_box_iou(sq[:1], sq[1:]).item() == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    # a box nested in another: area ratio
    outer = torch.tensor([[0.0, 0.0, 10.0, 8.0, 0.3]])
    inner = torch.tensor([[0.5, -0.3, 4.0, 2.0, 1.1]])
    assert rotated_box_iou(outer, inner).item() == pytest.approx(8 / 80, abs=1e-6)
    assert rotated_box_iou(inner, outer, mode='iof').item() == pytest.approx(1.0, abs=1e-6)


def test_random_boxes_match_mmcv():
    b1, b2 = _random_boxes(60, 0), _random_boxes(70, 1)
    ours = rotated_box_iou(b1, b2)
    assert ours.shape == (60, 70)
    ref = _mmcv(b1, b2)
    assert (ref > 0).float().mean() > 0.1  # the scene has plenty of overlaps
    assert torch.allclose(ours.double(), ref, atol=1e-4)
    assert torch.allclose(rotated_box_iou(b1.double(), b2.double()), ref, atol=1e-4)
    aligned = rotated_box_iou(b1[:50], b2[:50], aligned=True)
    assert torch.allclose(aligned.double(), _mmcv(b1[:50], b2[:50], aligned=True), atol=1e-4)


def test_special_cases_match_mmcv():
    base = torch.tensor([
        [20.0, 20.0, 10.0, 6.0, 0.4],
        [20.0, 20.0, 10.0, 6.0, 0.4],  # identical
        [20.0, 20.0, 4.0, 2.0, 0.4],  # nested, same angle
        [20.5, 19.5, 3.0, 1.5, -1.0],  # nested, other angle
        [30.0, 20.0, 10.0, 6.0, 0.0],  # touching edge of the next one
        [40.0, 20.0, 10.0, 6.0, 0.0],
        [50.0, 26.0, 10.0, 6.0, 0.0],  # touching a corner of the previous one
        [20.0, 20.0, 0.0, 6.0, 0.4],  # zero width
        [20.0, 20.0, 10.0, 0.0, 0.4],  # zero height
        [20.0, 20.0, 0.0, 0.0, 0.0],  # point
        [20.0, 20.0, 10.0, 6.0, 0.4 + math.pi],  # same box, angle + pi
        [20.0, 20.0, 6.0, 10.0, 0.4 + math.pi / 2],  # same box, w/h swapped
        [35.0, 20.0, 10.0, 6.0, 0.0],  # half overlap, axis aligned
    ])
    ours = rotated_box_iou(base, base)
    ref = _mmcv(base, base)
    assert torch.allclose(ours.double(), ref, atol=1e-4), (ours.double() - ref).abs().max()
    assert ours[0, 1] == pytest.approx(1.0, abs=1e-6)
    assert ours[0, 10] == pytest.approx(1.0, abs=1e-5)
    assert ours[0, 11] == pytest.approx(1.0, abs=1e-5)
    assert ours[4, 5] == pytest.approx(0.0, abs=1e-6)
    assert ours[5, 6] == pytest.approx(0.0, abs=1e-6)
    assert ours[5, 12] == pytest.approx(1 / 3, abs=1e-6)
    assert (ours[7:10] == 0).all() and (ours[:, 7:10] == 0).all()


def _axis_aligned_iou(b1, b2):
    """Exact IoU of boxes whose angle is a multiple of pi/2 (float64, independent formula)."""
    quarter = torch.round(b1[:, 4] / (math.pi / 2)).long() % 2 == 1
    w1 = torch.where(quarter, b1[:, 3], b1[:, 2]).double()
    h1 = torch.where(quarter, b1[:, 2], b1[:, 3]).double()
    quarter = torch.round(b2[:, 4] / (math.pi / 2)).long() % 2 == 1
    w2 = torch.where(quarter, b2[:, 3], b2[:, 2]).double()
    h2 = torch.where(quarter, b2[:, 2], b2[:, 3]).double()
    x1, y1, x2, y2 = b1[:, 0].double(), b1[:, 1].double(), b2[:, 0].double(), b2[:, 1].double()
    iw = (torch.minimum(x1[:, None] + w1[:, None] / 2, x2 + w2 / 2) -
          torch.maximum(x1[:, None] - w1[:, None] / 2, x2 - w2 / 2)).clamp(min=0)
    ih = (torch.minimum(y1[:, None] + h1[:, None] / 2, y2 + h2 / 2) -
          torch.maximum(y1[:, None] - h1[:, None] / 2, y2 - h2 / 2)).clamp(min=0)
    inter = iw * ih
    return inter / (w1[:, None] * h1[:, None] + w2 * h2 - inter)


def test_grid_aligned_scene_with_shared_edges_is_exact():
    """Boxes on a 5 px grid at angles k*pi/2: many coincident and touching edges.

    mmcv's CPU ``box_iou_rotated`` is off by up to ~0.3 on some of these pairs (float32 pi makes
    the edges *nearly* collinear, which its intersection routine mishandles), so the reference
    here is the exact axis-aligned IoU.
    """
    g = torch.Generator().manual_seed(5)
    n = 150
    xy = torch.randint(0, 8, (n, 2), generator=g).float() * 5
    wh = torch.randint(1, 4, (n, 2), generator=g).float() * 5
    theta = torch.randint(-2, 3, (n, 1), generator=g).float() * (math.pi / 2)
    boxes = torch.cat([xy, wh, theta], dim=1)
    ref = _axis_aligned_iou(boxes, boxes)
    assert ((ref > 0) & (ref < 1)).sum() > 500
    assert torch.allclose(rotated_box_iou(boxes, boxes).double(), ref, atol=1e-5)


def test_float32_far_from_origin():
    b1, b2 = _random_boxes(30, 2), _random_boxes(30, 3)
    ref = rotated_box_iou(b1.double(), b2.double())
    shift = torch.tensor([6000.0, 5000.0, 0, 0, 0])
    far = rotated_box_iou(b1 + shift, b2 + shift)
    assert torch.allclose(far.double(), ref, atol=2e-4)


def test_gradcheck_float64():
    g = torch.Generator().manual_seed(4)
    # generic partial overlaps: centres close, random sizes and angles
    b1 = torch.cat([10 + 4 * torch.rand(6, 2, generator=g), 6 + 8 * torch.rand(6, 2, generator=g),
                    torch.rand(6, 1, generator=g) * 3], 1).double().requires_grad_()
    b2 = torch.cat([10 + 4 * torch.rand(5, 2, generator=g), 6 + 8 * torch.rand(5, 2, generator=g),
                    torch.rand(5, 1, generator=g) * 3], 1).double().requires_grad_()
    assert (rotated_box_iou(b1, b2) > 0).all()
    assert torch.autograd.gradcheck(lambda a, b: rotated_box_iou(a, b), (b1, b2), eps=1e-6,
                                    atol=1e-6)
    b1_five = b1[:5].detach().requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: rotated_box_iou(a, b, aligned=True),
                                    (b1_five, b2), eps=1e-6, atol=1e-6)


def test_gradient_moves_boxes_together():
    pred = torch.tensor([[0.0, 0.0, 4.0, 2.0, 0.3]], requires_grad=True)
    target = torch.tensor([[1.0, 0.5, 4.0, 2.0, 0.0]])
    opt = torch.optim.SGD([pred], lr=0.5)
    start = rotated_box_iou(pred, target, aligned=True).item()
    for _ in range(50):
        opt.zero_grad()
        (1 - rotated_box_iou(pred, target, aligned=True)).sum().backward()
        opt.step()
    assert rotated_box_iou(pred, target, aligned=True).item() > max(start + 0.3, 0.9)


def test_empty_and_bad_input():
    assert rotated_box_iou(torch.zeros(0, 5), torch.zeros(3, 5)).shape == (0, 3)
    assert rotated_box_iou(torch.zeros(0, 5), torch.zeros(0, 5), aligned=True).shape == (0, )
    with pytest.raises(ValueError, match='boxes1'):
        rotated_box_iou(torch.zeros(3, 4), torch.zeros(3, 5))
    with pytest.raises(ValueError, match='aligned'):
        rotated_box_iou(torch.zeros(3, 5), torch.zeros(2, 5), aligned=True)
