"""DCFLAssigner against a slow literal reference, hand-computed cases and edge cases.

``reference_assign`` below is the algorithm written out step by step with Python loops over the
ground truths and their candidates, in the order of the official ``C2FAssigner`` (dense
similarity matrix, per-gt top-K, per-gt PT re-ranking, per-gt DGMM), with the semantics
``DCFLAssigner`` documents (stable tie-breaks, conflicts by PT). The benchmark
``tools/analysis_tools/benchmark_dcfl_assigner.py`` times the assigner against it.
"""
import math
from typing import Optional

import pytest
import torch
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.task_modules.assigners import DCFLAssigner
from mmext.structures.gaussian import gaussian_similarity, gjsd, gwd, kld  # noqa: F401
from mmext.testing.dcfl_reference import moved_square_priors
from mmext.testing.dcfl_reference import paper_reference_assign as reference_assign


# the slow literal reference of the paper's reading: mmext.testing.dcfl_reference


# ---------------------------------------------------------------------------- scenes
def make_priors(img=128, strides=(8, 16, 32, 64), shift=0.3, generator=None):
    """Moved square priors of an ``img`` x ``img`` image (see ``moved_square_priors``)."""
    return moved_square_priors((img, img), strides, shift, generator)


def make_scene(seed, num_gts, img=128, strides=(8, 16, 32, 64), num_classes=3):
    gen = torch.Generator().manual_seed(seed)
    priors = make_priors(img, strides, generator=gen)
    a = priors.shape[0]
    bboxes = priors.clone()
    bboxes[:, :2] += torch.randn(a, 2, generator=gen) * priors[:, 2:3] / 4
    bboxes[:, 2:4] *= torch.exp(torch.randn(a, 2, generator=gen) * 0.5) / 3
    bboxes[:, 4] = torch.rand(a, generator=gen) * math.pi - math.pi / 4
    scores = torch.rand(a, num_classes, generator=gen)
    gts = torch.rand(num_gts, 5, generator=gen)
    gts[:, :2] *= img
    gts[:, 2:4] = gts[:, 2:4] * img / 2 + 4
    gts[:, 4] = gts[:, 4] * math.pi - math.pi / 4
    labels = torch.randint(0, num_classes, (num_gts, ), generator=gen)
    return priors, bboxes, scores, gts, labels


def run(assigner, priors, bboxes, scores, gts, labels, ignore=None):
    pred = InstanceData(priors=priors, bboxes=bboxes, scores=scores)
    gt = InstanceData(bboxes=gts, labels=labels)
    gt_ignore = None if ignore is None else InstanceData(bboxes=ignore)
    return assigner.assign(pred, gt, gt_ignore)


REF_KEYS = ('topk', 'topq', 'gauss_thr', 'measure', 'measure_cfg', 'neg_sim_thr',
            'cls_score_mode', 'pt_cls_weight', 'dgmm', 'dgmm_weights')


def check_against_reference(cfg, scene, ignore=None):
    assigner = DCFLAssigner(**cfg)
    priors, bboxes, scores, gts, labels = scene
    result = run(assigner, priors, bboxes, scores, gts, labels, ignore)
    blocked = None
    if ignore is not None:
        from mmrotate.structures.bbox import rbbox_overlaps
        blocked = rbbox_overlaps(priors, ignore, mode='iof').max(1).values > cfg['ignore_iof_thr']
    ref_cfg = {k: v for k, v in cfg.items() if k in REF_KEYS}
    expected = reference_assign(priors, bboxes, scores, gts, labels, blocked=blocked, **ref_cfg)
    assert torch.equal(result.gt_inds, expected), (
        f'{(result.gt_inds != expected).sum()} priors differ from the reference')
    pos = expected > 0
    assert torch.equal(result.labels[pos], labels[expected[pos] - 1])
    assert (result.labels[~pos] == -1).all()
    assert result.num_gts == gts.shape[0]
    return result


