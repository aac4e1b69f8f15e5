"""YOLOv8 head: DFL decoding by hand, the assigner against a slow literal reference, CIoU by
hand, the losses' normalisation, inference, and the segmentation head's mask loss against a
literal per-pixel reference (BCE and the paper's Formula 2)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures.mask import BitmapMasks
from mmdet.utils import register_all_modules
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.dense_heads import YOLOv8Head, YOLOv8InsHead
from mmext.models.task_modules.assigners import YOLOv8TaskAlignedAssigner
from mmext.models.task_modules.assigners.yolov8_task_aligned_assigner import pairwise_ciou

register_all_modules(init_default_scope=False)


def close(actual, expected, rtol=1e-6, atol=0.0):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), rtol=rtol, atol=atol)


TEST_CFG = dict(nms_pre=1000, score_thr=0.01, nms=dict(type='nms', iou_threshold=0.7),
                max_per_img=100, mask_thr_binary=0.5)


def make_head(cls=YOLOv8Head, **kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('train_cfg', dict(assigner=dict(type='YOLOv8TaskAlignedAssigner')))
    kwargs.setdefault('test_cfg', TEST_CFG)
    return cls(num_classes=3, in_channels=[8, 8, 8], **kwargs)


def one_hot_dists(head, sizes, bins):
    """Per level (1, 4R, h, w) logits whose softmax puts (almost) all mass on bins[level]."""
    out = []
    for (h, w), k in zip(sizes, bins):
        z = torch.full((1, 4, head.reg_max, h, w), -50.0)
        z[:, :, k] = 50.0
        out.append(z.reshape(1, 4 * head.reg_max, h, w))
    return out


def test_dfl_decoding_by_hand():
    head = make_head()
    sizes = [(2, 2), (1, 1), (1, 1)]
    dists = one_hot_dists(head, sizes, bins=[1, 2, 3])
    boxes, dist, priors = head.decode_bboxes(dists)
    # stride-8 points (4, 4), (12, 4), (4, 12), (12, 12) with d = 1 bin = 8 px
    expected = [[-4, -4, 12, 12], [4, -4, 20, 12], [-4, 4, 12, 20], [4, 4, 20, 20],
                [8 - 32, 8 - 32, 8 + 32, 8 + 32],   # stride 16, point (8, 8), 2 bins
                [16 - 96, 16 - 96, 16 + 96, 16 + 96]]  # stride 32, point (16, 16), 3 bins
    close(boxes[0].tolist(), expected, atol=1e-4)
    assert priors[:, 2].tolist() == [8, 8, 8, 8, 16, 32]
    # a split distribution decodes to its expectation: 0.5 * 2 + 0.5 * 3 = 2.5 bins
    z = torch.full((1, 4 * 16), -50.0)
    z[0, 2::16] = 0.0
    z[0, 3::16] = 0.0
    close(head.decode_distances(z).tolist(), [[2.5] * 4], atol=1e-5)
    # random logits: sum_i softmax_i * i, written out
    torch.manual_seed(3)
    z = torch.randn(5, 64)
    ref = [[sum(math.exp(z[n, 16 * s + i]) * i for i in range(16)) /
            sum(math.exp(z[n, 16 * s + i]) for i in range(16)) for s in range(4)] for n in range(5)]
    close(head.decode_distances(z).tolist(), ref, rtol=1e-5)


def test_pairwise_ciou_by_hand():
    b = torch.tensor([[0., 0., 2., 2.], [0., 0., 4., 2.]])
    t = torch.tensor([[1., 1., 3., 3.], [0., 0., 2., 2.]])
    ciou = pairwise_ciou(b, t, eps=0.0)
    # same aspect: IoU 1/7, rho^2 2, c^2 18
    assert ciou[0, 0].item() == pytest.approx(1 / 7 - 2 / 18, rel=1e-5)
    # IoU 0.5, rho^2 1, c^2 20, v = 4/pi^2 (atan 1 - atan 2)^2, alpha = v / (v + 0.5)
    v = 4 / math.pi**2 * (math.atan(1) - math.atan(2))**2
    assert ciou[1, 1].item() == pytest.approx(0.5 - 1 / 20 - v * v / (v + 0.5), rel=1e-5)


def literal_ciou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    w1, h1, w2, h2 = a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1]
    iou = iw * ih / (w1 * h1 + w2 * h2 - iw * ih)
    c2 = (max(a[2], b[2]) - min(a[0], b[0]))**2 + (max(a[3], b[3]) - min(a[1], b[1]))**2
    rho2 = ((a[0] + a[2] - b[0] - b[2])**2 + (a[1] + a[3] - b[1] - b[3])**2) / 4
    v = 4 / math.pi**2 * (math.atan(w2 / h2) - math.atan(w1 / h1))**2
    return iou - rho2 / c2 - v * v / (v - iou + 1)


def literal_assign(points, boxes, scores, gts, labels, topk, alpha, beta):
    """YOLOv8 task-aligned assignment, one prior and one GT at a time."""
    n, g = len(points), len(gts)
    inside = [[gts[i][0] < points[j][0] < gts[i][2] and gts[i][1] < points[j][1] < gts[i][3]
               for j in range(n)] for i in range(g)]
    u = [[max(literal_ciou(gts[i], boxes[j]), 0.0) if inside[i][j] else 0.0 for j in range(n)]
         for i in range(g)]
    t = [[scores[j][labels[i]]**alpha * u[i][j]**beta if inside[i][j] else 0.0
          for j in range(n)] for i in range(g)]
    pos = [[False] * n for _ in range(g)]
    for i in range(g):
        for j in sorted(range(n), key=lambda j: -t[i][j])[:topk]:
            pos[i][j] = inside[i][j]
    owner = [-1] * n
    for j in range(n):
        claims = [i for i in range(g) if pos[i][j]]
        if len(claims) > 1:
            best = max(range(g), key=lambda i: u[i][j])
            for i in range(g):
                pos[i][j] = i == best
            owner[j] = best
        elif claims:
            owner[j] = claims[0]
    soft = [0.0] * n
    for i in range(g):
        js = [j for j in range(n) if pos[i][j]]
        if not js:
            continue
        tmax, umax = max(t[i][j] for j in js), max(u[i][j] for j in js)
        for j in js:
            soft[j] = t[i][j] * umax / (tmax + 1e-9)
    return owner, soft


def test_assigner_matches_literal_reference():
    rng = np.random.default_rng(0)
    xs, ys = np.meshgrid(np.arange(4, 64, 8), np.arange(4, 64, 8))
    points = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float64)
    wh = rng.uniform(6, 30, size=(len(points), 2))
    boxes = np.concatenate([points - wh / 2 + rng.normal(0, 2, (len(points), 2)),
                            points + wh / 2], 1)
    scores = rng.uniform(0.01, 0.99, size=(len(points), 3))
    gts = np.array([[5., 5., 40., 30.], [20., 10., 60., 50.], [2., 40., 20., 62.]])
    labels = np.array([0, 2, 1])
    assigner = YOLOv8TaskAlignedAssigner(topk=5, alpha=0.5, beta=6.0)
    res = assigner.assign(
        InstanceData(priors=torch.tensor(points), bboxes=torch.tensor(boxes),
                     scores=torch.tensor(scores)),
        InstanceData(bboxes=torch.tensor(gts), labels=torch.tensor(labels)))
    owner, soft = literal_assign(points.tolist(), boxes.tolist(), scores.tolist(), gts.tolist(),
                                 labels.tolist(), 5, 0.5, 6.0)
    assert (res.gt_inds - 1).tolist() == owner
    assert res.assign_metrics.tolist() == pytest.approx(soft, rel=1e-6, abs=1e-12)
    assert res.labels.tolist() == [labels[o] if o >= 0 else -1 for o in owner]
    assert sum(o >= 0 for o in owner) > 3  # the scenario really assigns several priors
    # no GT: everything background
    empty = assigner.assign(
        InstanceData(priors=torch.tensor(points), bboxes=torch.tensor(boxes),
                     scores=torch.tensor(scores)),
        InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long)))
    assert (empty.gt_inds == 0).all() and (empty.assign_metrics == 0).all()


def feats(head, sizes=((8, 8), (4, 4), (2, 2))):
    torch.manual_seed(1)
    return tuple(torch.randn(2, 8, h, w) for h, w in sizes)


def gt_instances():
    a = InstanceData(bboxes=torch.tensor([[4., 6., 30., 40.], [30., 20., 60., 58.]]),
                     labels=torch.tensor([0, 2]))
    b = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    return [a, b]


def literal_ciou(b1, b2, eps=1e-7):
    """Ultralytics' CIoU of two xyxy boxes, one scalar at a time (no IoU gate)."""
    w1, h1 = b1[2] - b1[0], b1[3] - b1[1] + eps
    w2, h2 = b2[2] - b2[0], b2[3] - b2[1] + eps
    iw = max(min(b1[2], b2[2]) - max(b1[0], b2[0]), 0)
    ih = max(min(b1[3], b2[3]) - max(b1[1], b2[1]), 0)
    iou = iw * ih / (w1 * h1 + w2 * h2 - iw * ih + eps)
    c2 = (max(b1[2], b2[2]) - min(b1[0], b2[0]))**2 + (max(b1[3], b2[3]) -
                                                       min(b1[1], b2[1]))**2 + eps
    rho2 = ((b2[0] + b2[2] - b1[0] - b1[2])**2 + (b2[1] + b2[3] - b1[1] - b1[3])**2) / 4
    v = 4 / math.pi**2 * (math.atan(w2 / h2) - math.atan(w1 / h1))**2
    return iou - (rho2 / c2 + v * v / (v - iou + 1 + eps))


