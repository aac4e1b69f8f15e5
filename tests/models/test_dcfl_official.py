"""``DCFLAssigner(official=True)`` against the literal port of the released ``C2FAssigner``.

The reference (:func:`mmext.testing.dcfl_reference.c2f_reference_assign`) runs the released loops
(per gt, per top-K value; per gt, per top-Q slot) on the dense similarity matrix; the official mode
must give identical ``gt_inds`` on seeded scenes of 0-500 gts without top-K ties (checked), square
and non-square images, crowded scenes of many tiny boxes (where later gts take earlier gts'
candidates and gts are left with fewer than Q), plus hand-made cases of each released behaviour.
"""
import math

import pytest
import torch
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.task_modules.assigners import DCFLAssigner
from mmext.models.task_modules.assigners.dcfl_official import (last_gt_owner,
                                                               shared_list_topq)
from mmext.structures.gaussian import gaussian_similarity, gjsd
from mmext.testing.dcfl_reference import (c2f_reference_assign, count_topk_ties,
                                          moved_square_priors, released_gjsd)


# ---------------------------------------------------------------------------- scenes
def make_scene(seed, num_gts, img_hw=(256, 192), strides=(8, 16, 32, 64, 128),
               gt_size=(4.0, 64.0), num_classes=5):
    """Priors, decoded predictions, class logits ``[A, C]``, gts ``[G, 5]`` and labels."""
    gen = torch.Generator().manual_seed(seed)
    priors = moved_square_priors(img_hw, strides, generator=gen)
    a = priors.shape[0]
    bboxes = priors.clone()
    bboxes[:, :2] += torch.randn(a, 2, generator=gen) * priors[:, 2:3] / 8
    bboxes[:, 2:4] *= torch.exp(torch.randn(a, 2, generator=gen) * 0.5) / 4
    bboxes[:, 4] = torch.rand(a, generator=gen) * math.pi - math.pi / 4
    logits = torch.randn(a, num_classes, generator=gen) * 2 - 2
    h, w = img_hw
    gts = torch.rand(num_gts, 5, generator=gen)
    gts[:, 0] *= w
    gts[:, 1] *= h
    lo, hi = gt_size
    gts[:, 2:4] = lo * torch.exp(gts[:, 2:4] * math.log(hi / lo))
    gts[:, 4] = gts[:, 4] * math.pi - math.pi / 4
    labels = torch.randint(0, num_classes, (num_gts, ), generator=gen)
    return priors, bboxes, logits, gts, labels


def run_official(scene, ignore=None, **cfg):
    priors, bboxes, logits, gts, labels = scene
    assigner = DCFLAssigner(official=True, **cfg)
    pred = InstanceData(priors=priors, bboxes=bboxes, scores=logits.sigmoid())
    gt = InstanceData(bboxes=gts, labels=labels)
    return assigner.assign(pred, gt, None if ignore is None else InstanceData(bboxes=ignore))


def run_reference(scene, ignore=None, topk=16, topq=12, gauss_thr=0.8, dgmm=True,
                  ignore_iof_thr=-1, measure='gjsd'):
    priors, bboxes, logits, gts, labels = scene
    return c2f_reference_assign(logits.t(), bboxes, priors, gts, ignore, labels, topk=topk,
                                topq=topq, constraint='dgmm' if dgmm else False,
                                gauss_thr=gauss_thr, ignore_iof_thr=ignore_iof_thr,
                                assign_metric=measure)


def own_candidates(scene, topk=16):
    """Per gt, how many released CPS candidates it keeps after later gts overwrite."""
    priors, _, _, gts, _ = scene
    sim = gaussian_similarity(gts, priors)
    kth = sim.topk(min(topk, priors.shape[0]), dim=1).values[:, -1:]
    g, a = (sim >= kth).nonzero(as_tuple=True)
    owner = last_gt_owner(g, a, priors.shape[0])
    return torch.bincount(owner[owner >= 0], minlength=gts.shape[0])