# ---------------------------------------------------------------------------- vs reference
@pytest.mark.parametrize('measure', ['gjsd', 'kld', 'gwd', 'iou'])
@pytest.mark.parametrize('cls_score_mode', ['gt_class', 'max'])
def test_matches_literal_reference(measure, cls_score_mode):
    for seed in range(3):
        scene = make_scene(seed, num_gts=3 + 4 * seed)
        cfg = dict(topk=9, topq=6, gauss_thr=0.8, measure=measure, cls_score_mode=cls_score_mode)
        if measure == 'iou':
            cfg['neg_sim_thr'] = 0.4  # the 0.8 of the official code is for 1/(1+GJSD)
        result = check_against_reference(cfg, scene)
        assert (result.gt_inds > 0).any() and (result.gt_inds == 0).any()


@pytest.mark.parametrize('options', [
    dict(search='dense'),  # the similarity of every pair
    dict(search='quadratic'),  # dense quadratic form, exact shortlist
    dict(search='quadratic', shortlist_margin=0),  # never certified: exact dense re-ranking
    dict(max_shape_groups=0),  # too many prior shapes: dense
    dict(max_chunk_pairs=150),  # several gt chunks (~1 gt per chunk)
    dict(max_chunk_pairs=150, search='quadratic'),
    dict(dgmm=False, gauss_thr=0.6),
    dict(gauss_thr=0.4, dgmm_weights=(0.5, 0.5), pt_cls_weight=0.3),
    dict(measure_cfg=dict(alpha=0.3, form='exp', tau=2.0)),
    dict(measure='kld', measure_cfg=dict(fun='log1p')),
])
def test_matches_reference_across_options(options):
    cfg = dict(topk=12, topq=7)
    cfg.update(options)
    for seed in (10, 11):
        check_against_reference(cfg, make_scene(seed, num_gts=9))


def test_matches_reference_on_a_1024_image():
    """P3-P7 priors of a 1024 x 1024 image (21,824), 40 gts, the paper's K, Q, g."""
    gen = torch.Generator().manual_seed(3)
    priors = make_priors(1024, (8, 16, 32, 64, 128), generator=gen)
    assert priors.shape[0] == 21824
    _, bboxes, scores, gts, labels = make_scene(3, 40, img=1024, strides=(8, 16, 32, 64, 128),
                                                num_classes=18)
    gts[:, 2:4] = gts[:, 2:4] / 8  # DOTA-like sizes, 4-68 px
    for search in ('window', 'quadratic'):
        cfg = dict(topk=16, topq=12, gauss_thr=0.8, max_chunk_pairs=1 << 16, search=search)
        result = check_against_reference(cfg, (priors, bboxes, scores, gts, labels))
        assert (result.gt_inds > 0).sum() > 40


def test_window_search_certifies_and_its_fallback_is_exact(monkeypatch):
    """The window search certifies most ground truths; when none is certified, every ground
    truth goes through the quadratic search and the assignment is unchanged."""
    gen = torch.Generator().manual_seed(4)
    priors = make_priors(512, (8, 16, 32, 64, 128), generator=gen)
    _, bboxes, scores, gts, labels = make_scene(4, 60, img=512, strides=(8, 16, 32, 64, 128))
    gts[:, 2:4] = gts[:, 2:4] / 4
    assigner = DCFLAssigner()
    runs, shapes = assigner.topk_search.shape_runs(priors)
    assert runs == [(0, 4096), (4096, 5120), (5120, 5376), (5376, 5440), (5440, 5456)]
    coef = assigner.topk_search.quadratic_coefficients(gts, shapes)
    found = assigner.topk_search.rank_window(gts, priors, None, 16, coef, runs)
    assert found[3].float().mean() > 0.9
    scene = (priors, bboxes, scores, gts, labels)
    expected = run(DCFLAssigner(search='dense'), *scene).gt_inds
    assert torch.equal(run(assigner, *scene).gt_inds, expected)
    # f(D*) = 2 > any similarity: nothing is certified
    monkeypatch.setattr(assigner.topk_search, 'similarity_at',
                        lambda d: torch.full(d.shape, 2.0, dtype=torch.float64))
    assert not assigner.topk_search.rank_window(gts, priors, None, 16, coef, runs)[3].any()
    assert torch.equal(run(assigner, *scene).gt_inds, expected)