@pytest.mark.parametrize('cls_target,box_loss', [('assigned', 'ultralytics'),
                                                 ('iou', 'ultralytics'), ('assigned', 'mmdet')])
def test_losses_follow_the_normalisation(cls_target, box_loss):
    extra = {}
    if box_loss == 'mmdet':
        extra['loss_bbox'] = dict(type='CIoULoss', reduction='mean', loss_weight=7.5)
    head = make_head(cls_target=cls_target, loss_cls=dict(type='CrossEntropyLoss',
                                                          use_sigmoid=True, loss_weight=0.5),
                     **extra)
    cls_scores, dists = head(feats(head))
    gts = gt_instances()
    t = head.get_targets(cls_scores, dists, gts)
    losses = head.loss_by_feat(cls_scores, dists, gts, [{}, {}])
    fg = t['fg']
    assert fg[0].sum() > 0 and fg[1].sum() == 0
    T = max(t['scores'].sum().item(), 1.0)
    # classification: BCE (logits vs one-hot x score) summed over everything, / T, x 0.5
    if cls_target == 'iou':
        from mmdet.structures.bbox import bbox_overlaps
        score = bbox_overlaps(t['bboxes'], t['gt_bboxes'], is_aligned=True) * fg
    else:
        score = t['scores']
    target = torch.zeros_like(t['cls'])
    for b, n in fg.nonzero().tolist():
        target[b, n, t['labels'][b, n]] = score[b, n]
    x = t['cls']
    bce = (torch.clamp(x, min=0) - x * target + torch.log1p(torch.exp(-x.abs()))).sum()
    assert losses['loss_cls'].item() == pytest.approx(0.5 * bce.item() / T, rel=1e-5)
    # box: 7.5 * sum_pos t_hat (1 - CIoU(pred, gt)) / T; by default Ultralytics' CIoU, written
    # out per box; or mmdet's CIoU (gate at IoU > 0.5)
    from mmdet.models.losses.iou_loss import ciou_loss
    b, n = fg.nonzero(as_tuple=True)
    s = t['priors'][n, 2:3]
    pb, gb = t['bboxes'][b, n] / s, t['gt_bboxes'][b, n] / s
    if box_loss == 'mmdet':
        per = ciou_loss(pb, gb, reduction='none')
    else:
        per = torch.tensor([1 - literal_ciou(p.tolist(), g.tolist())
                            for p, g in zip(pb.detach(), gb)])
    ref = 7.5 * (t['scores'][b, n] * per).sum() / T
    assert losses['loss_bbox'].item() == pytest.approx(ref.item(), rel=1e-5)
    # DFL targets: distances from the point to the GT sides in bins, clamped below R - 1
    pts = t['priors'][n, :2] / s
    gt = t['gt_bboxes'][b, n] / s
    d = torch.cat([pts - gt[:, :2], gt[:, 2:] - pts], 1).clamp(0, 15 - 0.01)
    logits = t['dist_logits'][b, n].reshape(-1, 4, 16)
    logp = logits.log_softmax(-1)
    lo = d.floor().long()
    dfl = -((lo + 1 - d) * logp.gather(-1, lo[..., None])[..., 0] +
            (d - lo) * logp.gather(-1, (lo + 1)[..., None])[..., 0]).mean(1)
    ref = 1.5 * (t['scores'][b, n] * dfl).sum() / T
    assert losses['loss_dfl'].item() == pytest.approx(ref.item(), rel=1e-5)


