"""Property tests of YOLOv8's task-aligned assigner and of the YOLOv8 / YOLOv8-seg head losses
on random and degenerate ground truths (0, 1 and 2,000 boxes; zero-size, huge, out-of-image
and duplicate boxes): no crash, finite non-negative losses and finite gradients, each positive
assigned to one existing GT with its label; NaN / inf coordinates give a ValueError naming the
field."""
import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks
from mmdet.utils import register_all_modules
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.dense_heads import YOLOv8Head, YOLOv8InsHead
from mmext.models.task_modules.assigners import YOLOv8TaskAlignedAssigner

register_all_modules(init_default_scope=False)

W, H = 96, 64  # a 3:2 input: strides 8 / 16 / 32 give 12x8, 6x4, 3x2 maps
SIZES = ((H // 8, W // 8), (H // 16, W // 16), (H // 32, W // 32))
NUM_CLASSES = 3


def random_boxes(rng, n, lo=-20.0, hi=120.0, max_wh=60.0):
    xy = rng.uniform(lo, hi, size=(n, 2))
    wh = rng.uniform(0.0, max_wh, size=(n, 2))
    return np.concatenate([xy, xy + wh], 1)


def scenarios():
    rng = np.random.default_rng(0)
    inside = np.array([[10., 8., 50., 40.]])
    out = {
        'none': np.zeros((0, 4)),
        'one': inside,
        'many': random_boxes(rng, 2000),
        'zero_size': np.array([[20., 20., 20., 20.], [30., 10., 30., 50.], [5., 5., 40., 5.]]),
        'huge': np.array([[-1e5, -1e5, 1e5, 1e5], [0., 0., 1e6, 64.]]),
        'out_of_image': np.array([[200., 200., 260., 240.], [-80., -60., -10., -5.],
                                  [90., 50., 140., 90.]]),
        'duplicates': np.repeat(inside, 5, axis=0),
        'mixed': np.concatenate([inside, inside, np.array([[20., 20., 20., 20.],
                                                            [-1e4, -1e4, 1e4, 1e4]]),
                                 random_boxes(rng, 50)]),
    }
    return out


SCENARIOS = scenarios()


def labels_for(n, seed=0):
    return torch.as_tensor(np.random.default_rng(seed).integers(0, NUM_CLASSES, n),
                           dtype=torch.long)


def gt(boxes, seed=0, masks=False):
    boxes = torch.as_tensor(boxes, dtype=torch.float32)
    inst = InstanceData(bboxes=boxes, labels=labels_for(len(boxes), seed))
    if masks:
        m = np.zeros((len(boxes), H, W), np.uint8)
        for k, (x1, y1, x2, y2) in enumerate(boxes.clamp(-1, 10 * max(W, H)).tolist()):
            m[k, max(int(y1), 0):max(int(y2), 0), max(int(x1), 0):max(int(x2), 0)] = 1
        inst.masks = BitmapMasks(m, H, W)
    return inst


def priors():
    from mmdet.models.task_modules.prior_generators import MlvlPointGenerator
    gen = MlvlPointGenerator([8, 16, 32], offset=0.5)
    return torch.cat(gen.grid_priors(SIZES, device='cpu', with_stride=True))


@pytest.mark.parametrize('name', sorted(SCENARIOS))
def test_assigner_properties(name):
    torch.manual_seed(0)
    pts = priors()
    n = len(pts)
    centres = pts[:, :2]
    wh = torch.rand(n, 2) * 40
    pred = InstanceData(priors=pts, bboxes=torch.cat([centres - wh / 2, centres + wh / 2], 1),
                        scores=torch.rand(n, NUM_CLASSES))
    g = gt(SCENARIOS[name])
    res = YOLOv8TaskAlignedAssigner(topk=10).assign(pred, g)
    gt_inds, labels = res.gt_inds, res.labels
    assert gt_inds.shape == (n, ) and labels.shape == (n, )
    assert ((gt_inds >= 0) & (gt_inds <= len(g))).all()
    pos = gt_inds > 0
    # each positive has one GT (gt_inds is one index per prior) and takes its label
    assert (labels[pos] == g.labels[gt_inds[pos] - 1]).all() and (labels[~pos] == -1).all()
    for value in (res.assign_metrics, res.max_overlaps):
        assert torch.isfinite(value).all() and (value >= 0).all() and (value <= 1 + 1e-6).all()
    assert (res.assign_metrics[~pos] == 0).all()
    if name in ('none', 'zero_size'):
        assert not pos.any()  # no prior lies strictly inside such a box
    if name == 'out_of_image':  # only the box partly inside the image gets positives
        assert pos.any() and (gt_inds[pos] == 3).all()
    if name in ('one', 'duplicates', 'many', 'mixed'):
        assert pos.any()
    if name == 'duplicates':  # identical GTs: one positive set, not five overlapping ones
        assert pos.sum() <= 10


@pytest.mark.parametrize('field', ['gt_instances.bboxes', 'pred_instances.bboxes',
                                   'pred_instances.priors', 'pred_instances.scores'])
@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_assigner_refuses_non_finite_input(field, bad):
    pts = priors()
    n = len(pts)
    pred = InstanceData(priors=pts.clone(), bboxes=torch.cat([pts[:, :2] - 4, pts[:, :2] + 4], 1),
                        scores=torch.full((n, NUM_CLASSES), 0.5))
    g = gt(np.array([[10., 8., 50., 40.], [0., 0., 20., 20.]]))
    target = {'gt_instances.bboxes': g.bboxes, 'pred_instances.bboxes': pred.bboxes,
              'pred_instances.priors': pred.priors, 'pred_instances.scores': pred.scores}[field]
    target[1, 0] = bad
    with pytest.raises(ValueError, match=field.replace('.', r'\.') + r' holds a NaN or inf '
                                                                      r'value \(first at index '
                                                                      r'\[1, 0\]\)'):
        YOLOv8TaskAlignedAssigner().assign(pred, g)


def head_and_feats(cls):
    torch.manual_seed(0)
    kwargs = dict(num_classes=NUM_CLASSES, in_channels=[8, 8, 8],
                  train_cfg=dict(assigner=dict(type='YOLOv8TaskAlignedAssigner')),
                  loss_cls=dict(type='RefinedQualityFocalLoss', use_sigmoid=True, beta=2.0,
                                loss_weight=0.5), cls_target='iou')
    if cls is YOLOv8InsHead:
        kwargs.update(num_protos=4, proto_channels=8)
    head = cls(**kwargs)
    feats = tuple(torch.randn(2, 8, h, w, requires_grad=True) for h, w in SIZES)
    return head, feats


@pytest.mark.parametrize('cls', [YOLOv8Head, YOLOv8InsHead], ids=['det', 'seg'])
def test_head_losses_finite_on_degenerate_gts(cls):
    head, feats = head_and_feats(cls)
    seg = cls is YOLOv8InsHead
    names = sorted(SCENARIOS)
    for k in range(0, len(names), 2):  # two scenarios per batch
        batch = [gt(SCENARIOS[n], seed=i, masks=seg) for i, n in enumerate(names[k:k + 2])]
        head.zero_grad()
        for f in feats:
            f.grad = None
        outs = head(feats)
        losses = head.loss_by_feat(*outs, batch, [dict(img_shape=(H, W))] * 2)
        total = sum(losses.values())
        for key, value in losses.items():
            assert torch.isfinite(value) and value >= 0, (names[k:k + 2], key, value)
        total.backward()
        grads = [p.grad for p in head.parameters() if p.grad is not None] + [f.grad for f in feats]
        assert grads and all(torch.isfinite(g).all() for g in grads), names[k:k + 2]


def test_head_loss_refuses_non_finite_gt():
    head, feats = head_and_feats(YOLOv8Head)
    bad = gt(np.array([[10., 8., 50., 40.], [0., 0., float('inf'), 20.]]))
    with pytest.raises(ValueError, match=r'gt_instances\.bboxes holds a NaN or inf'):
        head.loss_by_feat(*head(feats), [bad, gt(np.zeros((0, 4)))], [{}, {}])