def test_ignore_regions_match_reference():
    scene = make_scene(5, num_gts=6)
    ignore = torch.tensor([[40., 40., 50., 30., 0.3], [100., 20., 30., 30., 0.]])
    cfg = dict(topk=9, topq=6, ignore_iof_thr=0.5)
    result = check_against_reference(cfg, scene, ignore=ignore)
    from mmrotate.structures.bbox import rbbox_overlaps
    inside = rbbox_overlaps(scene[0], ignore, mode='iof').max(1).values > 0.5
    assert inside.any() and (result.gt_inds[inside] == -1).all()


# ---------------------------------------------------------------------------- stages by hand
def test_topk_is_exact_with_lowest_index_tie_break():
    """Static grid priors and a gt centred between four of them: symmetric exact ties."""
    priors = make_priors(64, (8, ), shift=0)  # 8 x 8 grid, 32 px squares
    gts = torch.tensor([[20., 20., 10., 10., 0.]])  # equidistant from (16|24, 16|24)
    for options in (dict(), dict(search='quadratic'), dict(search='dense')):
        assigner = DCFLAssigner(topk=6, **options)
        idx, val, max_sim = assigner.rank_candidates(gts, priors)
        sim = gaussian_similarity(gts, priors)[0]
        expected = torch.sort(sim, descending=True, stable=True).indices[:6].sort().values
        assert torch.equal(idx[0], expected)
        assert idx.shape == (1, 6) and len(set(idx[0].tolist())) == 6
        assert torch.allclose(val[0], sim[idx[0]])
        # the window search evaluates the priors its windows reach; all others are below the
        # negative threshold (and reported as -inf)
        reached = max_sim > -math.inf
        assert torch.allclose(max_sim[reached], sim[reached])
        assert (sim[~reached] < assigner.neg_sim_thr).all() and reached.sum() >= 6
        assert reached.all() or options == {}
        # the 4 nearest (grid indices 18, 19, 26, 27) are tied, then 8 tied at the next
        # distance (10, 11, 17, 20, 25, 28, 34, 35): the 2 lowest indices win
        assert idx[0].tolist() == [10, 11, 18, 19, 26, 27]
        assert (sim == sim[10]).sum() == 8 and (sim == sim[18]).sum() == 4


def test_posterior_reranking_by_hand():
    """4 candidates; PT = ½cls + ½IoU picks the two with the largest PT (paper: gt class)."""
    gt = torch.tensor([[50., 50., 20., 10., 0.]])
    priors = torch.tensor([[50., 50., 20., 20., 0.], [52., 50., 20., 20., 0.],
                           [48., 50., 20., 20., 0.], [50., 53., 20., 20., 0.],
                           [300., 300., 20., 20., 0.]])
    bboxes = torch.tensor([[50., 50., 20., 10., 0.],   # IoU 1
                           [55., 50., 20., 10., 0.],   # IoU 15/25 = 0.6
                           [100., 100., 20., 10., 0.],  # IoU 0
                           [60., 50., 20., 10., 0.],   # IoU 10/30 = 1/3
                           [50., 50., 20., 10., 0.]])
    scores = torch.tensor([[0.1, 0.9], [0.3, 0.2], [0.95, 0.1], [0.8, 0.1], [0.9, 0.9]])
    labels = torch.tensor([0])
    # PT (gt class 0): 0.55, 0.45, 0.475, 0.5667 -> MPS {3, 0}; max-class: 0.95, 0.45, .475, .5667
    a = DCFLAssigner(topk=4, topq=2, dgmm=False)
    res = run(a, priors, bboxes, scores, gt, labels)
    assert res.gt_inds.tolist() == [1, 0, 0, 1, 0]
    a = DCFLAssigner(topk=4, topq=2, dgmm=False, cls_score_mode='max')
    res = run(a, priors, bboxes, scores, gt, labels)
    assert res.gt_inds.tolist() == [1, 0, 0, 1, 0]
    a = DCFLAssigner(topk=4, topq=1, dgmm=False, cls_score_mode='max')
    assert run(a, priors, bboxes, scores, gt, labels).gt_inds.tolist() == [1, 0, 0, 0, 0]
    a = DCFLAssigner(topk=4, topq=1, dgmm=False)
    assert run(a, priors, bboxes, scores, gt, labels).gt_inds.tolist() == [0, 0, 0, 1, 0]
    # the far prior is no candidate and its best 1/(1+GJSD) is far below 0.8: negative
    assert res.max_overlaps[4] < 0.8


