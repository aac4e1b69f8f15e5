"""CIoU with and without mmdet's IoU > 0.5 gate on the aspect term, by hand and against mmdet's
CIoULoss and the assigner's pairwise CIoU."""
import math

import pytest
import torch
from mmdet.models.losses import CIoULoss

import mmext  # noqa: F401
from mmext.models.losses import YOLOv8CIoULoss
from mmext.models.task_modules.assigners.yolov8_task_aligned_assigner import pairwise_ciou
from mmext.structures.ciou import bbox_ciou


def v_term(w1, h1, w2, h2):
    return 4 / math.pi**2 * (math.atan(w2 / h2) - math.atan(w1 / h1))**2


def test_ciou_by_hand_with_and_without_the_gate():
    pred = torch.tensor([[0., 0., 4., 1.], [0., 0., 3., 2.]], dtype=torch.float64)
    target = torch.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.]], dtype=torch.float64)
    # box 0: IoU 2 / 6 = 1/3; centres (2, 0.5) and (1, 1): rho^2 = 1 + 0.25; c^2 = 16 + 4
    iou0, pen0 = 1 / 3, 1.25 / 20
    v0 = v_term(4, 1, 2, 2)
    a0 = v0 / (v0 - iou0 + 1)
    # box 1: IoU 4 / 6 = 2/3; centres (1.5, 1) and (1, 1): rho^2 = 0.25; c^2 = 9 + 4
    iou1, pen1 = 2 / 3, 0.25 / 13
    v1 = v_term(3, 2, 2, 2)
    a1 = v1 / (v1 - iou1 + 1)
    ultralytics = [iou0 - pen0 - a0 * v0, iou1 - pen1 - a1 * v1]
    gated = [iou0 - pen0, iou1 - pen1 - a1 * v1]  # IoU 1/3 <= 0.5: no aspect term
    assert a0 * v0 > 1e-3  # the aspect term is not negligible: the gate matters
    got = bbox_ciou(pred, target, is_aligned=True, eps=0.0)
    assert got.tolist() == pytest.approx(ultralytics, rel=1e-12)
    got = bbox_ciou(pred, target, is_aligned=True, aspect_iou_gate=0.5, eps=0.0)
    assert got.tolist() == pytest.approx(gated, rel=1e-12)
    loss = YOLOv8CIoULoss(eps=0.0, reduction='none')(pred, target)
    assert loss.tolist() == pytest.approx([1 - c for c in ultralytics], rel=1e-12)
    loss = YOLOv8CIoULoss(aspect_iou_gate=0.5, eps=0.0, reduction='none')(pred, target)
    assert loss.tolist() == pytest.approx([1 - c for c in gated], rel=1e-12)


def random_boxes(n, seed):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 20
    wh = torch.rand(n, 2, generator=g) * 10 + 0.5
    return torch.cat([xy, xy + wh], 1).double()


def test_gate_half_is_mmdet_and_no_gate_is_the_assigners_ciou():
    pred, target = random_boxes(300, 0), random_boxes(300, 1)
    target[:100] = pred[:100] + 0.3  # some high-IoU pairs
    ours = YOLOv8CIoULoss(aspect_iou_gate=0.5, eps=1e-9, reduction='none')(pred, target)
    ref = CIoULoss(eps=1e-9, reduction='none')(pred, target)
    inside = ref.le(2.0)  # mmdet clamps CIoU to [-1, 1]
    torch.testing.assert_close(ours[inside], ref[inside], rtol=1e-6, atol=1e-6)
    # without the gate: the diagonal of the assigner's (Ultralytics') pairwise CIoU
    ultra = 1 - pairwise_ciou(pred, target).diagonal()
    torch.testing.assert_close(YOLOv8CIoULoss(reduction='none')(pred, target), ultra)
    torch.testing.assert_close(bbox_ciou(pred[:7], target[:5]),
                               pairwise_ciou(pred[:7], target[:5]))
    # the two differ exactly where IoU <= 0.5, by the aspect term
    ungated = YOLOv8CIoULoss(eps=1e-9, reduction='none')(pred, target)
    differs = (ungated - ours).abs() > 1e-12
    from mmdet.structures.bbox import bbox_overlaps
    low = bbox_overlaps(pred, target, is_aligned=True) <= 0.5
    assert differs.any() and not (differs & ~low).any()


def test_weights_reduction_and_errors():
    pred, target = random_boxes(6, 2), random_boxes(6, 3)
    per = YOLOv8CIoULoss(reduction='none')(pred, target)
    w = torch.rand(6, dtype=torch.float64)
    loss = YOLOv8CIoULoss(loss_weight=7.5)(pred, target, weight=w, avg_factor=2.5)
    # (mmdet adds float32 eps to avg_factor)
    assert loss.item() == pytest.approx(7.5 * (w * per).sum().item() / 2.5, rel=1e-6)
    pred.requires_grad_(True)
    YOLOv8CIoULoss()(pred, target).backward()
    assert torch.isfinite(pred.grad).all()
    with pytest.raises(ValueError, match='aspect_iou_gate'):
        YOLOv8CIoULoss(aspect_iou_gate=1.5)
    with pytest.raises(ValueError, match='same shape'):
        bbox_ciou(pred[:2], target[:3], is_aligned=True)
