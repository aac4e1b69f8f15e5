"""FANet backbone and its Feature Refinement Module (paper Sec. 3, Fig. 3-4, Tables 2 and 4)."""
import itertools
import math

import pytest
import torch
import torch.nn as nn

import mmext  # noqa: F401
from mmext.models.backbones.fanet import AFE, FANet
from mmext.models.layers import FeatureRefinementModule


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------------------------------------
# FRM: hand-computed example (Sec. 3.3: P, Q = Up(P), R = F - Q, S = F * Q)
# ---------------------------------------------------------------------------------------------
def test_frm_r_and_s_by_hand():
    frm = FeatureRefinementModule(1)
    with torch.no_grad():
        frm.down.weight.zero_()
        frm.down.weight[0, 0, 1, 1] = 1.0  # the 3x3 stride-2 conv picks F[0::2, 0::2]
        frm.down.bias.zero_()
    f = torch.arange(16.).reshape(1, 1, 4, 4)
    maps = frm.decompose(f)
    # P = F[0::2, 0::2]; Q = bilinear (align_corners=False) 2x2 -> 4x4: along each axis the
    # outputs are p0, 3/4 p0 + 1/4 p1, 1/4 p0 + 3/4 p1, p1
    p = torch.tensor([[0., 2.], [8., 10.]])
    q = torch.tensor([[0., .5, 1.5, 2.], [2., 2.5, 3.5, 4.], [6., 6.5, 7.5, 8.],
                      [8., 8.5, 9.5, 10.]])
    r = torch.tensor([[0., .5, .5, 1.], [2., 2.5, 2.5, 3.], [2., 2.5, 2.5, 3.], [4., 4.5, 4.5, 5.]])
    s = torch.tensor([[0., .5, 3., 6.], [8., 12.5, 21., 28.], [48., 58.5, 75., 88.],
                      [96., 110.5, 133., 150.]])
    torch.testing.assert_close(maps['P'][0, 0], p)
    torch.testing.assert_close(maps['Q'][0, 0], q)
    torch.testing.assert_close(maps['R'][0, 0], r)
    torch.testing.assert_close(maps['S'][0, 0], s)


def _gelu(v: float) -> float:
    return 0.5 * v * (1 + math.erf(v / math.sqrt(2)))


def _dwconv(x, w, b, stride):
    """Literal depthwise conv with zero padding k // 2: x (C, H, W) lists."""
    c_n, h, wd = len(x), len(x[0]), len(x[0][0])
    k = len(w[0][0])
    pad = k // 2
    ho, wo = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = [[[b[c] for _ in range(wo)] for _ in range(ho)] for c in range(c_n)]
    for c in range(c_n):
        for i in range(ho):
            for j in range(wo):
                for u in range(k):
                    for v in range(k):
                        y, xx = i * stride + u - pad, j * stride + v - pad
                        if 0 <= y < h and 0 <= xx < wd:
                            out[c][i][j] += w[c][0][u][v] * x[c][y][xx]
    return out


def _bilinear(x, h, w):
    """Literal bilinear resize with half-pixel centres (align_corners=False), clamped at 0."""
    hi, wi = len(x[0]), len(x[0][0])

    def coords(o, n_in, n_out):
        src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        return i0, i1, src - i0

    out = []
    for c in range(len(x)):
        plane = []
        for i in range(h):
            y0, y1, ly = coords(i, hi, h)
            row = []
            for j in range(w):
                x0, x1, lx = coords(j, wi, w)
                row.append((1 - ly) * ((1 - lx) * x[c][y0][x0] + lx * x[c][y0][x1])
                           + ly * ((1 - lx) * x[c][y1][x0] + lx * x[c][y1][x1]))
            plane.append(row)
        out.append(plane)
    return out


def _layernorm_c(x, weight, bias, eps=1e-6):
    """Channels-first LayerNorm per pixel, biased variance."""
    c_n, h, w = len(x), len(x[0]), len(x[0][0])
    out = [[[0.0] * w for _ in range(h)] for _ in range(c_n)]
    for i in range(h):
        for j in range(w):
            vals = [x[c][i][j] for c in range(c_n)]
            mu = sum(vals) / c_n
            var = sum((v - mu)**2 for v in vals) / c_n
            for c in range(c_n):
                out[c][i][j] = (vals[c] - mu) / math.sqrt(var + eps) * weight[c] + bias[c]
    return out


def _map(fn, x):
    return [[[fn(v) for v in row] for row in plane] for plane in x]


