"""DCFLHead: prior capturing block structure, dynamic priors by hand, assigner inputs, losses and
inference (the short training run on synthetic DOTA is in tests/configs/test_dcfl_configs.py)."""
import copy
import os.path as osp

import pytest
import torch
from mmcv.ops import DeformConv2d
from mmengine.config import Config
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
    seen = []
    real = head.assigner.assign

    def spy(pred_instances, gt_instances, gt_instances_ignore=None):
        seen.append(pred_instances)
        return real(pred_instances, gt_instances, gt_instances_ignore)

    head.assigner.assign = spy
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