def test_dgmm_scores_by_hand():
    """gt (0, 0, 20, 10, 0): Σ = diag(100, 25). Medium positives at (10, 0) and (0, 5)."""
    gt = torch.tensor([[0., 0., 20., 10., 0.]])
    centres = torch.tensor([[10., 0.], [0., 5.], [-10., -10.]])
    mps = torch.tensor([[0, 1]])
    a = DCFLAssigner(dgmm_weights=(0.7, 0.3))
    # semantic centre (5, 2.5); geometry: maha = 1 for both; semantic: 25/100 + 6.25/25 = 0.5
    expected = 0.7 * math.exp(-0.5) + 0.3 * math.exp(-0.25)
    assert torch.allclose(a.dgmm_scores(gt, centres, mps),
                          torch.full((1, 2), expected, dtype=torch.float64))
    # rotated by 90 degrees the axes swap: (10, 0) has maha 4 about the centre
    gt90 = torch.tensor([[0., 0., 20., 10., math.pi / 2]])
    s = a.dgmm_scores(gt90, centres, mps)[0]
    sem = (5 * 5 / 25 + 2.5 * 2.5 / 100)  # semantic offset (5, -2.5) and (-5, 2.5)
    assert math.isclose(s[0].item(), 0.7 * math.exp(-2) + 0.3 * math.exp(-0.5 * sem),
                        rel_tol=1e-6)  # float32 pi/2
    assert math.isclose(s[1].item(), 0.7 * math.exp(-0.5 * 0.25) + 0.3 * math.exp(-0.5 * sem),
                        rel_tol=1e-6)  # float32 pi/2


def test_dgmm_threshold_removes_far_positives():
    gt = torch.tensor([[50., 50., 20., 10., 0.]])
    priors = torch.tensor([[50., 50., 16., 16., 0.], [60., 50., 16., 16., 0.],
                           [50., 56., 16., 16., 0.]])
    bboxes = gt.repeat(3, 1)
    scores = torch.tensor([[0.9], [0.8], [0.7]])
    labels = torch.tensor([0])
    # semantic centre (53.33, 52); geometry maha: 0, 1, 1.44
    semx, semy = 160 / 3, 52.0

    def score(x, y):
        geo = ((x - 50)**2 / 100 + (y - 50)**2 / 25)
        sem = ((x - semx)**2 / 100 + (y - semy)**2 / 25)
        return 0.7 * math.exp(-geo / 2) + 0.3 * math.exp(-sem / 2)

    s = [score(50, 50), score(60, 50), score(50, 56)]
    for g in (0.2, 0.5, 0.8, 1.2):
        a = DCFLAssigner(topk=3, topq=3, gauss_thr=g)
        res = run(a, priors, bboxes, scores, gt, labels)
        assert res.gt_inds.tolist() == [1 if v >= math.exp(-g) else 0 for v in s]