def check(scene, ignore=None, tie_free=True, **cfg):
    """Official mode == literal reference (gt_inds and labels); returns the result."""
    ref_keys = ('topk', 'topq', 'gauss_thr', 'dgmm', 'ignore_iof_thr', 'measure')
    ref_cfg = {k: v for k, v in cfg.items() if k in ref_keys}
    priors, _, _, gts, labels = scene
    if tie_free and gts.shape[0]:
        sim = gaussian_similarity(gts, priors, measure=cfg.get('measure', 'gjsd'))
        assert count_topk_ties(sim, cfg.get('topk', 16)) == 0
    exp_inds, exp_max, exp_labels = run_reference(scene, ignore, **ref_cfg)
    result = run_official(scene, ignore, **cfg)
    diff = (result.gt_inds != exp_inds).sum()
    assert torch.equal(result.gt_inds, exp_inds), f'{diff} of {exp_inds.numel()} priors differ'
    assert torch.equal(result.labels, exp_labels)
    assert result.num_gts == gts.shape[0]
    return result, exp_max


# ---------------------------------------------------------------------------- vs the reference
SCENES = [
    # (seed, gts, image H x W, strides, gt size range): 256 x 192 has 1,024 priors
    (0, 0, (256, 192), (8, 16, 32, 64, 128), (4, 64)),
    (1, 1, (256, 192), (8, 16, 32, 64, 128), (4, 64)),
    (2, 3, (256, 192), (8, 16, 32, 64, 128), (4, 64)),
    (3, 12, (192, 320), (8, 16, 32, 64, 128), (4, 64)),
    (4, 40, (256, 192), (8, 16, 32, 64, 128), (4, 64)),
    (5, 40, (256, 256), (8, 16, 32, 64, 128), (2, 12)),  # crowded tiny boxes
    (6, 120, (384, 256), (8, 16, 32, 64, 128), (2, 16)),
    (7, 250, (320, 512), (8, 16, 32, 64, 128), (2, 12)),
    (8, 500, (512, 512), (8, 16, 32, 64, 128), (2, 12)),  # 5,456 priors, 500 tiny gts
    (9, 500, (768, 1024), (8, 16, 32, 64, 128), (2, 32)),  # 16,368 priors, non-square
]


@pytest.mark.parametrize('seed,num_gts,img_hw,strides,gt_size', SCENES)
def test_matches_released_reference(seed, num_gts, img_hw, strides, gt_size):
    scene = make_scene(seed, num_gts, img_hw, strides, gt_size)
    result, _ = check(scene)
    if num_gts == 0:
        assert (result.gt_inds == 0).all()
        return
    assert (result.gt_inds > 0).any() and (result.gt_inds == 0).any()
    if num_gts >= 40 and gt_size[1] <= 16:
        # crowded: later gts took earlier gts' candidates, some gts are short of Q
        assert (own_candidates(scene) < 12).any()


@pytest.mark.parametrize('seed,num_gts', [(70, 10), (71, 80)])
def test_ignored_band_and_gt0_dgmm(seed, num_gts):
    """Gts of prior-like sizes: many priors are in the ignore band (best similarity >= 0.8, no
    candidate); the released DGMM step turns those outside gt 0's DGMM negative."""
    scene = make_scene(seed, num_gts, (384, 512), gt_size=(32, 128))
    without, _ = check(scene, dgmm=False)
    with_dgmm, _ = check(scene)
    ignored = without.gt_inds == -1
    assert ignored.sum() > 100
    assert (with_dgmm.gt_inds[ignored] == 0).sum() > 0.8 * ignored.sum()


