"""APSAssigner on hand-made loss tables, edge cases, and against a per-gt sklearn reference."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.task_modules.assigners import APSAssigner
from mmext.models.task_modules.assigners.aps_assigner import Candidates
from mmext.testing import aps_reference
from mmext.testing.tool_loader import load_tool


class TableCls(nn.Module):
    """``l(x, t) = x * t``: the classification cost of a point for class c is its logit x_c."""

    def forward(self, pred, target, weight=None, avg_factor=None, reduction_override=None):
        assert reduction_override == 'none'
        return pred * target


class TableReg(nn.Module):
    """The box cost of a point is the x1 of its 'predicted box' (a lookup table, not geometry)."""

    def forward(self, pred, target, weight=None, avg_factor=None, reduction_override=None):
        assert reduction_override == 'none'
        return pred[:, 0]


def grid(image=32, strides=(8, 16, 32)):
    """FPN points of a square image, levels concatenated: 16 + 4 + 1 points for 32 px."""
    points, sizes = [], []
    for s in strides:
        n = image // s
        ys, xs = torch.meshgrid(torch.arange(n), torch.arange(n), indexing='ij')
        points.append((torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).float() + 0.5) * s)
        sizes.append(n * n)
    return torch.cat(points), sizes


def assign(assigner, points, sizes, cls_table, reg_table, gts, labels, num_classes=2):
    """Run ``assigner`` with L_cls = cls_table[p, class] and L_reg = reg_table[p]."""
    cls_table = torch.as_tensor(cls_table, dtype=torch.float32)
    if cls_table.dim() == 1:
        cls_table = cls_table[:, None].repeat(1, num_classes)
    boxes = torch.zeros(len(points), 4)
    boxes[:, 0] = torch.as_tensor(reg_table, dtype=torch.float32)
    pred = InstanceData(priors=points, scores=cls_table, bboxes=boxes)
    gt = InstanceData(bboxes=torch.as_tensor(gts, dtype=torch.float32).reshape(-1, 4),
                      labels=torch.as_tensor(labels, dtype=torch.long).reshape(-1))
    return assigner.assign(pred, sizes, gt, loss_cls=TableCls(), loss_bbox=TableReg())


def pos_set(result, gt=1):
    return set((result.gt_inds == gt).nonzero(as_tuple=True)[0].tolist())


# A 32x32 image, levels of 16, 4 and 1 points; one gt covering the image. K = 3.
#   level 0 (points 0-15): L_cls 0.05, L_reg 0.5 + 0.05 i -> 3 cheapest 0,1,2: mean cost .60,
#                          mean L_cls .05, mean L_reg .55
#   level 1 (points 16-19): L_cls .2 .9 .1 .3, L_reg .2 0 .2 .2 -> costs .4 .9 .3 .5,
#                          3 cheapest 18,16,19: mean cost .40, mean L_cls .2, mean L_reg .2
#   level 2 (point 20):    L_cls .3, L_reg .15 -> cost .45 (1 candidate < K)
CLS = [0.05] * 16 + [0.2, 0.9, 0.1, 0.3] + [0.3]
REG = [0.5 + 0.05 * i for i in range(16)] + [0.2, 0.0, 0.2, 0.2] + [0.15]
WHOLE = [0, 0, 32, 32]


def test_scale_step_picks_levels_by_mean_loss():
    points, sizes = grid()
    comb = APSAssigner(topk=3, use_spatial=False)
    # comb means .60 / .40 / .45 -> levels 1 and 2; their candidates are the positives
    assert pos_set(assign(comb, points, sizes, CLS, REG, WHOLE, 0)) == {16, 18, 19, 20}
    by_cls = APSAssigner(topk=3, use_spatial=False, scale_standard='cls')
    # L_cls means .05 / .2 / .3 -> levels 0 and 1
    assert pos_set(assign(by_cls, points, sizes, CLS, REG, WHOLE, 0)) == {0, 1, 2, 16, 18, 19}
    by_reg = APSAssigner(topk=3, use_spatial=False, scale_standard='reg')
    # L_reg means .55 / .2 / .15 -> levels 2 and 1
    assert pos_set(assign(by_reg, points, sizes, CLS, REG, WHOLE, 0)) == {16, 18, 19, 20}
    one_level = APSAssigner(topk=3, num_levels=1, use_spatial=False)
    assert pos_set(assign(one_level, points, sizes, CLS, REG, WHOLE, 0)) == {16, 18, 19}


def test_candidate_count_max_takes_every_inbox_point():
    points, sizes = grid()
    # all in-box points: level means .925 / .525 / .45 -> levels 2 and 1, all of level 1
    aps = APSAssigner(topk=3, candidate_count='max', use_spatial=False)
    assert pos_set(assign(aps, points, sizes, CLS, REG, WHOLE, 0)) == {16, 17, 18, 19, 20}


def test_costs_are_reported_for_positives():
    points, sizes = grid()
    result = assign(APSAssigner(topk=3, use_spatial=False), points, sizes, CLS, REG, WHOLE, 0)
    cls_costs = result.get_extra_property('cls_costs')
    reg_costs = result.get_extra_property('reg_costs')
    for p in (16, 18, 19, 20):
        assert cls_costs[p].item() == pytest.approx(CLS[p])
        assert reg_costs[p].item() == pytest.approx(REG[p])
    assert cls_costs[0].item() == 0 and result.labels[16].item() == 0
    assert result.labels[0].item() == -1


def test_spatial_gmm_splits_two_clear_clusters():
    points, sizes = grid()
    # L_cls = L_reg = h, so the official score is sqrt(sigmoid(0) * 2h) = sqrt(h):
    # level 0: points 3, 5, 9, 12 at h = .005 (S = .071), the rest at h = .405 (S = .636);
    # level 1 at h = .405, level 2 at h = 1: levels 0 and 1 are kept (13 candidates), the
    # scores x10 form two tight clusters at .71 (4 points) and 6.4 (9 points): the 4 are positive.
    half = [0.405] * 16 + [0.405] * 4 + [1.0]
    for p in (3, 5, 9, 12):
        half[p] = 0.005
    for separation in ('component', 'official'):
        aps = APSAssigner(score='official', separation=separation)
        result = assign(aps, points, sizes, half, half, WHOLE, 1)
        assert pos_set(result) == {3, 5, 9, 12}
        assert set(result.labels[result.gt_inds > 0].tolist()) == {1}


def test_scores_match_equations_7_to_9():
    rng = np.random.default_rng(0)
    l_cls = rng.uniform(0, 2, 7)
    l_reg = rng.uniform(0, 1, 7)
    # Eq. 7: softmax over the gt's candidates; Eq. 8 printed: S_m = 1 / (1 + exp|dL|);
    # Eq. 9: sqrt(S_f S_m). The default reads the gap term as a cost: 1 - S_m.
    s_f = np.exp(l_cls) / np.exp(l_cls).sum() + np.exp(l_reg) / np.exp(l_reg).sum()
    s_m = np.where(l_cls > l_reg, 1 / (1 + np.exp(l_cls - l_reg)), 1 / (1 + np.exp(l_reg - l_cls)))
    pad = torch.zeros(1, 9)
    c, r = pad.clone(), pad.clone()
    c[0, :7] = torch.from_numpy(l_cls).float()
    r[0, :7] = torch.from_numpy(l_reg).float()
    valid = torch.zeros(1, 9, dtype=torch.bool)
    valid[0, :7] = True

    def scores(aps, levels=2):
        return aps.candidate_scores(Candidates(torch.zeros(1, 9, dtype=torch.long), c, r, valid,
                                               torch.tensor([levels])))

    got = scores(APSAssigner())
    np.testing.assert_allclose(got[0, :7].numpy(), np.sqrt(s_f * (1 - s_m)), rtol=1e-5)
    assert torch.all(got[0, 7:] == 0)
    got = scores(APSAssigner(score='printed'))
    np.testing.assert_allclose(got[0, :7].numpy(), np.sqrt(s_f * s_m), rtol=1e-5)
    official = APSAssigner(score='official')
    np.testing.assert_allclose(scores(official)[0, :7].numpy(),
                               np.sqrt((1 / (1 + np.exp(-np.abs(l_cls - l_reg)))) *
                                       (l_cls + l_reg)), rtol=1e-5)
    # one kept level: the official code uses the plain summed loss
    np.testing.assert_allclose(scores(official, 1)[0, :7].numpy(), l_cls + l_reg, rtol=1e-5)


def test_default_score_prefers_small_gaps_and_the_printed_one_large_gaps():
    """Three candidates with the same L_cls + L_reg = 2: one aligned (gap 0), two misaligned
    (gap 2, mirror images). Lower score is better: the default and the released score rank the
    aligned one first; Eq. 8 as printed ranks the misaligned ones first (by hand: S_f e / Z vs
    (e^2 + 1) / Z, times S_m = 1/2 vs 1 / (1 + e^2))."""
    c = torch.tensor([[1.0, 2.0, 0.0]])
    r = torch.tensor([[1.0, 0.0, 2.0]])
    valid = torch.ones(1, 3, dtype=torch.bool)
    cand = Candidates(torch.zeros(1, 3, dtype=torch.long), c, r, valid, torch.tensor([2]))
    for score, aligned_first in (('paper', True), ('official', True), ('printed', False)):
        s = APSAssigner(score=score).candidate_scores(cand)[0]
        assert bool(s[0] < s[1]) == aligned_first, (score, s)
        assert torch.isclose(s[1], s[2])  # symmetric in the two branches


def test_no_gts_and_empty_boxes():
    points, sizes = grid()
    aps = APSAssigner()
    result = assign(aps, points, sizes, CLS, REG, torch.zeros(0, 4), torch.zeros(0))
    assert result.num_gts == 0 and torch.all(result.gt_inds == 0)
    assert torch.all(result.labels == -1)
    # a gt between the grid points gets no positive; the other gt is unaffected
    result = assign(APSAssigner(topk=3, use_spatial=False), points, sizes, CLS, REG,
                    [[0, 0, 32, 32], [13, 13, 15, 15]], [0, 1])
    assert pos_set(result, 1) == {16, 18, 19, 20} and pos_set(result, 2) == set()


def test_gt_with_fewer_inside_points_than_k():
    points, sizes = grid()
    # box (0,0,16,7) holds level-0 points (4,4), (12,4) only: 2 < K = 9 candidates
    result = assign(APSAssigner(use_spatial=False), points, sizes, CLS, REG, [0, 0, 16, 7], 0)
    assert pos_set(result) == {0, 1}
    # one inside point: with the spatial step on it is the positive (no GMM on one sample)
    result = assign(APSAssigner(), points, sizes, CLS, REG, [0, 0, 8, 8], 0)
    assert pos_set(result) == {0}


def test_overlapping_gts_share_points_with_the_smaller_gt():
    points, sizes = grid(strides=(8, ))
    # gt 1 covers the image (class 0), gt 2 the top-left quarter (class 1): points 0, 1, 4, 5.
    # L_cls for class 0 is cheapest at points 0..8, so gt 1's 9 candidates include 0, 1, 4, 5.
    cls_table = torch.zeros(16, 2)
    cls_table[:, 0] = torch.arange(16).float() * 0.1
    cls_table[:, 1] = 0.3
    reg = [0.1] * 16
    gts = [[0, 0, 32, 32], [0, 0, 16, 16]]
    result = assign(APSAssigner(use_spatial=False), points, sizes, cls_table, reg, gts, [0, 1])
    assert pos_set(result, 2) == {0, 1, 4, 5}
    assert pos_set(result, 1) == {2, 3, 6, 7, 8}
    assert result.labels[0].item() == 1 and result.labels[2].item() == 0
    # the official restriction to each point's smallest enclosing gts (here: one)
    result = assign(APSAssigner(use_spatial=False, max_gts_per_point=1), points, sizes,
                    cls_table, reg, gts, [0, 1])
    assert pos_set(result, 2) == {0, 1, 4, 5}
    assert pos_set(result, 1) == {2, 3, 6, 7, 8, 9, 10, 11, 12}


def test_rigid_scale_step_uses_regress_ranges():
    points, sizes = grid()
    # with use_scale=False a point is a candidate only if max(l, t, r, b) is in its level's range:
    # level 0 points have max distance 20 or 28 (> 12), level 1 points 24 (in [12, 24]),
    # the level-2 point 16 (< 24) -> only the 4 level-1 points remain.
    aps = APSAssigner(use_scale=False, use_spatial=False,
                      regress_ranges=((-1, 12), (12, 24), (24, 1e8)))
    assert pos_set(assign(aps, points, sizes, CLS, REG, WHOLE, 0)) == {16, 17, 18, 19}
    with pytest.raises(ValueError, match='one regress range per level'):
        assign(APSAssigner(use_scale=False), points, sizes, CLS, REG, WHOLE, 0)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match='score='):
        APSAssigner(score='eq9')
    with pytest.raises(ValueError, match='candidate_count='):
        APSAssigner(candidate_count='all')
    with pytest.raises(ValueError, match='num_level_priors'):
        points, sizes = grid()
        assign(APSAssigner(), points, [16, 4], CLS, REG, WHOLE, 0)
    # a softmax loss is not element-wise over classes: the per-pair costs would be wrong
    points, sizes = grid()
    softmax_aps = APSAssigner(cls_cost=dict(type='CrossEntropyLoss', use_sigmoid=False))
    pred = InstanceData(priors=points, scores=torch.zeros(len(points), 2),
                        bboxes=torch.zeros(len(points), 4))
    gt = InstanceData(bboxes=torch.tensor([WHOLE], dtype=torch.float32),
                      labels=torch.tensor([0]))
    with pytest.raises(ValueError, match='use_sigmoid=False'):
        softmax_aps.assign(pred, sizes, gt)


@pytest.mark.parametrize('block_elements', [1 << 17, 10, 1])
def test_pair_costs_equal_direct_one_hot_losses(block_elements):
    """Per-pair costs equal the loss of a one-hot target summed over classes, whatever the
    block size of the all-negative pass (10 elements: 2 points per block, 1: one per block)."""
    from mmdet.registry import MODELS
    focal = MODELS.build(dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                              loss_weight=0.7))
    giou = MODELS.build(dict(type='GIoULoss', loss_weight=1.3))
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(30, 5, generator=gen)
    xy = torch.rand(30, 2, generator=gen) * 50
    pred = torch.cat([xy, xy + torch.rand(30, 2, generator=gen) * 40 + 1], 1)
    gts = torch.tensor([[0., 0., 40., 40.], [10., 5., 60., 30.]])
    labels = torch.tensor([3, 1])
    pts = torch.tensor([0, 4, 4, 17, 29])
    gis = torch.tensor([0, 0, 1, 1, 0])
    l_cls, l_reg = APSAssigner.pair_costs(scores, pred, gts, labels, pts, gis, focal, giou,
                                          block_elements=block_elements)
    onehot = torch.zeros(5, 5)
    onehot[torch.arange(5), labels[gis]] = 1
    direct = focal(scores[pts], onehot, reduction_override='none').sum(1)
    torch.testing.assert_close(l_cls, direct)
    torch.testing.assert_close(l_reg, giou(pred[pts], gts[gis], reduction_override='none'))


@pytest.mark.parametrize('options', [
    dict(),
    dict(score='official', separation='official'),
    dict(use_scale=False),
    dict(scale_standard='reg', candidate_count='max'),
])
def test_matches_per_gt_sklearn_reference(options):
    """The batched assigner equals the literal per-gt algorithm with one sklearn GMM per gt."""
    pytest.importorskip('sklearn')
    from mmdet.registry import MODELS
    ref = aps_reference
    focal = MODELS.build(dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25))
    giou = MODELS.build(dict(type='GIoULoss'))
    points, sizes, scores, pred, gts, labels = ref.make_image(12, (160, 224), 6, seed=3)
    aps = APSAssigner(**options)
    got = aps.assign(InstanceData(priors=points, scores=scores, bboxes=pred), sizes,
                     InstanceData(bboxes=gts, labels=labels), loss_cls=focal, loss_bbox=giou)
    expected = ref.per_gt_reference_assign(points, sizes, scores, pred, gts, labels, focal, giou,
                                           **options)
    assert int((expected > 0).sum()) > 12  # a real assignment, not an empty one
    assert torch.equal(got.gt_inds, expected)
    assert not math.isnan(float(got.get_extra_property('cls_costs').sum()))


def test_benchmark_script_runs_and_reports_ratios(capsys):
    """The benchmark's command line on tiny inputs: every section prints its ratio, and the
    assigners agree on every point."""
    pytest.importorskip('sklearn')
    ref = load_tool('analysis_tools', 'benchmark_aps_assigner')
    ref.main(['--num-gts', '6', '--img-size', '128', '160', '--num-classes', '5', '--repeat', '1',
              '--head-img-size', '64', '64', '--head-repeat', '1', '--threads', '1',
              '--detector', '--detector-img-size', '64', '64'])
    out = capsys.readouterr().out
    # two modes x two box distributions + the GMM alone
    assert out.count('speed-up') == 5
    assert out.count('assigner, official mode') == 2 and out.count('assigner, paper mode') == 2
    assert out.count('latency ratio RFA / FCOS') == 2  # head + whole network
    assert out.count('100.00 % of points') == 4
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):
            ref.main(['--device', 'cuda', '--skip-head'])
        assert 'CUDA is not available' in capsys.readouterr().err


def _real_losses():
    from mmdet.registry import MODELS
    return (MODELS.build(dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25)),
            MODELS.build(dict(type='GIoULoss')))


def _real_image(width=64, height=64, strides=(8, 16), num_classes=3, seed=0):
    """Points of a ``width`` x ``height`` image (with strides, (P, 4)), random logits and boxes."""
    gen = torch.Generator().manual_seed(seed)
    priors, sizes = [], []
    for s in strides:
        ys, xs = torch.meshgrid(torch.arange((height + s - 1) // s),
                                torch.arange((width + s - 1) // s), indexing='ij')
        pts = (torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).float() + 0.5) * s
        priors.append(torch.cat([pts, torch.full_like(pts, float(s))], 1))
        sizes.append(len(pts))
    priors = torch.cat(priors)
    ltrb = torch.rand(len(priors), 4, generator=gen) * 20 + 1
    boxes = torch.cat([priors[:, :2] - ltrb[:, :2], priors[:, :2] + ltrb[:, 2:]], 1)
    scores = torch.randn(len(priors), num_classes, generator=gen) - 3
    return InstanceData(priors=priors, scores=scores, bboxes=boxes), sizes


@pytest.mark.parametrize('official', [False, True])
def test_gt_without_a_grid_point_gets_no_positive(official):
    """Issue 11 (1): a tiny box between the grid points used to raise an IndexError."""
    from mmdet.registry import TASK_UTILS
    aps = TASK_UTILS.build(dict(type='APSAssigner', official=official))
    pred, sizes = _real_image()  # 64x64 image, strides 8 and 16
    gt = InstanceData(bboxes=torch.tensor([[1., 1., 2., 2.]]), labels=torch.tensor([0]))
    result = aps.assign(pred, sizes, gt)
    assert result.num_gts == 1 and torch.all(result.gt_inds == 0)
    assert torch.all(result.labels == -1)
    # with a zero-area box, a box wholly outside the image and one partly outside, the
    # others still get their positives
    gt = InstanceData(bboxes=torch.tensor([[1., 1., 2., 2.], [20., 20., 20., 40.],
                                           [70., 70., 90., 90.], [-30., 30., 20., 80.],
                                           [8., 8., 40., 40.]]),
                      labels=torch.tensor([0, 1, 2, 1, 0]))
    result = aps.assign(pred, sizes, gt)
    assigned = set(result.gt_inds[result.gt_inds > 0].tolist())
    assert assigned <= {4, 5} and 5 in assigned
    assert torch.all((result.gt_inds > 0) == (result.labels >= 0))


def test_released_order_gives_the_larger_gt_replacements():
    """Issue 12 (7). Same scene as test_overlapping_gts_share_points_with_the_smaller_gt: gt 2 (a
    quarter) takes points 0, 1, 4, 5. Choosing independently, gt 1 loses them without
    replacement; in the released order they leave gt 1's candidates before it chooses, so its 9
    cheapest remaining points are its positives."""
    points, sizes = grid(strides=(8, ))
    cls_table = torch.zeros(16, 2)
    cls_table[:, 0] = torch.arange(16).float() * 0.1
    cls_table[:, 1] = 0.3
    gts = [[0, 0, 32, 32], [0, 0, 16, 16]]
    for shared, expected in (('smallest', {2, 3, 6, 7, 8}),
                             ('exclude', {2, 3, 6, 7, 8, 9, 10, 11, 12})):
        result = assign(APSAssigner(use_spatial=False, shared_points=shared), points, sizes,
                        cls_table, [0.1] * 16, gts, [0, 1])
        assert pos_set(result, 2) == {0, 1, 4, 5}
        assert pos_set(result, 1) == expected


def test_released_costs_by_hand():
    """official=True: the second gt of a point costs a two-hot target; L_reg is the released
    1 - GIoU with the +1 smoothing in stride units; gts are ordered by (w + 1)(h + 1)."""
    focal, giou = _real_losses()
    gen = torch.Generator().manual_seed(1)
    scores = torch.randn(4, 5, generator=gen)
    pred = torch.tensor([[4., 4., 28., 20.]]).repeat(4, 1)
    gts = torch.tensor([[0., 0., 16., 16.], [0., 0., 40., 40.]])
    labels = torch.tensor([3, 1])
    pts = torch.tensor([0, 1, 1])
    gis = torch.tensor([0, 0, 1])
    extra = torch.tensor([-1, -1, 3])  # pair 2: point 1's second gt, its first has class 3
    l_cls, _ = APSAssigner.pair_costs(scores, pred, gts, labels, pts, gis, focal, giou,
                                      extra_labels=extra)
    target = torch.zeros(3, 5)
    target[0, 3] = target[1, 3] = 1
    target[2, 1] = target[2, 3] = 1
    torch.testing.assert_close(l_cls, focal(scores[pts], target, reduction_override='none').sum(1))
    # point (12, 12), stride 8: pred (l, t, r, b) = (1, 1, 2, 1), gt 1 (1.5, 1.5, .5, .5):
    # I = 1.5 * 1.5, U = 4 + 6 - 2.25 = 7.75, C = 3.5 * 2.5 = 8.75:
    # GIoU = 3.25 / 8.75 - 1 / 8.75 = 2.25 / 8.75
    priors = torch.tensor([[12., 12., 8., 8.]])
    cost = APSAssigner.released_reg_costs(priors, pred[:1], gts[:1], torch.tensor([0]),
                                          torch.tensor([0]))
    assert cost.item() == pytest.approx(1 - 2.25 / 8.75, abs=1e-6)
    # a 12 x 1 box is smaller than a 4 x 4 one, but larger with the +1 pixel convention
    boxes = torch.tensor([[0., 0., 12., 1.], [0., 0., 4., 4.]])
    assert APSAssigner().gt_areas(boxes).argmin().item() == 0
    assert APSAssigner(official=True).gt_areas(boxes).argmin().item() == 1


def test_bad_coordinates_and_missing_strides_are_named():
    aps = APSAssigner()
    pred, sizes = _real_image()
    for value in (math.nan, math.inf):
        gt = InstanceData(bboxes=torch.tensor([[0., 0., 30., value]]), labels=torch.tensor([0]))
        with pytest.raises(ValueError, match=r'gt_instances\.bboxes'):
            aps.assign(pred, sizes, gt)
    bad = pred.clone()
    bad.bboxes = bad.bboxes.clone()
    bad.bboxes[3, 1] = math.nan
    gt = InstanceData(bboxes=torch.tensor([[0., 0., 30., 30.]]), labels=torch.tensor([0]))
    with pytest.raises(ValueError, match=r'pred_instances\.bboxes'):
        aps.assign(bad, sizes, gt)
    no_strides = InstanceData(priors=pred.priors[:, :2], scores=pred.scores, bboxes=pred.bboxes)
    with pytest.raises(ValueError, match='with_stride=True'):
        APSAssigner(official=True).assign(no_strides, sizes, gt)


def test_area_ranks_follow_area_then_index():
    """Each enclosing gt's rank among a point's enclosing gts, against sorting each point's gts
    by (area, index); areas drawn from 3 values, so ties are common."""
    gen = torch.Generator().manual_seed(3)
    inside = torch.rand(200, 7, generator=gen) < 0.4
    areas = torch.randint(1, 4, (7, ), generator=gen).float()
    point, gt = inside.nonzero(as_tuple=True)
    ranks = torch.zeros(200, 7, dtype=torch.long)
    ranks[point, gt] = APSAssigner._pair_area_ranks(point, gt, areas, 200, 3)
    for p in range(200):
        order = [g for _, g in sorted((areas[g].item(), g) for g in range(7) if inside[p, g])]
        expected = [min(r, 4) for r in range(1, len(order) + 1)]  # beyond rank 3: 4
        assert [ranks[p, g].item() for g in order] == expected, p


def test_level_candidates_are_the_cheapest_of_each_gt_and_level():
    """Against sorting each (gt, level) group's pairs by cost; costs of both signs (the integer
    sort key keeps the float order), some pairs impossible (inf), K larger than some groups."""
    from mmext.models.task_modules.assigners.aps_assigner import PairCosts
    gen = torch.Generator().manual_seed(5)
    num_gts, nlp = 6, [40, 20, 10]
    inside = torch.rand(sum(nlp), num_gts, generator=gen) < 0.5
    point, gt = inside.nonzero(as_tuple=True)
    level = torch.repeat_interleave(torch.arange(3), torch.tensor(nlp))[point]
    cls = torch.randn(point.numel(), generator=gen) * 3
    reg = torch.rand(point.numel(), generator=gen)
    costs = PairCosts(point, gt, level, cls, reg)
    cost = cls + reg
    cost[torch.rand(cost.numel(), generator=gen) < 0.2] = float('inf')
    gts = torch.tensor([4, 0, 2])
    pair, _, _, valid = APSAssigner(topk=9).level_candidates(gts, cost, costs, nlp)
    for r, g in enumerate(gts.tolist()):
        for lvl in range(3):
            mine = ((gt == g) & (level == lvl) & cost.isfinite()).nonzero()[:, 0]
            expected = mine[cost[mine].argsort(stable=True)][:9].tolist()
            assert pair[r, lvl][valid[r, lvl]].tolist() == expected, (g, lvl)