def test_conflicts_go_to_highest_pt_then_lower_gt():
    priors = torch.tensor([[50., 50., 32., 32., 0.], [200., 200., 32., 32., 0.]])
    gts = torch.tensor([[50., 50., 30., 30., 0.], [52., 50., 30., 30., 0.],
                        [50., 50., 30., 30., 0.]])
    bboxes = torch.tensor([[52., 50., 30., 30., 0.], [0., 0., 1., 1., 0.]])
    scores = torch.tensor([[0.5], [0.5]])
    labels = torch.tensor([0, 0, 0])
    a = DCFLAssigner(topk=1, topq=1, dgmm=False)
    # gt 2 has the prediction's exact box: highest PT
    assert run(a, priors, bboxes, scores, gts, labels).gt_inds.tolist()[0] == 2
    bboxes[0] = gts[0]  # now gts 1 and 3 tie on PT: the lower index wins
    assert run(a, priors, bboxes, scores, gts, labels).gt_inds.tolist()[0] == 1


# ---------------------------------------------------------------------------- edge cases
def test_zero_gts():
    priors, bboxes, scores, _, _ = make_scene(0, 1)
    res = run(DCFLAssigner(), priors, bboxes, scores, torch.zeros(0, 5),
              torch.zeros(0, dtype=torch.long))
    assert res.num_gts == 0 and (res.gt_inds == 0).all() and (res.labels == -1).all()
    assert res.gt_inds.shape == (priors.shape[0], )


def test_one_gt_exact_k_and_q():
    priors, bboxes, scores, gts, labels = make_scene(7, 1)
    a = DCFLAssigner(topk=16, topq=12, gauss_thr=10.0)  # exp(-10): DGMM keeps everything
    idx, _, _ = a.rank_candidates(gts, priors)
    assert idx.shape == (1, 16) and len(set(idx[0].tolist())) == 16
    res = run(a, priors, bboxes, scores, gts, labels)
    assert (res.gt_inds == 1).sum() == 12
    assert set((res.gt_inds == 1).nonzero().flatten().tolist()) <= set(idx[0].tolist())
    # the 4 candidates that lost the re-ranking are negative
    assert (res.gt_inds[idx[0]] == 0).sum() == 4
    check_against_reference(dict(topk=16, topq=12), (priors, bboxes, scores, gts, labels))


def test_gts_outside_the_image():
    priors, bboxes, scores, gts, labels = make_scene(8, 4)
    gts[0, :2] = torch.tensor([-400., -300.])
    gts[1, :2] = torch.tensor([900., 60.])
    res = check_against_reference(dict(topk=9, topq=6), (priors, bboxes, scores, gts, labels))
    # far outside: the DGMM removes the K nearest (far) priors
    assert not (res.gt_inds == 1).any() and not (res.gt_inds == 2).any()


def test_tiny_and_huge_boxes():
    priors, bboxes, scores, gts, labels = make_scene(9, 4)
    gts[0, 2:4] = torch.tensor([0.5, 0.3])
    gts[1, 2:4] = torch.tensor([5000., 3000.])
    gts[2, 2:4] = torch.tensor([1e-4, 2.0])
    for measure in ('gjsd', 'kld', 'gwd'):
        res = check_against_reference(dict(topk=9, topq=6, measure=measure),
                                      (priors, bboxes, scores, gts, labels))
        assert torch.isfinite(res.max_overlaps).all()
        assert (res.gt_inds == 2).sum() == 6  # the huge box's DGMM covers its medium positives


def test_more_gts_than_priors():
    priors, bboxes, scores, _, _ = make_scene(12, 1, img=32, strides=(16, 32))
    assert priors.shape[0] == 5
    _, _, _, gts, labels = make_scene(13, 20, img=32, strides=(16, 32))
    res = check_against_reference(dict(topk=16, topq=12, gauss_thr=2.0),
                                  (priors, bboxes, scores, gts, labels))
    a = DCFLAssigner(topk=16, topq=12)
    idx, _, _ = a.rank_candidates(gts, priors)
    assert idx.shape == (20, 5)
    assert (res.gt_inds >= 0).all()


def test_no_priors():
    res = run(DCFLAssigner(), torch.zeros(0, 5), torch.zeros(0, 5), torch.zeros(0, 3),
              torch.tensor([[10., 10., 5., 5., 0.]]), torch.tensor([1]))
    assert res.gt_inds.shape == (0, )


