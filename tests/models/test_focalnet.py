"""FocalNet backbone (Yang et al., NeurIPS 2022), the FANet paper's comparison model."""
import math

import pytest
import torch
import torch.nn as nn

import mmext  # noqa: F401
from mmext.models.backbones.focalnet import FocalModulation, FocalNet


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _gelu(v: float) -> float:
    return 0.5 * v * (1 + math.erf(v / math.sqrt(2)))


def _dw_nobias(plane, kernel):
    """Literal 'same' depthwise conv of one (H, W) plane (list of lists), zero padding."""
    h, w, k = len(plane), len(plane[0]), len(kernel)
    pad = k // 2
    return [[sum(kernel[u][v] * plane[i + u - pad][j + v - pad]
                 for u in range(k) for v in range(k)
                 if 0 <= i + u - pad < h and 0 <= j + v - pad < w)
             for j in range(w)] for i in range(h)]


def test_focal_modulation_matches_literal_reference():
    """Eq. 5-7 of FocalNet computed pixel by pixel."""
    torch.manual_seed(0)
    C, L, H, W = 2, 2, 4, 3
    fm = FocalModulation(C, focal_level=L, focal_window=3)
    for p in fm.parameters():
        nn.init.normal_(p, std=0.5)
    x = torch.randn(1, H, W, C)
    out = fm(x)[0]
    sd = {k: v.tolist() for k, v in fm.state_dict().items()}
    xs = x[0].tolist()
    # [q, z0, gates] = Linear(x)
    proj = [[[sd['f.bias'][o] + sum(sd['f.weight'][o][c] * xs[i][j][c] for c in range(C))
              for o in range(2 * C + L + 1)] for j in range(W)] for i in range(H)]
    q = [[[proj[i][j][c] for j in range(W)] for i in range(H)] for c in range(C)]
    z = [[[proj[i][j][C + c] for j in range(W)] for i in range(H)] for c in range(C)]
    gates = [[[proj[i][j][2 * C + g] for j in range(W)] for i in range(H)] for g in range(L + 1)]
    agg = [[[0.0] * W for _ in range(H)] for _ in range(C)]
    for level in range(L):
        kernel = sd[f'focal_layers.{level}.0.weight']
        z = [[[_gelu(v) for v in row] for row in _dw_nobias(z[c], kernel[c][0])]
             for c in range(C)]
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    agg[c][i][j] += z[c][i][j] * gates[level][i][j]
    glob = [_gelu(sum(sum(row) for row in z[c]) / (H * W)) for c in range(C)]
    for c in range(C):
        for i in range(H):
            for j in range(W):
                agg[c][i][j] += glob[c] * gates[L][i][j]
    m = [[[sd['h.bias'][o] + sum(sd['h.weight'][o][c][0][0] * agg[c][i][j] for c in range(C))
           for j in range(W)] for i in range(H)] for o in range(C)]
    ref = [[[sd['proj.bias'][o] + sum(sd['proj.weight'][o][c] * q[c][i][j] * m[c][i][j]
                                      for c in range(C))
             for o in range(C)] for j in range(W)] for i in range(H)]
    torch.testing.assert_close(out, torch.tensor(ref), atol=1e-5, rtol=1e-5)


def test_focal_kernels_zero_padded_when_loading_another_window():
    torch.manual_seed(0)
    small = FocalModulation(8, focal_level=3, focal_window=3)
    big = FocalModulation(8, focal_level=3, focal_window=9)
    big.load_state_dict(small.state_dict())
    assert big.focal_layers[0][0].weight.shape[-1] == 9
    x = torch.randn(2, 11, 13, 8)
    torch.testing.assert_close(big(x), small(x), atol=1e-5, rtol=1e-5)
    small.load_state_dict(big.state_dict())  # centre crop back
    torch.testing.assert_close(big(x), small(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('arch,paper_m', [('tiny', 28.6), ('base', 88.7)])
def test_classifier_parameters_match_paper(arch, paper_m):
    """FANet Table 3/4 quote FocalNet-T/B (LRF) ImageNet classifiers at 28.6 M / 88.7 M."""
    from mmpretrain.registry import MODELS
    with torch.device('meta'):  # counting only
        backbone = FocalNet(arch, out_indices=(3, ))
        c = backbone.embed_dims[-1]
        classifier = MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(type='FocalNet', arch=arch, out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000, in_channels=c)))
    assert n_params(classifier) == n_params(backbone) + c * 1000 + 1000
    assert round(n_params(classifier) / 1e6, 1) == paper_m


def test_block_parameter_closed_form():
    C, L = 96, 3
    with torch.device('meta'):
        block = FocalNet('tiny').layers[0].blocks[0]
    modulation = C * (2 * C + L + 1) + (2 * C + L + 1) + (C * C + C) * 2 \
        + C * (3 * 3 + 5 * 5 + 7 * 7)
    mlp = C * 4 * C + 4 * C + 4 * C * C + C
    assert n_params(block) == modulation + mlp + 4 * C


def test_registries_shapes_and_arguments():
    from mmpretrain.registry import MODELS as PRE
    from mmseg.registry import MODELS as SEG
    assert SEG.get('FocalNet') is FocalNet and PRE.get('FocalNet') is FocalNet
    model = SEG.build(dict(type='FocalNet', arch='tiny', focal_windows=[9, 9, 9, 9],
                           drop_path_rate=0.3, out_indices=(0, 2), frozen_stages=1))
    assert model.layers[0].blocks[0].modulation.kernel_sizes == [9, 11, 13]
    assert model.layers[3].blocks[1].drop_path.drop_prob == pytest.approx(0.3)
    assert all(not p.requires_grad for p in model.patch_embed.parameters())
    assert all(not p.requires_grad for p in model.layers[0].blocks.parameters())
    assert all(p.requires_grad for p in model.layers[1].blocks.parameters())
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 70, 50))  # padded to multiples of the patch sizes
    assert [tuple(o.shape) for o in outs] == [(1, 96, 18, 13), (1, 384, 5, 4)]
    assert hasattr(model, 'norm0') and hasattr(model, 'norm2') and not hasattr(model, 'norm1')