def test_dota_like_scenes_where_the_paper_reading_differs():
    """P3-P7 priors of a 512 x 512 image, 20-50 gts of DOTA-like sizes: the official mode equals
    the reference in every scene; the paper's reading with the best class score does not."""
    differ = 0
    for seed in range(60, 66):
        num_gts = 20 + 6 * (seed - 60)
        scene = make_scene(seed, num_gts, (512, 512), gt_size=(4, 48), num_classes=15)
        result, _ = check(scene, gauss_thr=0.6)
        priors, bboxes, logits, gts, labels = scene
        paper = DCFLAssigner(cls_score_mode='max', gauss_thr=0.6).assign(
            InstanceData(priors=priors, bboxes=bboxes, scores=logits.sigmoid()),
            InstanceData(bboxes=gts, labels=labels))
        differ += int((paper.gt_inds != result.gt_inds).sum())
    assert differ > 0


@pytest.mark.parametrize('options', [
    dict(search='quadratic'),
    dict(search='dense'),
    dict(max_chunk_pairs=2000),  # many chunks in every vectorised step
    dict(topk=9, topq=6, gauss_thr=0.6),  # the released configs' g
    dict(topk=15, topq=13, gauss_thr=0.6),  # the released DIOR-R K, Q
    dict(dgmm=False),  # constraint=False: the ignored priors stay ignored
    dict(gauss_thr=2.0),
])
def test_matches_reference_across_options(options):
    for seed in (20, 21):
        scene = make_scene(seed, 60, (256, 320), gt_size=(2, 24))
        result, exp_max = check(scene, **options)
        if options.get('search') == 'dense':  # every similarity evaluated: the released max
            assert torch.allclose(result.max_overlaps, exp_max.clamp(min=0), rtol=1e-5)


def test_more_gts_than_priors_and_k_at_or_above_the_prior_count():
    """8 priors, 15 gts; K = 4, K = 8 and K = 16 (every prior a candidate of every gt: the
    last gt owns them all)."""
    scene = make_scene(30, 15, (32, 48), (16, 32), (8, 40))
    assert scene[0].shape[0] == 8
    for topk in (4, 8, 16):
        res, _ = check(scene, tie_free=False, topk=topk, topq=min(topk, 12), gauss_thr=3.0)
        if topk >= 8:
            assert set(res.gt_inds.tolist()) <= {0, 15}


def test_ignore_regions_match_reference():
    scene = make_scene(31, 20, (256, 192), gt_size=(4, 40))
    ignore = torch.tensor([[60., 60., 60., 40., 0.3], [150., 40., 50., 50., 0.]])
    result, _ = check(scene, ignore=ignore, ignore_iof_thr=0.5)
    from mmrotate.structures.bbox import rbbox_overlaps
    inside = rbbox_overlaps(scene[0], ignore, mode='iof').max(1).values > 0.5
    assert inside.any()
    # released: ignore regions are -1 before the DGMM step, outside gt 0's DGMM they turn 0
    assert (result.gt_inds[inside] == 0).any()
    # no gt: everything negative, ignore regions included
    empty = (scene[0], scene[1], scene[2], scene[3][:0], scene[4][:0])
    res0 = run_official(empty, ignore, ignore_iof_thr=0.5)
    exp0 = run_reference(empty, ignore, ignore_iof_thr=0.5)[0]
    assert (res0.gt_inds == 0).all() and torch.equal(res0.gt_inds, exp0)


def test_topk_ties_follow_value_equality():
    """Static grid priors, gt equidistant from 4 priors: with K=6 the 4 nearest and all 8 tied
    at the 6th value are candidates (12 > K), as the released ``==`` matching gives."""
    priors = moved_square_priors((64, 64), (8, ), shift=0)  # 8 x 8 grid of 32 px squares
    gts = torch.tensor([[20., 20., 10., 10., 0.]])
    a = priors.shape[0]
    gen = torch.Generator().manual_seed(0)
    bboxes = priors.clone()
    bboxes[:, 2:4] = 10
    logits = torch.randn(a, 2, generator=gen)
    scene = (priors, bboxes, logits, gts, torch.tensor([0]))
    sim = gaussian_similarity(gts, priors)
    assert count_topk_ties(sim, 6) == 6
    for search in ('window', 'quadratic', 'dense'):
        res, _ = check(scene, tie_free=False, topk=6, topq=16, dgmm=False, search=search)
        assert (res.gt_inds == 1).sum() == 12  # all 12 candidates are medium positives
        res, _ = check(scene, tie_free=False, topk=6, topq=3, search=search)
        assert (res.gt_inds == 1).sum() <= 3
    # the paper's reading keeps exactly K
    paper = DCFLAssigner(topk=6, topq=16, dgmm=False).assign(
        InstanceData(priors=priors, bboxes=bboxes, scores=logits.sigmoid()),
        InstanceData(bboxes=gts, labels=torch.tensor([0])))
    assert (paper.gt_inds == 1).sum() == 6


