"""RFAFCOSHead: the zero-offset identity with FCOS, the quality branch, score fusion and APS."""
import math

import pytest
import torch
from mmdet.models.dense_heads import FCOSHead
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.dense_heads import RFAFCOSHead

COMMON = dict(
    num_classes=3,
    in_channels=16,
    feat_channels=16,
    stacked_convs=4,
    strides=[8, 16, 32],
    regress_ranges=((-1, 16), (16, 32), (32, 1e8)),
    norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
    norm_on_bbox=True,
    centerness_on_reg=True,
    loss_bbox=dict(type='GIoULoss', loss_weight=1.0))


def feats(batch=2, size=64, channels=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(batch, channels, size // s, size // s, generator=gen)
                 for s in (8, 16, 32))


def gt_instances():
    return [
        InstanceData(bboxes=torch.tensor([[4., 6., 40., 30.], [20., 18., 62., 60.]]),
                     labels=torch.tensor([0, 2])),
        InstanceData(bboxes=torch.tensor([[8., 8., 56., 50.]]), labels=torch.tensor([1])),
    ]


METAS = [dict(img_shape=(64, 64), pad_shape=(64, 64), scale_factor=(1., 1.))] * 2


@pytest.mark.parametrize('conv_type,position', [('DCNv2', 1), ('DCNv2', 4), ('DCN', 2)])
def test_zero_offsets_give_the_fcos_head(conv_type, position):
    """With zero offsets (and DCNv2 masks at 1) and FCOS's weights the outputs are FCOS's."""
    conv_bias = conv_type != 'DCN'  # mmcv's DCNv1 has no bias
    torch.manual_seed(0)
    fcos = FCOSHead(**COMMON, conv_bias=conv_bias)
    fcos.init_weights()
    rfa = RFAFCOSHead(**COMMON, conv_bias=conv_bias, rfa_position=position,
                      rfa_conv_cfg=dict(type=conv_type))
    missing, unexpected = rfa.load_state_dict(fcos.state_dict(), strict=False)
    assert not unexpected and missing and all('conv_offset' in k for k in missing)
    for conv in rfa.rfa_convs():
        torch.nn.init.zeros_(conv.conv_offset.weight)
        torch.nn.init.zeros_(conv.conv_offset.bias)
        if conv_type == 'DCNv2':  # channels 18-26 are the modulation logits: sigmoid(30) == 1
            with torch.no_grad():
                conv.conv_offset.bias[18:] = 30.0
    assert torch.sigmoid(torch.tensor(30.0)) == 1.0
    # maps of at least 3x3: mmcv 2.0.1's DeformConv2dPack (DCNv1) refuses smaller ones
    x = feats(size=96)
    for mode in (True, False):
        fcos.train(mode)
        rfa.train(mode)
        with torch.no_grad():
            for a, b in zip(fcos(x), rfa(x)):
                for level_a, level_b in zip(a, b):
                    torch.testing.assert_close(level_b, level_a, rtol=1e-5, atol=1e-5)
    # a non-zero offset changes the output (the DCN is really in the path)
    with torch.no_grad():
        rfa.rfa_convs()[0].conv_offset.bias[:18] = 0.7
        assert not torch.allclose(rfa(x)[0][0], fcos(x)[0][0], atol=1e-3)


def test_structure_and_config_values_take_effect():
    from mmcv.ops import DeformConv2dPack, ModulatedDeformConv2dPack
    head = MODELS.build(dict(type='RFAFCOSHead', **COMMON, rfa_position=3))
    assert isinstance(head.cls_convs[2].conv, ModulatedDeformConv2dPack)
    assert isinstance(head.reg_convs[2].conv, ModulatedDeformConv2dPack)
    cls_dcn, reg_dcn = head.rfa_convs()
    assert cls_dcn is not reg_dcn  # two independent DCNs (one module each, shared by all levels)
    assert cls_dcn.conv_offset.out_channels == 27  # 18 offsets + 9 masks
    dcns = [m for m in head.modules() if isinstance(m, ModulatedDeformConv2dPack)]
    assert len(dcns) == 2
    assert all(type(head.cls_convs[i].conv) is torch.nn.Conv2d for i in (0, 1, 3))
    v1 = RFAFCOSHead(**COMMON, rfa_position=1, rfa_conv_cfg=dict(type='DCN'))
    assert isinstance(v1.cls_convs[0].conv, DeformConv2dPack)
    assert v1.cls_convs[0].conv.conv_offset.out_channels == 18
    plain = RFAFCOSHead(**COMMON, rfa_position=None)
    assert not plain.rfa_convs()
    assert all(type(c.conv) is torch.nn.Conv2d for c in plain.cls_convs)
    with pytest.raises(ValueError, match='rfa_position=5'):
        RFAFCOSHead(**COMMON, rfa_position=5)
    with pytest.raises(ValueError, match="quality='iou'"):
        RFAFCOSHead(**COMMON, quality='iou')
    # offsets start at zero (mmdet) or, as the official code, from N(0, 0.01)
    head.init_weights()
    assert torch.count_nonzero(cls_dcn.conv_offset.weight) == 0
    official = RFAFCOSHead(**dict(COMMON, feat_channels=32, norm_cfg=dict(type='GN',
                                                                          num_groups=4)),
                           rfa_position=2, rfa_offset_std=0.01)
    official.init_weights()
    std = official.rfa_convs()[0].conv_offset.weight.std().item()
    assert 0.007 < std < 0.013
    aps = RFAFCOSHead(**COMMON, train_cfg=dict(assigner=dict(type='APSAssigner', topk=5)))
    assert aps.assigner.topk == 5


def test_centerness_mode_loss_equals_fcos_loss():
    """Quality 'centerness' + FCOS targets is FCOS: same losses on the same outputs."""
    cfg = dict(COMMON, center_sampling=True, conv_bias=True)
    torch.manual_seed(1)
    fcos = FCOSHead(**cfg)
    rfa = RFAFCOSHead(**cfg, rfa_position=None, quality='centerness', score_fusion='product')
    rfa.load_state_dict(fcos.state_dict())
    outs = fcos(feats())
    expected = fcos.loss_by_feat(*outs, gt_instances(), METAS)
    got = rfa.loss_by_feat(*outs, gt_instances(), METAS)
    assert set(got) == {'loss_cls', 'loss_bbox', 'loss_centerness'}
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=1e-5, atol=1e-6)