def test_quadratic_model_of_the_shared_divergences():
    """For a fixed pair of shapes d(Δ) = ΔᵀPΔ + c: check at random offsets and angles."""
    gen = torch.Generator().manual_seed(0)
    gts = torch.rand(6, 5, generator=gen) * torch.tensor([500., 500., 80., 40., 3.])
    gts[:, 2:4] += 1
    shapes = torch.tensor([[32., 32., 0.], [64., 64., 0.], [40., 10., 0.7]])
    for measure, fn in (('gjsd', lambda a, b: gjsd(a, b, aligned=True)),
                        ('kld', lambda a, b: kld(a, b, aligned=True)),
                        ('gwd', lambda a, b: gwd(a, b, aligned=True))):
        coef = DCFLAssigner(measure=measure).topk_search.quadratic_coefficients(gts, shapes)
        assert coef is not None
        delta = torch.randn(6, 3, 2, generator=gen, dtype=torch.float64) * 50
        b1 = gts.double()[:, None].expand(6, 3, 5).reshape(-1, 5)
        b2 = torch.cat([b1[:, :2] + delta.reshape(-1, 2),
                        shapes.double()[None].expand(6, 3, 3).reshape(-1, 3)], 1)
        d = fn(b1, b2).reshape(6, 3)
        dx, dy = delta[..., 0], delta[..., 1]
        p11, p12, p22, c = coef.unbind(-1)
        model = p11 * dx * dx + 2 * p12 * dx * dy + p22 * dy * dy + c
        assert torch.allclose(model, d, rtol=1e-8, atol=1e-10)


def test_bad_input_errors():
    with pytest.raises(ValueError, match='measure'):
        DCFLAssigner(measure='giou')
    with pytest.raises(ValueError, match='cls_score_mode'):
        DCFLAssigner(cls_score_mode='mean')
    with pytest.raises(ValueError, match='dgmm_weights'):
        DCFLAssigner(dgmm_weights=(0.7, 0.7))
    with pytest.raises(ValueError, match='search'):
        DCFLAssigner(search='fast')
    with pytest.raises(ValueError, match='measure_cfg'):
        DCFLAssigner(measure_cfg=dict(alpah=0.5))
    priors, bboxes, scores, gts, labels = make_scene(0, 2)
    with pytest.raises(KeyError, match='scores'):
        DCFLAssigner().assign(InstanceData(priors=priors, bboxes=bboxes),
                              InstanceData(bboxes=gts, labels=labels))
    gts[1, 2] = float('nan')
    with pytest.raises(ValueError, match=r'rows \[1\]'):
        run(DCFLAssigner(), priors, bboxes, scores, gts, labels)


def test_rotated_boxes_inputs():
    from mmrotate.structures.bbox import RotatedBoxes
    priors, bboxes, scores, gts, labels = make_scene(4, 5)
    plain = run(DCFLAssigner(topk=9, topq=6), priors, bboxes, scores, gts, labels)
    boxed = run(DCFLAssigner(topk=9, topq=6), RotatedBoxes(priors), RotatedBoxes(bboxes), scores,
                RotatedBoxes(gts), labels)
    assert torch.equal(plain.gt_inds, boxed.gt_inds)


def test_benchmark_runs_both_modes_against_their_references(capsys):
    """tools/analysis_tools/benchmark_dcfl_assigner.py (tiny sizes): each mode's assignment is
    identical to its literal reference, and the table has both."""
    import contextlib
    import io
    import json

    from mmext.testing.tool_loader import load_tool
    bench = load_tool('analysis_tools', 'benchmark_dcfl_assigner')

    def measure_here(method, num_gts, args):  # the tool's subprocess, run in this process
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            bench.child(method, num_gts, args)
        return json.loads(out.getvalue().strip().splitlines()[-1])
    bench.measure = measure_here
    bench.main(['--num-gts', '0', '7', '--img-size', '256', '--repeat', '1', '--skip-step',
                '--threads', '0'])
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith(('| paper', '| official'))]
    assert len(rows) == 4
    assert all(row.split('|')[8].strip() == 'yes' for row in rows), rows