def test_frm_forward_matches_literal_reference():
    torch.manual_seed(0)
    c, h, w = 2, 5, 3  # odd sizes: P is 3x2 and Q is resized back to exactly 5x3
    frm = FeatureRefinementModule(c, 3)
    for p in frm.parameters():
        nn.init.normal_(p, std=0.5)
    x = torch.randn(1, c, h, w)
    out = frm(x)[0].tolist()

    sd = {k: v.tolist() for k, v in frm.state_dict().items()}
    f = x[0].tolist()
    p = _dwconv(f, sd['down.weight'], sd['down.bias'], 2)
    q = _bilinear(p, h, w)
    r = [[[f[k][i][j] - q[k][i][j] for j in range(w)] for i in range(h)] for k in range(c)]
    s = [[[f[k][i][j] * q[k][i][j] for j in range(w)] for i in range(h)] for k in range(c)]
    low = _layernorm_c(_dwconv(_map(_gelu, s), sd['lconv.weight'], sd['lconv.bias'], 1),
                       sd['norm1.weight'], sd['norm1.bias'])
    high = _layernorm_c(_dwconv(_map(_gelu, r), sd['hconv.weight'], sd['hconv.bias'], 1),
                        sd['norm2.weight'], sd['norm2.bias'])
    t = low + high  # concat [low, high] along channels
    ref = [[[_gelu(sd['proj.bias'][o] + sum(sd['proj.weight'][o][k][0][0] * t[k][i][j]
                                            for k in range(2 * c)))
             for j in range(w)] for i in range(h)] for o in range(3)]
    torch.testing.assert_close(torch.tensor(out), torch.tensor(ref), atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# Parameter counts: each Table 2 switch removes exactly its part
# ---------------------------------------------------------------------------------------------
def expected_afe_params(C, k, scm, high, low, baseline_projections=False):
    """Closed-form parameter count of the AFE token mixer."""
    c = C // 2
    n = C * k * k + C + 2 * C  # CE: depthwise conv + LayerNorm
    frm = high or low
    if scm or frm or baseline_projections:
        n += C * c + c + 2 * c  # squeeze 1x1 + LayerNorm
        n += c * max(int(scm) + int(frm), 1) * C + C  # fusion projection
    if scm:
        n += c * (c // 4) * 49 + c + 2 * c  # 4-group 7x7 conv + LayerNorm
    if frm:
        branches = int(high) + int(low)
        n += c * 9 + c  # depthwise 3x3 stride-2 (P)
        n += branches * (c * 9 + c + 2 * c)  # per branch: depthwise 3x3 + LayerNorm
        n += c * branches * c + c  # FRM projection
    return n


@pytest.mark.parametrize('scm,high,low', list(itertools.product([True, False], repeat=3)))
def test_afe_switches_parameter_counts(scm, high, low):
    C, k = 64, 5
    afe = AFE(C, ce_kernel_size=k, use_scm=scm, use_frm_high=high, use_frm_low=low)
    assert n_params(afe) == expected_afe_params(C, k, scm, high, low)
    assert hasattr(afe, 'ctx_conv') == scm
    assert hasattr(afe, 'enhance') == (high or low)
    if high or low:
        assert hasattr(afe.enhance, 'hconv') == high and hasattr(afe.enhance, 'lconv') == low
    x = torch.randn(2, C, 9, 7)
    assert afe(x).shape == x.shape


def test_afe_switch_differences():
    C, k, c = 96, 5, 48
    full = n_params(AFE(C, k))
    no_scm = n_params(AFE(C, k, use_scm=False))
    # SCM = grouped 7x7 conv + its LayerNorm + its C/2 input channels of the fusion projection
    assert full - no_scm == (c * (c // 4) * 49 + c) + 2 * c + c * C
    no_low = n_params(AFE(C, k, use_frm_low=False))
    # low branch = its depthwise conv + LayerNorm + its C/2 inputs of the FRM projection
    assert full - no_low == (c * 9 + c) + 2 * c + c * c
    baseline = n_params(AFE(C, k, use_scm=False, use_frm_high=False, use_frm_low=False))
    assert baseline == C * k * k + C + 2 * C  # CE only
    with_proj = n_params(AFE(C, k, use_scm=False, use_frm_high=False, use_frm_low=False,
                             baseline_projections=True))
    assert with_proj == baseline + (C * c + c + 2 * c) + (c * C + C)


def test_afe_baseline_is_ce_only():
    afe = AFE(16, 3, use_scm=False, use_frm_high=False, use_frm_low=False)
    x = torch.randn(1, 16, 6, 6)
    ref = x + afe.norm1(nn.functional.gelu(afe.dwconv(x)))
    torch.testing.assert_close(afe(x), ref)


def test_afe_rejects_odd_channels():
    with pytest.raises(ValueError, match='even channel count'):
        AFE(15)


# ---------------------------------------------------------------------------------------------
# The backbone: sizes, arguments, registries
# ---------------------------------------------------------------------------------------------
def test_fanet_tiny_parameters_and_classifier_36_7m():
    from mmpretrain.registry import MODELS
    with torch.device('meta'):  # counting only: no memory, no initialisation
        classifier = MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(type='FANet', arch='tiny', out_indices=(3, ), out_norm=True,
                          gap_before_final_norm=True),
            head=dict(type='LinearClsHead', num_classes=1000, in_channels=768)))
    backbone = n_params(classifier.backbone) - n_params(classifier.backbone.norm3)
    # closed form of the released fanet_tiny (stem, 3 downsampling convs, 14 blocks)
    assert backbone == 35_951_328
    total = n_params(classifier)
    assert total == 35_951_328 + 2 * 768 + 768 * 1000 + 1000 == 36_721_864
    assert round(total / 1e6, 1) == 36.7  # paper Table 4


def test_same_class_in_both_registries():
    from mmpretrain.registry import MODELS as PRE
    from mmseg.registry import MODELS as SEG
    assert SEG.get('FANet') is FANet and PRE.get('FANet') is FANet


def test_config_arguments_take_effect():
    """The released fanet_tiny dropped every argument; here each one reaches the model."""
    from mmseg.registry import MODELS
    cfg = dict(type='FANet',
               arch=dict(embed_dims=[16, 32, 64, 128], depths=[1, 2, 3, 1],
                         ce_kernel_sizes=[7, 3, 3, 3], mlp_ratio=2),
               drop_path_rate=0.3, out_indices=(1, 3), frozen_stages=1,
               afe_cfg=dict(use_scm=False, use_frm_low=False), stem_kernel_size=7)
    model = MODELS.build(cfg)
    assert [len(s) for s in model.stages] == [1, 2, 3, 1]
    assert model.downsample_layers[0].kernel_size == (7, 7)
    first = model.stages[0][0]
    assert first.attn.dwconv.kernel_size == (7, 7)
    assert first.mlp.fc1.out_channels == 32  # mlp_ratio 2
    assert not hasattr(first.attn, 'ctx_conv') and not hasattr(first.attn.enhance, 'lconv')
    assert model.stages[3][0].drop_path.drop_prob == pytest.approx(0.3)
    assert model.drop_path_rates == pytest.approx(torch.linspace(0, 0.3, 7).tolist())
    assert all(not p.requires_grad for p in model.downsample_layers[0].parameters())
    assert all(not p.requires_grad for p in model.stages[0].parameters())
    assert all(p.requires_grad for p in model.stages[1].parameters())
    model.train()
    assert not model.stages[0].training and model.stages[1].training
    outs = model(torch.randn(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 8, 12), (2, 128, 2, 3)]


def test_default_drop_path_and_outputs():
    model = FANet('tiny')
    assert model.drop_path_rates == pytest.approx(torch.linspace(0, 0.1, 14).tolist())
    assert isinstance(model.stages[0][0].drop_path, nn.Identity)  # rate 0 -> no DropPath
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 67, 45))  # odd size: strides round up
    assert [tuple(o.shape) for o in outs] == [(1, 96, 17, 12), (1, 192, 9, 6), (1, 384, 5, 3),
                                              (1, 768, 3, 2)]


