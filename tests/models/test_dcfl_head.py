"""DCFLHead: prior capturing block structure, dynamic priors by hand, assigner inputs, losses and
inference (the short training run on synthetic DOTA is in tests/configs/test_dcfl_configs.py)."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmcv.ops import DeformConv2d
from mmengine.config import Config
from mmdet.structures.bbox import get_box_tensor
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.dense_heads import DCFLHead

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def head_cfg(**kwargs):
    cfg = copy.deepcopy(Config.fromfile(
        osp.join(ROOT, 'configs/dcfl/_base_/dcfl-le135_r50_fpn.py')).model.bbox_head)
    cfg.update(num_classes=3, in_channels=8, feat_channels=8)
    cfg.update(kwargs)
    return cfg


def build_head(train=True, **kwargs):
    from mmengine.registry import init_default_scope
    from mmrotate.registry import MODELS
    init_default_scope('mmrotate')
    cfg = head_cfg(**kwargs)
    base = Config.fromfile(osp.join(ROOT, 'configs/dcfl/_base_/dcfl-le135_r50_fpn.py')).model
    head = MODELS.build(dict(cfg, train_cfg=base.train_cfg if train else None,
                             test_cfg=base.test_cfg))
    head.init_weights()
    return head


def feats(img=64, channels=8, batch=1, seed=0):
    """FPN features P3-P7 of an ``img`` x ``img`` input (at least 1 x 1)."""
    gen = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(batch, channels, max(img // s, 1), max(img // s, 1), generator=gen)
                 for s in (8, 16, 32, 64, 128))


def metas(img=64, batch=1):
    return [dict(img_shape=(img, img), pad_shape=(img, img), scale_factor=(1., 1.))
            for _ in range(batch)]


def test_structure_matches_the_official_layout():
    head = build_head(dilation=3)
    assert len(head.cls_convs) == 2 and len(head.reg_convs) == 2
    assert head.cls_dilated.dilation == (3, 3) and head.cls_dilated.padding == (3, 3)
    assert head.cls_dilated.bias is None and head.reg_dilated.bias is None
    assert head.pcb_offset.out_channels == 27
    assert head.reg_dcn.bias is None and head.cls_dcn.bias is None
    assert head.num_base_priors == 1
    head4 = build_head(dilation=4, stacked_convs=3)
    assert len(head4.cls_convs) == 1 and head4.reg_dilated.dilation == (4, 4)
    cls, reg, off = head.forward_single(torch.randn(2, 8, 6, 7))
    assert cls.shape == (2, 3, 6, 7) and reg.shape == (2, 5, 6, 7) and off.shape == (2, 18, 6, 7)


def test_dilated_conv_equals_the_official_fixed_offset_deform_conv():
    """Official layer 2: DeformConv2d(3x3, pad 1) fed offsets ±(r-1) per tap = dilation r."""
    r = 3
    conv = torch.nn.Conv2d(4, 5, 3, padding=r, dilation=r, bias=False)
    dcn = DeformConv2d(4, 5, 3, padding=1, bias=False)
    dcn.weight.data.copy_(conv.weight.data)
    x = torch.randn(1, 4, 9, 11)
    one = torch.ones(1, 1, 9, 11) * (r - 1)
    z = torch.zeros_like(one)
    # (dy, dx) per tap in row-major order, as the official sampling_loc
    loc = torch.cat([-one, -one, -one, z, -one, one, z, -one, z, z, z, one, one, -one, one, z,
                     one, one], dim=1)
    assert torch.allclose(dcn(x, loc), conv(x), atol=1e-5)


def test_classification_branch_reuses_the_regression_offsets():
    head = build_head()
    seen = {}
    head.reg_dcn.register_forward_hook(lambda m, i, o: seen.__setitem__('reg', i))
    head.cls_dcn.register_forward_hook(lambda m, i, o: seen.__setitem__('cls', i))
    _, _, off = head.forward_single(torch.randn(1, 8, 5, 5))
    assert seen['reg'][1] is seen['cls'][1] and seen['reg'][2] is seen['cls'][2]
    assert torch.equal(seen['reg'][1], off)
    assert (seen['reg'][2] > 0).all() and (seen['reg'][2] < 1).all()  # sigmoid mask


def test_dynamic_prior_update_by_hand():
    """s̃ = s + st · Σ Δo / (2n): offsets set by hand on P3 (stride 8) and P4 (stride 16)."""
    head = build_head()
    offsets = [torch.zeros(1, 18, 8, 8), torch.zeros(1, 18, 4, 4), torch.zeros(1, 18, 2, 2),
               torch.zeros(1, 18, 1, 1), torch.zeros(1, 18, 1, 1)]
    # P3, location (y=1, x=2): every tap (dy, dx) = (2, -1) -> shift (x, y) = 8/2 * (-1, 2)
    offsets[0][0, 0::2, 1, 2] = 2.0
    offsets[0][0, 1::2, 1, 2] = -1.0
    # P4, location (y=3, x=0): taps dy = 0..8, dx = 1 on tap 4 only -> mean dy 4, mean dx 1/9
    offsets[1][0, 0::2, 3, 0] = torch.arange(9.)
    offsets[1][0, 9, 3, 0] = 1.0
    shifts = head.prior_shifts(offsets, metas(64))
    assert shifts.shape == (1, 64 + 16 + 4 + 1 + 1, 2)
    expected = torch.zeros_like(shifts)
    expected[0, 1 * 8 + 2] = torch.tensor([-4.0, 8.0])
    expected[0, 64 + 3 * 4 + 0] = torch.tensor([16 / 2 / 9, 16 / 2 * 4.0])
    assert torch.allclose(shifts, expected)
    anchors = head.prior_generator.grid_priors([(8, 8), (4, 4), (2, 2), (1, 1), (1, 1)],
                                               device='cpu')
    from mmdet.structures.bbox import cat_boxes, get_box_tensor
    static = get_box_tensor(cat_boxes(anchors))
    dyn = head.dynamic_priors(static, shifts[0])
    assert torch.allclose(dyn[10], static[10] + torch.tensor([-4., 8., 0, 0, 0]))
    assert torch.equal(dyn[:, 2:], static[:, 2:])
    assert torch.equal(static[10, :2], torch.tensor([16., 8.]))  # mmdet grid: x = 2*8, y = 1*8
    # official factor: times img_h / 1024
    head_off = build_head(offset_scale='official')
    assert torch.allclose(head_off.prior_shifts(offsets, metas(512)), expected * 0.5)
    # dynamic_prior=False keeps the static priors
    assert torch.equal(build_head(dynamic_prior=False).dynamic_priors(static, shifts[0]), static)


def test_assigner_sees_dynamic_priors_decoded_boxes_and_scores():
    head = build_head()
    seen = _spy_assign(head)
    x = feats(64, batch=2)
    cls_scores, bbox_preds, offsets = head(x)
    gts = [InstanceData(bboxes=torch.tensor([[20., 30., 16., 8., 0.3]]),
                        labels=torch.tensor([1])),
           InstanceData(bboxes=torch.zeros(0, 5), labels=torch.zeros(0, dtype=torch.long))]
    losses = head.loss_by_feat(cls_scores, bbox_preds, offsets, gts, metas(64, 2))
    assert len(seen) == 2
    sizes = [f.shape[-2:] for f in cls_scores]
    from mmdet.structures.bbox import cat_boxes, get_box_tensor
    static = get_box_tensor(cat_boxes(head.prior_generator.grid_priors(sizes, device='cpu')))
    shifts = head.prior_shifts(offsets, metas(64, 2))
    for i, p in enumerate(seen):
        assert torch.allclose(p.priors[:, :2], static[:, :2] + shifts[i])
        flat_reg = torch.cat([b[i].permute(1, 2, 0).reshape(-1, 5) for b in bbox_preds])
        assert torch.allclose(p.bboxes, get_box_tensor(head.bbox_coder.decode(static, flat_reg)))
        flat_cls = torch.cat([c[i].permute(1, 2, 0).reshape(-1, 3) for c in cls_scores])
        assert torch.allclose(p.scores, flat_cls.sigmoid())
        assert not p.scores.requires_grad and not p.priors.requires_grad
    assert shifts.abs().max() > 0  # N(0, 0.01) offset init: small but non-zero
    total = sum(sum(v) for v in losses.values())
    total.backward()
    assert head.pcb_offset.weight.grad.abs().sum() > 0
    assert all(torch.isfinite(torch.stack(v)).all() for v in losses.values())


def test_empty_image_has_no_box_loss():
    head = build_head()
    cls_scores, bbox_preds, offsets = head(feats(64))
    gts = [InstanceData(bboxes=torch.zeros(0, 5), labels=torch.zeros(0, dtype=torch.long))]
    losses = head.loss_by_feat(cls_scores, bbox_preds, offsets, gts, metas(64))
    assert sum(losses['loss_bbox']).item() == 0 and sum(losses['loss_cls']).item() > 0


def test_inference_uses_static_priors_and_ignores_offsets():
    head = build_head(train=False)
    head.eval()
    head.test_cfg['score_thr'] = 0.0  # untrained scores are ~0.01
    x = feats(64)
    cls_scores, bbox_preds, offsets = head(x)
    res = head.predict_by_feat(cls_scores, bbox_preds, offsets, batch_img_metas=metas(64),
                               rescale=False)
    shifted = [o + 100 for o in offsets]
    res2 = head.predict_by_feat(cls_scores, bbox_preds, shifted, batch_img_metas=metas(64),
                                rescale=False)
    assert torch.equal(res[0].bboxes.tensor, res2[0].bboxes.tensor)
    assert len(res[0]) > 0


def test_bad_configs():
    with pytest.raises(ValueError, match='one prior per location'):
        build_head(anchor_generator=dict(type='FakeRotatedAnchorGenerator',
                                         angle_version='le135', octave_base_scale=4,
                                         scales_per_octave=1, ratios=[0.5, 1.0],
                                         strides=[8, 16, 32, 64, 128]))
    with pytest.raises(ValueError, match='stacked_convs'):
        build_head(stacked_convs=1)
    with pytest.raises(ValueError, match='offset_scale'):
        build_head(offset_scale='x')


# ---------------------------------------------------------------------- the released head
def test_official_switch_sets_every_head_behaviour():
    from mmrotate.models.task_modules.coders import DeltaXYWHTRBBoxCoder
    paper = build_head()
    assert (paper.official, paper.offset_scale, paper.assign_pred_priors,
            paper.dilated_init) == (False, 'paper', 'static', 'normal')
    assert paper.assign_bbox_coder is paper.bbox_coder
    off = build_head(official=True)
    assert (off.official, off.offset_scale, off.assign_pred_priors, off.dilated_init) == (
        True, 'official', 'dynamic', 'official')
    coder = off.assign_bbox_coder
    assert isinstance(coder, DeltaXYWHTRBBoxCoder) and coder is not off.bbox_coder
    assert (coder.angle_version, coder.norm_factor, coder.edge_swap, coder.proj_xy) == (
        'oc', None, False, True)
    # on the released angle-0 priors proj_xy changes nothing: the released coder's
    # (proj_xy=False) decode exactly
    from mmrotate.registry import TASK_UTILS
    literal = TASK_UTILS.build(dict(type='DeltaXYWHTRBBoxCoder', angle_version='oc',
                                    use_box_type=False))
    priors = torch.tensor([[10., 20., 32., 32., 0.], [50., 5., 64., 64., 0.]])
    deltas = torch.tensor([[0.3, -0.2, 0.1, -0.4, 0.7], [-1.0, 0.5, 0.2, 0.3, -2.0]])
    assert torch.allclose(get_box_tensor(coder.decode(priors, deltas)),
                          get_box_tensor(literal.decode(priors, deltas)))
    assert torch.allclose(get_box_tensor(coder.decode(priors, deltas))[:, 4], deltas[:, 4])
    assert off.bbox_coder.angle_version == 'le135'  # the head's own coder is unchanged
    # an explicit option wins over the switch, in both directions
    mixed = build_head(official=True, offset_scale='paper', dilated_init='normal')
    assert (mixed.offset_scale, mixed.dilated_init, mixed.assign_pred_priors) == (
        'paper', 'normal', 'dynamic')
    one = build_head(assign_bbox_coder='official')
    assert one.assign_bbox_coder.angle_version == 'oc'
    assert one.offset_scale == 'paper' and one.assign_pred_priors == 'static'
    custom = build_head(assign_bbox_coder=dict(type='DeltaXYWHTRBBoxCoder', angle_version='le90'))
    assert custom.assign_bbox_coder.angle_version == 'le90'
    for bad in (dict(assign_pred_priors='moved'), dict(dilated_init='kaiming'),
                dict(assign_bbox_coder='released')):
        with pytest.raises(ValueError, match=next(iter(bad))):
            build_head(**bad)


def test_official_prior_shift_scale_by_hand():
    """Released: offsets x img_h / 256 on the first level, doubled per level, whatever the
    strides; the paper: stride / 2. Strides 4..64 and a 1024 input tell them apart."""
    gen = dict(type='FakeRotatedAnchorGenerator', angle_version='le135', octave_base_scale=4,
               scales_per_octave=1, ratios=[1.0], strides=[4, 8, 16, 32, 64])
    offsets = [torch.zeros(1, 18, 4, 4), torch.zeros(1, 18, 2, 2), torch.zeros(1, 18, 1, 1),
               torch.zeros(1, 18, 1, 1), torch.zeros(1, 18, 1, 1)]
    offsets[0][0, 0::2, 1, 2] = 2.0   # level 0, (y=1, x=2): mean (dy, dx) = (2, -1)
    offsets[0][0, 1::2, 1, 2] = -1.0
    offsets[1][0, 0::2, 0, 1] = torch.arange(9.)  # level 1, (y=0, x=1): mean dy 4, dx 1/9
    offsets[1][0, 9, 0, 1] = 1.0
    offsets[2][0, 2, 0, 0] = 9.0      # level 2: tap 1 dy = 9 -> mean dy 1
    official = build_head(official=True, anchor_generator=gen)
    paper = build_head(anchor_generator=gen)
    got = official.prior_shifts(offsets, metas(1024))
    # official scale: 1024 / 256 = 4 on level 0, 8 on level 1, 16 on level 2
    expected = torch.zeros(1, 16 + 4 + 1 + 1 + 1, 2)
    expected[0, 1 * 4 + 2] = torch.tensor([-4.0, 8.0])
    expected[0, 16 + 0 * 2 + 1] = torch.tensor([8.0 / 9, 32.0])
    expected[0, 16 + 4] = torch.tensor([0.0, 16.0])
    assert torch.allclose(got, expected)
    # paper scale: stride / 2 = 2, 4, 8
    expected_paper = torch.zeros_like(expected)
    expected_paper[0, 1 * 4 + 2] = torch.tensor([-2.0, 4.0])
    expected_paper[0, 16 + 1] = torch.tensor([4.0 / 9, 16.0])
    expected_paper[0, 16 + 4] = torch.tensor([0.0, 8.0])
    assert torch.allclose(paper.prior_shifts(offsets, metas(1024)), expected_paper)
    # DIOR-R's 800 px input: 800 / 256 = 3.125 on level 0
    assert torch.allclose(official.prior_shifts(offsets, metas(800)), expected * 800 / 1024)


def _spy_assign(head):
    seen = []
    real = head.assigner.assign

    def spy(pred_instances, gt_instances, gt_instances_ignore=None):
        seen.append(pred_instances)
        return real(pred_instances, gt_instances, gt_instances_ignore)

    head.assigner.assign = spy
    return seen


def _hand_inputs(img=256, seed=1):
    """Features, then deltas and offsets large enough that the coders and shifts differ."""
    gen = torch.Generator().manual_seed(seed)
    sizes = [(img // s, img // s) for s in (8, 16, 32, 64, 128)]
    bbox_preds = [torch.rand(1, 5, h, w, generator=gen) * 2 - 1 for h, w in sizes]
    offsets = [torch.rand(1, 18, h, w, generator=gen) * 4 - 2 for h, w in sizes]
    gts = [InstanceData(bboxes=torch.tensor([[100., 90., 40., 20., 0.4],
                                             [30., 180., 24., 24., -0.2]]),
                        labels=torch.tensor([0, 2]))]
    return sizes, bbox_preds, offsets, gts


def _hand_static_priors(sizes):
    """Square priors 4 x stride centred at (x, y) * stride, levels concatenated, row-major; angle
    pi/2: mmrotate 1.x's FakeRotatedAnchorGenerator regularises squares so under le135 (the
    released mmrotate 0.3 generator gives 0)."""
    out = []
    for (h, w), s in zip(sizes, (8, 16, 32, 64, 128)):
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                                torch.arange(w, dtype=torch.float32), indexing='ij')
        side = torch.full((h * w, ), 4.0 * s)
        out.append(torch.stack([xs.reshape(-1) * s, ys.reshape(-1) * s, side, side,
                                torch.full((h * w, ), math.pi / 2)], dim=1))
    return torch.cat(out)


def _hand_shifts(offsets, img, official):
    out = []
    for level, (off, s) in enumerate(zip(offsets, (8, 16, 32, 64, 128))):
        taps = off[0].reshape(9, 2, -1)  # [tap, (dy, dx), H*W]
        scale = img / 256 * 2**level if official else s / 2
        out.append(torch.stack([taps[:, 1].mean(0) * scale, taps[:, 0].mean(0) * scale], 1))
    return torch.cat(out)


def _gaussian(boxes):
    """(centre, covariance R diag(w²/4, h²/4) Rᵀ) of rotated boxes, by hand."""
    c, s = torch.cos(boxes[:, 4]), torch.sin(boxes[:, 4])
    a, b = boxes[:, 2]**2 / 4, boxes[:, 3]**2 / 4
    cov = torch.stack([a * c * c + b * s * s, (a - b) * c * s, (a - b) * c * s,
                       a * s * s + b * c * c], 1)
    return boxes[:, :2], cov


def test_official_assigner_predictions_by_hand():
    """Released: the boxes for PT are decoded from the moved priors with the 'oc' coder without
    norm factor: the head's centre and size, angle = prior angle + raw delta; mmext: from the
    static priors with the head's le135 coder (angle delta x pi, wrapped to [-pi/4, 3pi/4)).

    The priors here have angle pi/2 (mmrotate 1.x), the released ones 0. The same head
    prediction in the released frame has deltas (dx, dy, dw, dh, da)_rel = (-dy, dx, dh, dw, da)
    (both decode to the same box with the head's coder); the released assigner's box from those,
    (px + p dx_rel, py + p dy_rel, p e^dw_rel, p e^dh_rel, da_rel), must be the same box."""
    img = 256
    sizes, bbox_preds, offsets, gts = _hand_inputs(img)
    static = _hand_static_priors(sizes)
    deltas = torch.cat([b[0].reshape(5, -1).t() for b in bbox_preds])
    dx, dy, dw, dh, da = deltas.unbind(1)
    for official in (True, False):
        head = build_head(official=official)
        seen = _spy_assign(head)
        cls_scores = [torch.zeros(1, 3, h, w) for h, w in sizes]
        head.loss_by_feat(cls_scores, bbox_preds, offsets, gts, metas(img))
        (pred, ) = seen
        moved = static.clone()
        moved[:, :2] += _hand_shifts(offsets, img, official)
        assert torch.allclose(pred.priors, moved, atol=1e-4)
        base = moved if official else static
        px, py, pw, ph = base[:, 0], base[:, 1], base[:, 2], base[:, 3]
        # the head's centre and size for a prior at angle pi/2 (proj_xy): x - ph dy, y + pw dx
        centre_size = torch.stack([px - ph * dy, py + pw * dx, pw * dw.exp(), ph * dh.exp()], 1)
        assert torch.allclose(pred.bboxes[:, :4], centre_size, atol=1e-3)
        if official:
            assert torch.allclose(pred.bboxes[:, 4], math.pi / 2 + da, atol=1e-6)
            released = torch.stack([px + pw * -dy, py + ph * dx, pw * dh.exp(), ph * dw.exp(),
                                    da], 1)
            (mu1, cov1), (mu2, cov2) = _gaussian(pred.bboxes), _gaussian(released)
            assert torch.allclose(mu1, mu2, atol=1e-3)
            assert torch.allclose(cov1, cov2, rtol=1e-4, atol=1e-2)
        else:
            wrapped = torch.remainder(math.pi / 2 + da * math.pi + math.pi / 4,
                                      math.pi) - math.pi / 4
            assert torch.allclose(pred.bboxes[:, 4], wrapped, atol=1e-5)
    assert not torch.allclose(moved, static)  # the shifts are visible at this scale


def test_official_dilated_init_matches_mmcv_deform_conv():
    """Released layer 2 is mmcv's DeformConv2d, kaiming-uniform (ReLU gain): U(±sqrt(6/fan_in)),
    std sqrt(2/fan_in); mmext's default is the head's Normal(std=0.01). The other PCB layers
    initialise the same in both modes."""
    torch.manual_seed(0)
    c = 32
    fan_in = c * 9
    bound = math.sqrt(6 / fan_in)
    reference = DeformConv2d(c, c, 3, padding=1, bias=False).weight.detach()
    assert reference.abs().max() <= bound and reference.abs().max() > 0.98 * bound
    official = build_head(official=True, in_channels=c, feat_channels=c)
    paper = build_head(in_channels=c, feat_channels=c)
    for conv in (official.cls_dilated, official.reg_dilated):
        wt = conv.weight.detach()
        assert wt.abs().max() <= bound and wt.abs().max() > 0.98 * bound
        assert abs(wt.std().item() - math.sqrt(2 / fan_in)) < 0.03 * math.sqrt(2 / fan_in)
        assert abs(wt.std().item() - reference.std().item()) < 0.05 * reference.std().item()
        assert abs(wt.mean().item()) < 0.005
    for conv in (paper.cls_dilated, paper.reg_dilated):
        assert abs(conv.weight.std().item() - 0.01) < 0.0005
    for head in (official, paper):
        assert abs(head.pcb_offset.weight.std().item() - 0.01) < 0.0005
        assert torch.equal(head.pcb_offset.bias, torch.zeros(27))
        for dcn in (head.reg_dcn, head.cls_dcn):  # mmcv's U(±1/sqrt(C*9))
            stdv = 1 / math.sqrt(fan_in)
            assert dcn.weight.abs().max() <= stdv and dcn.weight.abs().max() > 0.98 * stdv
        for conv in list(head.cls_convs) + list(head.reg_convs):
            assert abs(conv.conv.weight.std().item() - 0.01) < 0.0005
    # a second init_weights call does not draw the dilated weights again
    before = official.cls_dilated.weight.detach().clone()
    official.init_weights()
    assert torch.equal(official.cls_dilated.weight, before)


def test_loss_normaliser_floors_each_image_at_one_as_released():
    """The released head (mmdet 2.x) normalises by the sum over images of max(num_pos, 1); mmdet
    3.x's SamplingResult does the same, so mmext needs no option: with one empty image in two the
    losses are the per-positive sums divided by P + 1."""
    head = build_head()
    x = feats(64, batch=2)
    cls_scores, bbox_preds, offsets = head(x)
    gts = [InstanceData(bboxes=torch.tensor([[20., 30., 16., 8., 0.3]]),
                        labels=torch.tensor([1])),
           InstanceData(bboxes=torch.zeros(0, 5), labels=torch.zeros(0, dtype=torch.long))]
    *_, avg_factor, results = head.get_targets(
        *head.get_anchors([c.shape[-2:] for c in cls_scores], metas(64, 2), device='cpu'),
        gts, metas(64, 2),
        batch_pred_instances=_pred_instances(head, cls_scores, bbox_preds, offsets),
        return_sampling_results=True)
    num_pos = [len(r.pos_inds) for r in results]
    assert num_pos[0] > 0 and num_pos[1] == 0
    assert avg_factor == num_pos[0] + 1


def _pred_instances(head, cls_scores, bbox_preds, offsets):
    """The assigner inputs that loss_by_feat builds, captured through the assigner."""
    seen = _spy_assign(head)
    gts = [InstanceData(bboxes=torch.zeros(0, 5), labels=torch.zeros(0, dtype=torch.long))] * 2
    head.loss_by_feat(cls_scores, bbox_preds, offsets, gts, metas(64, 2))
    return seen
