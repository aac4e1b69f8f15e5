"""Property tests of MMMC's assigner and head loss on random and degenerate inputs: 0, 1 and
2,000 gts; zero-size, huge, out-of-image and duplicate boxes, on a non-square image."""
import math

import pytest
import torch
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.dense_heads import RFAFCOSHead
from mmext.models.task_modules.assigners import APSAssigner

WIDTH, HEIGHT = 160, 96  # 5:3, non-square
STRIDES = (8, 16, 32)


def random_gts(num, seed, num_classes=3):
    """``num`` boxes mixing ordinary, zero-size, huge, out-of-image, tiny and duplicate ones."""
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(num, 2, generator=gen) * torch.tensor([WIDTH, HEIGHT])
    wh = torch.rand(num, 2, generator=gen) * 60
    kind = torch.randint(0, 6, (num, ), generator=gen)
    wh[kind == 1] = 0  # zero-size
    wh[kind == 2] *= 40  # huge: far larger than the image
    xy[kind == 3] += torch.tensor([WIDTH, HEIGHT]) * 1.5  # wholly outside
    xy[kind == 4] -= 40  # partly outside
    wh[kind == 5] = torch.rand(int((kind == 5).sum()), 2, generator=gen) * 4  # below a stride
    boxes = torch.cat([xy, xy + wh], 1)
    if num >= 4:  # duplicates
        boxes[num // 2:num // 2 + 2] = boxes[:2]
    labels = torch.randint(0, num_classes, (num, ), generator=gen)
    return InstanceData(bboxes=boxes, labels=labels)


def pred_instances(seed, num_classes=3):
    gen = torch.Generator().manual_seed(seed)
    priors, sizes = [], []
    for s in STRIDES:
        ys, xs = torch.meshgrid(torch.arange(math.ceil(HEIGHT / s)),
                                torch.arange(math.ceil(WIDTH / s)), indexing='ij')
        pts = (torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).float() + 0.5) * s
        priors.append(torch.cat([pts, torch.full_like(pts, float(s))], 1))
        sizes.append(len(pts))
    priors = torch.cat(priors)
    ltrb = torch.rand(len(priors), 4, generator=gen) * 50
    ltrb[::7] = 0  # zero-size predictions
    boxes = torch.cat([priors[:, :2] - ltrb[:, :2], priors[:, :2] + ltrb[:, 2:]], 1)
    scores = torch.randn(len(priors), num_classes, generator=gen) * 4
    return InstanceData(priors=priors, scores=scores, bboxes=boxes), sizes


@pytest.mark.parametrize('options', [dict(), dict(official=True), dict(use_scale=False,
                                                                        regress_ranges=(
                                                                            (-1, 32), (32, 64),
                                                                            (64, 1e8))),
                                     dict(shared_points='exclude', score='printed')])
@pytest.mark.parametrize('num_gts', [0, 1, 37, 2000])
def test_assigner_properties(options, num_gts):
    aps = APSAssigner(**options)
    pred, sizes = pred_instances(num_gts)
    gts = random_gts(num_gts, seed=num_gts)
    result = aps.assign(pred, sizes, gts)
    inds = result.gt_inds
    assert inds.shape == (len(pred.priors), ) and result.num_gts == num_gts
    assert int(inds.min()) >= 0 and int(inds.max()) <= num_gts
    pos = inds > 0
    # each positive has one gt, its label, and lies strictly inside that gt's box
    assert torch.equal(result.labels[pos], gts.labels[inds[pos] - 1])
    assert torch.all(result.labels[~pos] == -1)
    box = gts.bboxes[inds[pos] - 1]
    pts = pred.priors[pos, :2]
    assert torch.all((pts > box[:, :2]) & (pts < box[:, 2:]))
    for key in ('cls_costs', 'reg_costs'):
        costs = result.get_extra_property(key)
        assert torch.isfinite(costs).all() and torch.all(costs[~pos] == 0)
    if num_gts >= 37:
        assert int(pos.sum()) > 0
        # zero-size and wholly outside boxes never get a positive
        wh = gts.bboxes[:, 2:] - gts.bboxes[:, :2]
        empty = (wh <= 0).any(1) | (gts.bboxes[:, 0] >= WIDTH) | (gts.bboxes[:, 1] >= HEIGHT)
        assert not bool(empty[inds[pos] - 1].any())


@pytest.mark.parametrize('field,where', [('gt', 'gt_instances.bboxes'),
                                         ('pred', 'pred_instances.bboxes'),
                                         ('priors', 'pred_instances.priors')])
@pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf])
def test_assigner_refuses_non_finite_coordinates(field, where, value):
    pred, sizes = pred_instances(0)
    gts = random_gts(5, seed=0)
    target = dict(gt=gts, pred=pred, priors=pred)[field]
    name = 'priors' if field == 'priors' else 'bboxes'
    data = getattr(target, name).clone()
    data[2, 1] = value
    setattr(target, name, data)
    with pytest.raises(ValueError, match=where.replace('.', r'\.')):
        APSAssigner().assign(pred, sizes, gts)


HEAD = dict(num_classes=3, in_channels=8, feat_channels=8, stacked_convs=2, strides=list(STRIDES),
            regress_ranges=((-1, 32), (32, 64), (64, 1e8)),
            norm_cfg=dict(type='GN', num_groups=2, requires_grad=True), norm_on_bbox=True,
            centerness_on_reg=True, loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
            rfa_position=2)


@pytest.mark.parametrize('head_options', [
    dict(train_cfg=dict(assigner=dict(type='APSAssigner'))),
    dict(train_cfg=dict(assigner=dict(type='APSAssigner', official=True)), rfa_position=2,
         iou_smooth=1.0),
    dict(),  # FCOS targets
])
def test_head_loss_properties(head_options):
    torch.manual_seed(0)
    head = RFAFCOSHead(**dict(HEAD, **head_options))
    head.init_weights()
    feats = tuple(torch.randn(3, 8, math.ceil(HEIGHT / s), math.ceil(WIDTH / s),
                              requires_grad=True) for s in STRIDES)
    gts = [random_gts(n, seed=n) for n in (0, 1, 2000)]
    metas = [dict(img_shape=(HEIGHT, WIDTH), pad_shape=(HEIGHT, WIDTH))] * 3
    losses = head.loss_by_feat(*head(feats), gts, metas)
    for name, value in losses.items():
        assert torch.isfinite(value) and value >= 0, (name, value)
    sum(losses.values()).backward()
    for f in feats:
        assert torch.isfinite(f.grad).all()
    for p in head.parameters():
        assert p.grad is None or torch.isfinite(p.grad).all()
    # an image without gts alone trains too (all its points are negatives)
    head.zero_grad()
    losses = head.loss_by_feat(*head(feats), [gts[0]] * 3, metas)
    assert losses['loss_cls'] > 0 and losses['loss_bbox'] == 0