def _giou(a, b):
    """GIoU of two (x1, y1, x2, y2) boxes, written out."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    enclose = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    return inter / union - (enclose - union) / enclose


def test_giou_quality_and_box_losses_by_hand():
    """One level, four points inside one gt: the losses follow from the GIoUs by hand."""
    head = RFAFCOSHead(num_classes=2, in_channels=16, feat_channels=16, stacked_convs=1,
                       strides=[8], regress_ranges=((-1, 1e8), ), norm_on_bbox=False,
                       norm_cfg=dict(type='GN', num_groups=4), rfa_position=None,
                       loss_bbox=dict(type='GIoULoss', loss_weight=1.0))
    # points (4,4) (12,4) (4,12) (12,12); gt (0,0,16,16): all four positive, centerness 1/3 each
    ltrb = torch.tensor([[4., 4., 12., 12.], [2., 2., 2., 2.], [0.5, 100., 0.5, 100.],
                         [2., 2., 2., 2.]])
    pts = [(4., 4.), (12., 4.), (4., 12.), (12., 12.)]
    bbox_preds = [ltrb.t().reshape(1, 4, 2, 2).clone().requires_grad_(True)]
    quality = [torch.full((1, 1, 2, 2), 1.0, requires_grad=True)]
    cls_scores = [torch.zeros(1, 2, 2, 2)]
    gts = [InstanceData(bboxes=torch.tensor([[0., 0., 16., 16.]]), labels=torch.tensor([1]))]
    metas = [dict(img_shape=(16, 16))]
    losses = head.loss_by_feat(cls_scores, bbox_preds, quality, gts, metas)

    gious = [_giou((x - l, y - t, x + r, y + b), (0, 0, 16, 16))
             for (x, y), (l, t, r, b) in zip(pts, ltrb.tolist())]
    assert gious[0] == pytest.approx(1.0) and gious[1] == pytest.approx(0.0625)
    assert gious[2] < 0  # negative GIoU: clamped to a 0 target
    p = 1 / (1 + math.exp(-1.0))
    bce = [-(t * math.log(p) + (1 - t) * math.log(1 - p)) for t in
           [min(max(g, 0.0), 1.0) for g in gious]]
    assert losses['loss_quality'].item() == pytest.approx(sum(bce) / 4, rel=1e-5)
    # equal centerness weights (1/3): the weighted GIoU loss is the plain mean
    assert losses['loss_bbox'].item() == pytest.approx(sum(1 - g for g in gious) / 4, rel=1e-5)

    # the official code does not detach the GIoU target: the quality loss reaches the boxes
    losses['loss_quality'].backward()
    assert bbox_preds[0].grad is not None and bbox_preds[0].grad.abs().sum() > 0
    head.detach_quality_target = True
    bbox_preds[0].grad = None
    head.loss_by_feat(cls_scores, bbox_preds, quality, gts, metas)['loss_quality'].backward()
    assert bbox_preds[0].grad is None or bbox_preds[0].grad.abs().sum() == 0


def test_sqrt_score_fusion():
    head = RFAFCOSHead(**COMMON, rfa_position=None)
    cfg = ConfigDict(nms=dict(type='nms', iou_threshold=0.6), max_per_img=100)
    results = InstanceData(bboxes=torch.tensor([[0., 0., 10., 10.], [20., 20., 40., 40.]]),
                           scores=torch.tensor([0.64, 0.25]), labels=torch.tensor([0, 1]),
                           score_factors=torch.tensor([0.25, 0.49]))
    out = head._bbox_post_process(results, cfg, with_nms=False)
    torch.testing.assert_close(out.scores, torch.tensor([0.4, 0.35]))
    # end to end: same boxes as FCOS, scores sqrt(cls * quality) instead of cls * quality
    torch.manual_seed(2)
    fcos = FCOSHead(**COMMON).eval()
    head.load_state_dict(fcos.state_dict())
    head.eval()
    test_cfg = ConfigDict(nms_pre=100, score_thr=0.05, nms=dict(type='nms', iou_threshold=0.6),
                          max_per_img=20)
    fcos.test_cfg = head.test_cfg = test_cfg
    with torch.no_grad():
        outs = fcos(feats(batch=1))
        with_bias = [o.clone() for o in outs[0]]
        for o in with_bias:
            o[:, :, 2:5, 2:5] += 4.0  # some confident points so that boxes survive score_thr
        outs = (with_bias, ) + tuple(outs[1:])
        a = fcos.predict_by_feat(*outs, batch_img_metas=METAS[:1])[0]
        b = head.predict_by_feat(*outs, batch_img_metas=METAS[:1])[0]
    assert len(a) > 0 and len(a) == len(b)
    torch.testing.assert_close(b.scores, a.scores.sqrt())
    torch.testing.assert_close(b.bboxes, a.bboxes)


def test_aps_training_targets_losses_and_instance_stats():
    # at initialisation all candidates score alike and the GMM split is arbitrary; the scale-only
    # assigner gives every gt its candidates, which is what this test needs
    torch.manual_seed(0)
    head = RFAFCOSHead(**COMMON, conv_bias=True, rfa_position=1,
                       train_cfg=dict(assigner=dict(type='APSAssigner', topk=4,
                                                    use_spatial=False)))
    head.init_weights()
    outs = head(feats())
    gts = gt_instances()
    head.record_instance_loss = True
    losses = head.loss_by_feat(*outs, gts, METAS)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_quality'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert head.rfa_convs()[0].weight.grad.abs().sum() > 0

    # the positives are exactly what the assigner returns for each image
    with torch.no_grad():
        cls_scores, bbox_preds, _ = outs
        points = head.prior_generator.grid_priors([c.shape[-2:] for c in cls_scores],
                                                device='cpu')
        sizes = [len(p) for p in points]
        flat = [torch.cat([t[i].permute(1, 2, 0).reshape(-1, t[i].size(0)) for t in level])
                for level in (cls_scores, bbox_preds) for i in range(2)]
        strides = torch.cat([torch.full((n, 1), float(s)) for n, s in zip(sizes, head.strides)])
        all_points = torch.cat(points)
        labels, _, gt_inds = head.get_aps_targets(
            torch.stack(flat[:2]), torch.stack(flat[2:]), all_points, strides[:, 0], sizes, gts)
        cls_sum, reg_sum, count = {}, {}, {}
        for i in range(2):
            boxes = head.bbox_coder.decode(all_points, flat[2 + i] * strides)
            result = head.assigner.assign(
                InstanceData(priors=all_points, scores=flat[i], bboxes=boxes), sizes, gts[i],
                loss_cls=head.loss_cls, loss_bbox=head.loss_bbox)
            assert torch.equal(result.gt_inds, gt_inds[i])
            pos = result.gt_inds > 0
            assert torch.equal(labels[i][pos], gts[i].labels[result.gt_inds[pos] - 1])
            assert torch.all(labels[i][~pos] == head.num_classes)
            for p in pos.nonzero(as_tuple=True)[0].tolist():
                key = (i, int(result.gt_inds[p]))
                cls_sum[key] = cls_sum.get(key, 0) + result.get_extra_property('cls_costs')[p]
                reg_sum[key] = reg_sum.get(key, 0) + result.get_extra_property('reg_costs')[p]
                count[key] = count.get(key, 0) + 1
    # per instance: |mean L_cls - mean L_reg| and mean L_cls + mean L_reg over its positives
    stats = head.instance_loss_stats
    keys = sorted(count)
    gaps = torch.tensor([abs(cls_sum[k] - reg_sum[k]) / count[k] for k in keys])
    sums = torch.tensor([(cls_sum[k] + reg_sum[k]) / count[k] for k in keys])
    assert len(keys) == 3
    torch.testing.assert_close(stats['gap'], gaps, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(stats['sum'], sums, rtol=1e-4, atol=1e-5)


def test_instance_stats_with_fcos_targets_and_without_gts():
    head = RFAFCOSHead(**COMMON, rfa_position=None)
    head.record_instance_loss = True
    outs = head(feats())
    head.loss_by_feat(*outs, gt_instances(), METAS)
    assert len(head.instance_loss_stats['gap']) == 3
    assert torch.all(head.instance_loss_stats['sum'] >= head.instance_loss_stats['gap'])
    empty = [InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))] * 2
    aps = RFAFCOSHead(**COMMON, train_cfg=dict(assigner=dict(type='APSAssigner')))
    aps.record_instance_loss = True
    losses = aps.loss_by_feat(*aps(feats()), empty, METAS)
    assert losses['loss_bbox'].item() == 0 and torch.isfinite(losses['loss_cls'])
    assert len(aps.instance_loss_stats['gap']) == 0


def test_released_iou_smoothing_of_box_loss_and_quality_target():
    """iou_smooth=1: the GIoU of the box loss and of the quality target is the released
    get_ious on the stride-unit distances (independent literal port: mmext.testing)."""
    from mmext.testing.mod_reference import get_ious
    common = dict(num_classes=2, in_channels=16, feat_channels=16, stacked_convs=1, strides=[8],
                  regress_ranges=((-1, 1e8), ), norm_on_bbox=True,
                  norm_cfg=dict(type='GN', num_groups=4), rfa_position=None,
                  reg_loss_weight='none', loss_bbox=dict(type='GIoULoss', loss_weight=1.0))
    head = RFAFCOSHead(**common, iou_smooth=1.0)
    ltrb = torch.tensor([[0.5, 0.5, 1.5, 1.5], [0.25, 0.25, 0.25, 0.25], [0.1, 3., 0.1, 3.],
                         [1., 1., 1., 1.]])  # stride units
    bbox_preds = [ltrb.t().reshape(1, 4, 2, 2).clone()]
    quality = [torch.full((1, 1, 2, 2), 1.0)]
    cls_scores = [torch.zeros(1, 2, 2, 2)]
    gts = [InstanceData(bboxes=torch.tensor([[0., 0., 16., 16.]]), labels=torch.tensor([1]))]
    losses = head.loss_by_feat(cls_scores, bbox_preds, quality, gts, [dict(img_shape=(16, 16))])
    pts = torch.tensor([[4., 4.], [12., 4.], [4., 12.], [12., 12.]])
    target = torch.cat([pts, 16 - pts], 1) / 8  # (l, t, r, b) to the gt, stride units
    _, gious = get_ious(ltrb, target)
    assert losses['loss_bbox'].item() == pytest.approx(float((1 - gious).mean()), rel=1e-5)
    p = 1 / (1 + math.exp(-1.0))
    t = gious.clamp(0, 1)
    bce = -(t * math.log(p) + (1 - t) * math.log(1 - p))
    assert losses['loss_quality'].item() == pytest.approx(float(bce.mean()), rel=1e-5)
    plain = RFAFCOSHead(**common).loss_by_feat(cls_scores, bbox_preds, quality, gts,
                                               [dict(img_shape=(16, 16))])
    assert abs(plain['loss_bbox'].item() - losses['loss_bbox'].item()) > 1e-3
    with pytest.raises(ValueError, match='GIoULoss'):
        RFAFCOSHead(**dict(common, loss_bbox=dict(type='IoULoss')), iou_smooth=1.0)


def test_pre_nms_top_k_on_the_fused_score():
    """nms_pre_score='fused': of the pairs with cls > score_thr, the nms_pre best cls * quality
    of each level (the released inference.py); 'cls' keeps mmdet's top-k by cls."""
    torch.manual_seed(3)
    heads = {k: RFAFCOSHead(**COMMON, rfa_position=None, nms_pre_score=k).eval()
             for k in ('cls', 'fused')}
    heads['fused'].load_state_dict(heads['cls'].state_dict())
    cfg = ConfigDict(nms_pre=3, score_thr=0.3, nms=dict(type='nms', iou_threshold=0.6),
                     max_per_img=100)
    with torch.no_grad():
        cls_scores, bbox_preds, quality = heads['cls'](feats(batch=1))
        gen = torch.Generator().manual_seed(0)
        cls_scores = [torch.randn(c.shape, generator=gen) for c in cls_scores]
        quality = [torch.randn(q.shape, generator=gen) * 3 for q in quality]
        got = {k: h.predict_by_feat(cls_scores, bbox_preds, quality, batch_img_metas=METAS[:1],
                                    cfg=cfg, with_nms=False)[0] for k, h in heads.items()}
    expected = []
    for c, q in zip(cls_scores, quality):
        c = c[0].permute(1, 2, 0).reshape(-1, 3).sigmoid()
        q = q[0].permute(1, 2, 0).reshape(-1).sigmoid()
        fused = (c * q[:, None])[c > 0.3]
        expected.append(fused.sort(descending=True).values[:3])
    expected = torch.cat(expected).sqrt()
    torch.testing.assert_close(got['fused'].scores.sort().values, expected.sort().values)
    assert not torch.allclose(got['cls'].scores.sort().values, expected.sort().values)