def hand_targets():
    """One image, two priors (stride 8), C = 3 classes: prior 0 positive, class 1, t_hat 0.5."""
    ln3 = math.log(3.0)
    priors = torch.tensor([[4., 4., 8., 8.], [12., 4., 8., 8.]])
    box = torch.tensor([[0., 0., 8., 8.], [8., 0., 16., 8.]])
    return dict(cls=torch.tensor([[[0.0, ln3, -ln3], [ln3, 0.0, -ln3]]]),
                dist_logits=torch.zeros(1, 2, 64), bboxes=box[None], priors=priors,
                fg=torch.tensor([[True, False]]), labels=torch.tensor([[1, -1]]),
                gt_inds=torch.tensor([[0, -1]]), gt_bboxes=box[None],
                scores=torch.tensor([[0.5, 0.0]]))


def test_hard_targets_give_formula_1_by_hand():
    """cls_target='hard' + RefinedQualityFocalLoss(alpha) is -alpha_t (1 - p_t)^2 log p_t on
    one-hot labels; T = max(sum t_hat, 1) = 1."""
    head = make_head(cls_target='hard', loss_cls=dict(
        type='RefinedQualityFocalLoss', beta=2.0, alpha=0.25, loss_weight=1.0))
    losses = head.det_losses(hand_targets())
    # sigmoid(0) = 0.5, sigmoid(ln 3) = 0.75, sigmoid(-ln 3) = 0.25
    expected = (0.75 * 0.5**2 * math.log(2)        # prior 0, class 0: y 0, p_t 0.5
                + 0.25 * 0.25**2 * math.log(4 / 3)  # prior 0, class 1: y 1, p_t 0.75
                + 0.75 * 0.75**2 * math.log(4)      # prior 1, class 0: y 0, p_t 0.25
                + 0.75 * 0.5**2 * math.log(2)       # prior 1, class 1: y 0, p_t 0.5
                + 2 * 0.75 * 0.25**2 * math.log(4 / 3))  # class 2: y 0, p_t 0.75
    assert losses['loss_cls'].item() == pytest.approx(expected, rel=1e-6)
    # the soft YOLOv8 target (t_hat 0.5) at the same prediction gives another value
    soft = make_head(cls_target='assigned', loss_cls=dict(
        type='RefinedQualityFocalLoss', beta=2.0, alpha=0.25, loss_weight=1.0))
    assert soft.det_losses(hand_targets())['loss_cls'].item() != pytest.approx(expected)
    with pytest.raises(ValueError, match="'hard'"):
        make_head(cls_target='onehot')