def test_gap_before_final_norm_is_pool_then_layernorm():
    model = FANet(dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 1, 1]), out_indices=(3, ),
                  out_norm=True, gap_before_final_norm=True).eval()
    x = torch.randn(2, 3, 64, 64)
    (vec, ) = model(x)
    assert vec.shape == (2, 128)
    feat = FANet(dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 1, 1]), out_indices=(3, ))
    feat.load_state_dict({k: v for k, v in model.state_dict().items()
                          if not k.startswith('norm3')})
    (fmap, ) = feat.eval()(x)
    pooled = fmap.mean((2, 3))
    ref = nn.functional.layer_norm(pooled, (128, ), model.norm3.weight, model.norm3.bias, 1e-6)
    torch.testing.assert_close(vec, ref)


@pytest.mark.parametrize('cfg,match', [
    (dict(arch='small'), 'unknown arch'),
    (dict(arch=dict(embed_dims=[16, 32])), 'needs'),
    (dict(out_indices=(4, )), 'out_indices'),
    (dict(gap_before_final_norm=True), 'out_norm'),
])
def test_bad_arguments_are_named(cfg, match):
    with pytest.raises((KeyError, ValueError), match=match):
        FANet(**cfg)


def test_init_weights_truncated_normal():
    model = FANet(dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 1, 1]))
    model.init_weights()
    w = model.stages[2][0].mlp.fc1.weight
    assert 0.018 < w.std() < 0.022  # (truncated) normal, std 0.02, as released
    assert torch.all(model.stages[2][0].mlp.fc1.bias == 0)
    assert torch.all(model.stages[2][0].layer_norm1.weight == 1)
