"""Property tests of DCFL's assigner (paper and official modes) and head loss on random and
degenerate oriented boxes: 0, 1 and 2,000 gts; zero-size, huge, out-of-image, duplicate and
crowded tiny boxes, angles beyond +-pi, on a non-square image (issue 11, "fuzz")."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.task_modules.assigners import DCFLAssigner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WIDTH, HEIGHT = 192, 112  # 12:7, non-square
STRIDES = (8, 16, 32)


def random_gts(num, seed, num_classes=3):
    """``num`` rotated boxes (cx, cy, w, h, a) mixing ordinary, zero-size, huge, out-of-image,
    sub-stride, duplicate and far-rotated ones."""
    gen = torch.Generator().manual_seed(seed)
    c = torch.rand(num, 2, generator=gen) * torch.tensor([WIDTH, HEIGHT])
    wh = torch.rand(num, 2, generator=gen) * 48 + 1
    a = (torch.rand(num, 1, generator=gen) - 0.5) * math.pi
    kind = torch.randint(0, 7, (num, ), generator=gen)
    wh[kind == 1] = 0  # zero-size
    wh[kind == 2] *= 60  # huge: far larger than the image
    c[kind == 3] += torch.tensor([WIDTH, HEIGHT]) * 2  # wholly outside
    c[kind == 4] -= 30  # centre outside, box partly inside
    wh[kind == 5] = torch.rand(int((kind == 5).sum()), 2, generator=gen) * 3 + 0.5  # tiny
    a[kind == 6] += 7 * math.pi  # angles far beyond +-pi
    boxes = torch.cat([c, wh, a], 1)
    if num >= 4:
        boxes[num // 2:num // 2 + 2] = boxes[:2]  # duplicates
    return InstanceData(bboxes=boxes, labels=torch.randint(0, num_classes, (num, ), generator=gen))


def priors_and_preds(seed, num_classes=3):
    gen = torch.Generator().manual_seed(seed)
    priors = []
    for s in STRIDES:
        ys, xs = torch.meshgrid(torch.arange(math.ceil(HEIGHT / s)),
                                torch.arange(math.ceil(WIDTH / s)), indexing='ij')
        pts = (torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).float() + 0.5) * s
        priors.append(torch.cat([pts, torch.full((len(pts), 2), 8. * s),
                                 torch.zeros(len(pts), 1)], 1))
    priors = torch.cat(priors)
    preds = priors.clone()
    preds[:, :2] += torch.randn(len(priors), 2, generator=gen) * 4
    preds[:, 2:4] *= torch.rand(len(priors), 2, generator=gen) * 2
    preds[::7, 2:4] = 0  # zero-size predictions
    preds[:, 4] = torch.randn(len(priors), generator=gen)
    scores = torch.rand(len(priors), num_classes, generator=gen)
    return InstanceData(priors=priors, bboxes=preds, scores=scores)


@pytest.mark.parametrize('options', [dict(), dict(official=True, gauss_thr=0.6),
                                     dict(measure='kld'), dict(measure='iou')])
@pytest.mark.parametrize('num_gts', [0, 1, 2000])
def test_assigner_properties(options, num_gts):
    pred = priors_and_preds(num_gts)
    gts = random_gts(num_gts, seed=num_gts)
    result = DCFLAssigner(**options).assign(pred, gts)
    inds = result.gt_inds
    assert inds.shape == (len(pred.priors), ) and result.num_gts == num_gts
    assert int(inds.min()) >= -1 and int(inds.max()) <= num_gts
    pos = inds > 0
    # each positive has exactly one gt and that gt's label; the others have none
    assert torch.equal(result.labels[pos], gts.labels[inds[pos] - 1])
    assert torch.all(result.labels[~pos] == -1)
    assert torch.isfinite(result.max_overlaps).all()
    if num_gts == 0:
        assert not pos.any()
    if num_gts == 2000:
        assert int(pos.sum()) > 0
        # a zero-size gt has no area and no Gaussian: it never gets a positive
        wh = gts.bboxes[:, 2:4]
        assert not bool((wh <= 0).any(1)[inds[pos] - 1].any())


@pytest.mark.parametrize('value', [math.nan, math.inf])
def test_assigner_refuses_non_finite_gt_coordinates(value):
    pred = priors_and_preds(0)
    gts = random_gts(5, seed=0)
    gts.bboxes[3, 2] = value
    with pytest.raises(ValueError, match=r'gt_instances\.bboxes rows \[3\]'):
        DCFLAssigner().assign(pred, gts)


def build_head(**kwargs):
    from mmengine.registry import init_default_scope
    from mmrotate.registry import MODELS
    init_default_scope('mmrotate')
    base = Config.fromfile(osp.join(ROOT, 'configs/dcfl/_base_/dcfl-le135_r50_fpn.py')).model
    cfg = copy.deepcopy(base.bbox_head)
    cfg.update(num_classes=3, in_channels=8, feat_channels=8, **kwargs)
    head = MODELS.build(dict(cfg, train_cfg=base.train_cfg, test_cfg=base.test_cfg))
    head.init_weights()
    return head


@pytest.mark.parametrize('official', [False, True])
def test_head_loss_properties(official):
    torch.manual_seed(0)
    head = build_head(official=official)
    strides = head.prior_generator.strides
    feats = tuple(torch.randn(3, 8, max(math.ceil(HEIGHT / s[1]), 1),
                              max(math.ceil(WIDTH / s[0]), 1), requires_grad=True)
                  for s in strides)
    gts = [random_gts(n, seed=n) for n in (0, 1, 2000)]
    metas = [dict(img_shape=(HEIGHT, WIDTH), pad_shape=(HEIGHT, WIDTH), scale_factor=(1., 1.))
             for _ in range(3)]
    losses = head.loss_by_feat(*head(feats), gts, metas)
    total = 0
    for name, values in losses.items():
        for v in values:
            assert torch.isfinite(v) and v >= 0, (name, v)
            total = total + v
    total.backward()
    for f in feats:
        assert torch.isfinite(f.grad).all()
    for p in head.parameters():
        assert p.grad is None or torch.isfinite(p.grad).all()