def test_monitored_losses_are_logged_without_gradient():
    head = make_head(cls_target='hard', loss_cls=dict(
        type='RefinedQualityFocalLoss', beta=2.0, alpha=0.25, loss_weight=1.0),
        monitor_cls=dict(cls_bce=dict(type='CrossEntropyLoss', use_sigmoid=True,
                                      loss_weight=0.5)))
    t = hand_targets()
    t['cls'].requires_grad_(True)
    losses = head.det_losses(t)
    # BCE of the same logits and one-hot targets, x 0.5, / T = 1
    bce = 2 * math.log(2) + 3 * math.log(4 / 3) + math.log(4)
    assert losses['cls_bce'].item() == pytest.approx(0.5 * bce, rel=1e-6)
    assert not losses['cls_bce'].requires_grad and losses['loss_cls'].requires_grad
    with pytest.raises(ValueError, match="contains 'loss'"):
        make_head(monitor_cls=dict(loss_bce=dict(type='CrossEntropyLoss', use_sigmoid=True)))


def test_image_without_objects_trains():
    head = make_head(loss_cls=dict(type='RefinedQualityFocalLoss', loss_weight=0.5))
    cls_scores, dists = head(feats(head))
    empty = [gt_instances()[1]] * 2
    losses = head.loss_by_feat(cls_scores, dists, empty, [{}, {}])
    assert losses['loss_bbox'].item() == 0 and losses['loss_dfl'].item() == 0
    assert losses['loss_cls'].item() > 0
    sum(losses.values()).backward()


