"""RotatedIoULoss on CPU: registry override, values against mmcv's CPU IoU, upstream heads."""
import math

import pytest
import torch
from mmcv.ops import box_iou_rotated

import mmext  # noqa: F401  (registers the override)
from mmext.models.losses import RotatedIoULoss


def _pairs(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    target = torch.cat([20 * torch.rand(n, 2, generator=g), 4 + 20 * torch.rand(n, 2, generator=g),
                        (torch.rand(n, 1, generator=g) - 0.5) * math.pi], 1)
    noise = torch.cat([2 * torch.randn(n, 2, generator=g), torch.randn(n, 2, generator=g),
                       0.3 * torch.randn(n, 1, generator=g)], 1)
    pred = target + noise
    pred[:, 2:4] = pred[:, 2:4].abs() + 0.5
    return pred, target


def test_registry_name_resolves_to_the_cpu_capable_subclass():
    from mmrotate.models.losses import RotatedIoULoss as Upstream
    from mmrotate.registry import MODELS
    loss = MODELS.build(dict(type='RotatedIoULoss', mode='linear', loss_weight=2.0))
    assert type(loss) is RotatedIoULoss and isinstance(loss, Upstream)
    assert loss.mode == 'linear' and loss.loss_weight == 2.0 and loss.iou_backend == 'auto'


@pytest.mark.parametrize('mode', ['linear', 'square', 'log'])
def test_values_match_reference_from_mmcv_cpu_iou(mode):
    pred, target = _pairs()
    ious = box_iou_rotated(pred, target, aligned=True).clamp(min=1e-6)
    ref = {'linear': 1 - ious, 'square': 1 - ious**2, 'log': -ious.log()}[mode]
    loss = RotatedIoULoss(mode=mode)
    got = loss(pred, target, reduction_override='none')
    assert got.shape == (40, )
    assert torch.allclose(got, ref, atol=1e-4 if mode != 'log' else 5e-4)
    weight = torch.rand(40, generator=torch.Generator().manual_seed(1))
    assert loss(pred, target, weight=weight).item() == pytest.approx(
        (ref * weight).mean().item(), abs=1e-4)
    assert loss(pred, target, weight=weight, avg_factor=7.0).item() == pytest.approx(
        (ref * weight).sum().item() / 7.0, abs=1e-3)


def test_hand_values_and_loss_weight():
    pred = torch.tensor([[0.5, 0.0, 1.0, 1.0, 0.0]])
    target = torch.tensor([[0.0, 0.0, 1.0, 1.0, 0.0]])  # IoU = 1/3
    assert RotatedIoULoss(mode='log')(pred, target).item() == pytest.approx(math.log(3), abs=1e-5)
    assert RotatedIoULoss(mode='linear', loss_weight=2.0)(pred, target).item() == pytest.approx(
        4 / 3, abs=1e-5)
    assert RotatedIoULoss(mode='square')(pred, target).item() == pytest.approx(8 / 9, abs=1e-5)
    far = torch.tensor([[50.0, 0.0, 1.0, 1.0, 0.0]])  # no overlap: IoU clamped to eps
    assert RotatedIoULoss(mode='log', eps=1e-6)(far, target).item() == pytest.approx(
        -math.log(1e-6), rel=1e-5)


def test_weights_zero_and_per_coordinate():
    pred, target = _pairs(6)
    pred.requires_grad_()
    loss = RotatedIoULoss()
    zero = loss(pred, target, weight=torch.zeros(6))
    assert zero.item() == 0 and zero.requires_grad
    w5 = torch.rand(6, 5)
    assert torch.allclose(loss(pred, target, weight=w5), loss(pred, target, weight=w5.mean(-1)))


def test_gradients_improve_iou_on_cpu():
    pred, target = _pairs(10, seed=3)
    keep = box_iou_rotated(pred, target, aligned=True) > 0.05  # pairs with some overlap
    pred, target = pred[keep].clone().requires_grad_(), target[keep]
    loss_fn = RotatedIoULoss(mode='linear', reduction='sum')
    opt = torch.optim.SGD([pred], lr=1.0)
    start = loss_fn(pred, target).item()
    for _ in range(40):
        opt.zero_grad()
        loss = loss_fn(pred, target)
        loss.backward()
        assert torch.isfinite(pred.grad).all()
        opt.step()
    assert loss_fn(pred, target).item() < 0.5 * start


def test_mmcv_backend_refuses_cpu_tensors():
    pred, target = _pairs(3)
    with pytest.raises(RuntimeError, match='CUDA'):
        RotatedIoULoss(iou_backend='mmcv')(pred, target)
    with pytest.raises(ValueError, match='iou_backend'):
        RotatedIoULoss(iou_backend='cuda')
    with pytest.raises(ValueError, match='mode'):
        RotatedIoULoss(mode='exp')


@pytest.mark.parametrize('config', [
    'rotated_fcos/rotated-fcos-le90_r50_fpn_1x_dota.py',
    'rotated_atss/rotated-atss-le90_r50_fpn_1x_dota.py',
    'rotated_rtmdet/rotated_rtmdet_tiny-3x-dota.py',
])
def test_upstream_heads_compute_and_backprop_their_loss_on_cpu(config):
    """The unchanged upstream head configs (which name 'RotatedIoULoss') train on CPU."""
    import os.path as osp

    import mmrotate
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData
    from mmrotate.registry import MODELS
    from mmrotate.structures.bbox import RotatedBoxes

    init_default_scope('mmrotate')
    config = osp.join(osp.dirname(mmrotate.__file__), '.mim', 'configs', config)
    model_cfg = Config.fromfile(config).model
    head_cfg = model_cfg.bbox_head
    assert head_cfg.loss_bbox.type == 'RotatedIoULoss'
    head_cfg.update(in_channels=32, feat_channels=32, num_classes=3,
                    train_cfg=model_cfg.train_cfg, test_cfg=model_cfg.test_cfg)
    head = MODELS.build(head_cfg)
    head.init_weights()
    strides = [s if isinstance(s, int) else s[0] for s in head.prior_generator.strides]
    feats = [torch.randn(1, 32, 256 // s, 256 // s, requires_grad=True) for s in strides]
    sample = DetDataSample(metainfo=dict(img_shape=(256, 256), pad_shape=(256, 256),
                                         batch_input_shape=(256, 256), scale_factor=(1., 1.)))
    sample.gt_instances = InstanceData(
        bboxes=RotatedBoxes(torch.tensor([[40.0, 50.0, 40.0, 16.0, 0.4],
                                          [90.0, 80.0, 24.0, 24.0, -0.2]])),
        labels=torch.tensor([0, 2]))
    losses = head.loss(feats, [sample])
    bbox_loss = losses['loss_bbox']
    bbox_loss = sum(bbox_loss) if isinstance(bbox_loss, (list, tuple)) else bbox_loss
    assert torch.isfinite(bbox_loss) and bbox_loss.item() > 0
    total = sum(sum(v) if isinstance(v, (list, tuple)) else v for v in losses.values())
    total.backward()
    assert all(torch.isfinite(f.grad).all() for f in feats)