def test_later_gt_overwrites_and_short_gts_are_padded():
    """Two identical gts: the later one takes all K candidates; the earlier has none, so its
    top-Q row is all -100 and picks Q of gt 2's candidates, which turn positive for gt 2."""
    priors = moved_square_priors((64, 64), (8, ), shift=0.3,
                                 generator=torch.Generator().manual_seed(1))
    a = priors.shape[0]
    gen = torch.Generator().manual_seed(2)
    bboxes = priors.clone()
    bboxes[:, :2] += torch.randn(a, 2, generator=gen)
    bboxes[:, 2:4] = 12
    logits = torch.randn(a, 3, generator=gen)
    gts = torch.tensor([[30., 28., 12., 12., 0.], [30., 28., 12., 12., 0.]])
    labels = torch.tensor([2, 2])
    scene = (priors, bboxes, logits, gts, labels)
    assert own_candidates(scene, 8).tolist() == [0, 8]
    res, _ = check(scene, topk=8, topq=3, dgmm=False)
    # gt 1 owns nothing; gt 2 gets its own top-3 plus the pads gt 1's row took
    assert (res.gt_inds == 1).sum() == 0
    n2 = int((res.gt_inds == 2).sum())
    assert 3 < n2 <= 6
    assert (res.labels[res.gt_inds == 2] == 2).all()
    # the paper's reading: both gts choose the same K and Q, conflicts to the lower index
    paper = DCFLAssigner(topk=8, topq=3, dgmm=False).assign(
        InstanceData(priors=priors, bboxes=bboxes, scores=logits.sigmoid()),
        InstanceData(bboxes=gts, labels=labels))
    assert (paper.gt_inds == 1).sum() == 3 and (paper.gt_inds == 2).sum() == 0
    check(scene, topk=8, topq=3)  # with the DGMM (the pads are in gt 1's semantic centre)


def test_ignored_priors_outside_gt0_dgmm_become_negative():
    """Priors with best similarity >= 0.8 that are nobody's candidate stay ignored near gt 0
    (inside its DGMM) and become negative near gt 1 (outside gt 0's DGMM)."""
    centres = torch.tensor([[0., 0.], [1., 0.], [0., 1.], [-1., 0.],
                            [200., 200.], [201., 200.], [200., 201.], [199., 200.]])
    priors = torch.cat([centres, torch.full((8, 2), 32.), torch.zeros(8, 1)], 1)
    priors[:, :2] += torch.rand(8, 2, generator=torch.Generator().manual_seed(3)) * 0.1
    gts = torch.tensor([[0., 0., 32., 32., 0.], [200., 200., 32., 32., 0.]])
    bboxes = priors.clone()
    logits = torch.zeros(8, 1)
    scene = (priors, bboxes, logits, gts, torch.tensor([0, 0]))
    assert (gaussian_similarity(gts, priors).max(0).values >= 0.8).all()
    res, _ = check(scene, topk=1, topq=1, gauss_thr=0.8)
    near0, near1 = res.gt_inds[:4], res.gt_inds[4:]
    assert (near0 == 1).sum() == 1 and (near0 == -1).sum() == 3
    assert (near1 == 2).sum() == 1 and (near1 == 0).sum() == 3
    paper = DCFLAssigner(topk=1, topq=1).assign(
        InstanceData(priors=priors, bboxes=bboxes, scores=logits.sigmoid()),
        InstanceData(bboxes=gts, labels=torch.tensor([0, 0])))
    assert (paper.gt_inds[4:] == -1).sum() == 3  # the paper's reading keeps them ignored
    res, _ = check(scene, topk=1, topq=1, dgmm=False)  # no DGMM: ignored stay ignored
    assert (res.gt_inds == -1).sum() == 6