def test_predict_decodes_scores_boxes_and_rescales():
    head = make_head()
    sizes = [(2, 2), (1, 1), (1, 1)]
    dists = one_hot_dists(head, sizes, bins=[1, 1, 1])
    cls = [torch.full((1, 3, h, w), -20.0) for h, w in sizes]
    cls[0][0, 2, 1, 0] = 2.0  # point (4, 12), class 2
    meta = dict(img_shape=(64, 64), ori_shape=(32, 32), scale_factor=(2.0, 2.0))
    res = head.predict_by_feat(cls, dists, [meta], rescale=False)[0]
    assert res.labels.tolist() == [2]
    assert res.scores.tolist() == pytest.approx([1 / (1 + math.exp(-2))], rel=1e-6)
    # box (-4, 4, 12, 20) clipped to the 64 x 64 input
    close(res.bboxes.tolist(), [[0, 4, 12, 20]], atol=1e-4)
    res = head.predict_by_feat(cls, dists, [meta], rescale=True)[0]
    close(res.bboxes.tolist(), [[0, 2, 6, 10]], atol=1e-4)


def ins_head(loss_mask):
    return make_head(YOLOv8InsHead, num_protos=2, proto_channels=8, loss_mask=loss_mask)


@pytest.mark.parametrize('kind', ['bce', 'focal'])
def test_mask_loss_matches_literal_reference(kind):
    if kind == 'bce':
        loss_mask = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=7.5)
    else:
        loss_mask = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                         loss_weight=7.5)
    head = ins_head(loss_mask)
    # one 16 x 16 image: stride-8 level 2 x 2; prototypes at stride 4: 4 x 4
    n = 4 + 1 + 1
    torch.manual_seed(2)
    coeffs = [torch.randn(1, 2, 2, 2), torch.randn(1, 2, 1, 1), torch.randn(1, 2, 1, 1)]
    protos = torch.randn(1, 2, 4, 4)
    mask = np.zeros((1, 16, 16), np.uint8)
    mask[0, 2:10, 5:15] = 1
    gt = InstanceData(bboxes=torch.tensor([[4.0, 2.0, 15.0, 11.0]]), labels=torch.tensor([1]),
                      masks=BitmapMasks(mask, 16, 16))
    fg = torch.zeros(1, n, dtype=torch.bool)
    fg[0, [0, 3]] = True
    t = dict(fg=fg, gt_inds=torch.where(fg, 0, -1), gt_bboxes=gt.bboxes.expand(1, n, 4),
             priors=head._priors([(2, 2), (1, 1), (1, 1)], torch.float32, 'cpu'))
    loss = head.mask_loss(coeffs, protos, t, [gt])
    # literal: target = 4 x 4 area average >= 0.5, box / 4 = (1, 0.5, 3.75, 2.75)
    target = (F.avg_pool2d(torch.tensor(mask, dtype=torch.float32), 4)[0] >= 0.5).float()
    flat = torch.cat([c.reshape(2, -1) for c in coeffs], 1).t()  # (n, 2)
    total = 0.0
    for j in (0, 3):
        logit = (flat[j][:, None, None] * protos[0]).sum(0)
        area = (3.75 - 1.0) * (2.75 - 0.5)
        for y in range(4):
            for x in range(4):
                if not (1.0 <= x < 3.75 and 0.5 <= y < 2.75):
                    continue
                p = 1 / (1 + math.exp(-logit[y, x].item()))
                yv = target[y, x].item()
                if kind == 'bce':
                    l_px = -(yv * math.log(p) + (1 - yv) * math.log(1 - p))
                else:  # Formula 2: -alpha_t (1 - p_t)^gamma log p_t
                    p_t = p if yv == 1 else 1 - p
                    a_t = 0.25 if yv == 1 else 0.75
                    l_px = -a_t * (1 - p_t)**2 * math.log(p_t)
                total += l_px / area
    assert loss.item() == pytest.approx(7.5 * total / 2, rel=1e-5)


def test_masks_from_coefficients():
    head = ins_head(dict(type='CrossEntropyLoss', use_sigmoid=True))
    proto = torch.full((2, 4, 4), -10.0)
    proto[0, :2, :] = 10.0  # prototype 0: top half
    meta = dict(img_shape=(16, 16), ori_shape=(8, 8), scale_factor=(2.0, 2.0))
    boxes = torch.tensor([[0.0, 0.0, 8.0, 8.0], [0.0, 0.0, 2.0, 8.0]])
    masks = head.masks_from_coeffs(torch.tensor([[1.0, 0.0], [1.0, 0.0]]), proto, boxes, meta,
                                   ConfigDict(TEST_CFG), rescale=True)
    assert masks.shape == (2, 8, 8) and masks.dtype == torch.bool
    assert masks[0, :4].all() and not masks[0, 4:].any()  # top half of the original image
    assert masks[1, :4, :2].all() and not masks[1, :, 2:].any()  # cropped to its box