@pytest.mark.parametrize('official', [False, True])
def test_degenerate_gts_through_the_loss(official):
    """Issue 11 (1) through RFAFCOSHead.loss: a box between the grid points, zero-area boxes,
    boxes partly and wholly outside the image and nested boxes with max_gts_per_point=2 give
    finite losses and gradients; the boxes without points get no positive."""
    assigner = dict(type='APSAssigner', official=official, max_gts_per_point=2)
    head = RFAFCOSHead(**COMMON, train_cfg=dict(assigner=assigner))
    x = tuple(f.requires_grad_(True) for f in feats(batch=2))
    gts = [
        InstanceData(bboxes=torch.tensor([[1., 1., 2., 2.]]), labels=torch.tensor([0])),
        InstanceData(bboxes=torch.tensor([[10., 10., 10., 30.], [70., 70., 90., 90.],
                                          [-20., 30., 20., 90.], [2., 2., 62., 62.],
                                          [6., 6., 40., 40.], [10., 10., 30., 30.]]),
                     labels=torch.tensor([0, 1, 2, 1, 2, 0])),
    ]
    head.record_instance_loss = True
    losses = head.loss_by_feat(*head(x), gts, METAS)
    total = sum(losses.values())
    assert all(torch.isfinite(v) and v >= 0 for v in losses.values()), losses
    total.backward()
    assert all(torch.isfinite(f.grad).all() for f in x)
    stats = head.instance_loss_stats
    assert len(stats['gap']) >= 3  # the three nested boxes (and the partly outside one)


def test_nan_gt_coordinates_are_named():
    head = RFAFCOSHead(**COMMON)
    gts = [InstanceData(bboxes=torch.tensor([[0., 0., 10., 10.], [0., 0., math.inf, 5.]]),
                       labels=torch.tensor([0, 1]))] * 2
    metas = [dict(METAS[0], img_path='data/coco/train2017/000000000009.jpg')] * 2
    with pytest.raises(ValueError, match=r'000000000009\.jpg: gt_instances\.bboxes\[1\]'):
        head.loss_by_feat(*head(feats()), gts, metas)