def test_iou_measure_with_massive_ties():
    """``assign_metric='iou'`` (the released calculator's other mode): gt 0 lies outside the
    image, its K-th IoU is 0, so value equality makes every prior its candidate; the later gts
    overwrite theirs, gt 0 keeps the rest and its DGMM removes them all."""
    priors, bboxes, logits, gts, labels = make_scene(40, 6, (128, 128), (8, 16, 32), (2, 40))
    gts[0, :2] = torch.tensor([-300., -200.])
    scene = (priors, bboxes, logits, gts, labels)
    from mmrotate.structures.bbox import rbbox_overlaps
    assert count_topk_ties(rbbox_overlaps(gts, priors), 16) > priors.shape[0] / 2
    res, _ = check(scene, tie_free=False, measure='iou')
    assert not (res.gt_inds == 1).any() and (res.gt_inds > 1).any()
    assert not (res.gt_inds == -1).any()  # every prior is somebody's candidate


# ---------------------------------------------------------------------------- pieces
def test_released_gjsd_formula_equals_shared_gjsd():
    """The released absolute-coordinate ``get_gjsd`` and mmext's closed form agree (float64)."""
    priors, _, _, gts, _ = make_scene(50, 7, (128, 128), (8, 16))
    p64, g64 = priors.double(), gts.double()
    assert torch.allclose(released_gjsd(g64, p64), gjsd(g64, p64), rtol=1e-7, atol=1e-9)


def test_shared_list_topq_equals_dense_topk():
    gen = torch.Generator().manual_seed(0)
    for trial in range(60):
        num_gts = int(torch.randint(1, 30, (1, ), generator=gen))
        num_cands = int(torch.randint(1, 120, (1, ), generator=gen))
        q = min(int(torch.randint(1, 14, (1, ), generator=gen)), num_cands)
        cand_gt = torch.randint(0, num_gts, (num_cands, ), generator=gen)
        quality = torch.rand(num_cands, generator=gen) * 2
        if trial % 2:
            quality = (quality * 4).round() / 4  # ties inside a gt
        dense = torch.full((num_gts, num_cands), -100.)
        dense[cand_gt, torch.arange(num_cands)] = quality
        expected = dense.topk(q, dim=1).indices.sort(1).values
        got = shared_list_topq(cand_gt, quality, num_gts, q, max_chunk_pairs=97)
        assert torch.equal(got.sort(1).values, expected)


def test_last_gt_owner():
    pair_gt = torch.tensor([0, 0, 1, 2, 2, 3])
    pair_prior = torch.tensor([5, 1, 1, 3, 5, 0])
    assert last_gt_owner(pair_gt, pair_prior, 7).tolist() == [3, 1, -1, 2, -1, 2, -1]


def test_official_switch():
    a = DCFLAssigner(official=True)
    assert a.cls_score_mode == 'max' and a.neg_sim_thr == 0.8 and a.dgmm_weights == (0.7, 0.3)
    assert DCFLAssigner().cls_score_mode == 'gt_class' and not DCFLAssigner().official
    DCFLAssigner(official=True, cls_score_mode='max', neg_sim_thr=0.8, gauss_thr=0.6)
    for bad in (dict(neg_sim_thr=0.5), dict(dgmm_weights=(0.5, 0.5)), dict(pt_cls_weight=0.3)):
        with pytest.raises(ValueError, match='official=True'):
            DCFLAssigner(official=True, **bad)
