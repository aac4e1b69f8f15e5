"""C2f and SPPF: shapes, parameter counts in closed form, and forward semantics checked against
an independent recomputation; backbone and neck shapes; the backbone honours its config."""
import pytest
import torch
from mmdet.models.backbones.csp_darknet import SPPBottleneck

import mmext  # noqa: F401
from mmext.models.backbones import YOLOv8CSPDarknet
from mmext.models.layers import C2f, SPPF
from mmext.models.necks import YOLOv8PAFPN


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def conv_bn(c_in, c_out, k):
    """Parameters of a bias-free k x k conv followed by BN (weight and bias)."""
    return c_in * c_out * k * k + 2 * c_out


@pytest.mark.parametrize('c_in,c_out,n', [(32, 64, 1), (48, 48, 3)])
def test_c2f_shape_and_param_count(c_in, c_out, n):
    block = C2f(c_in, c_out, n)
    out = block(torch.rand(2, c_in, 9, 7))
    assert out.shape == (2, c_out, 9, 7)
    c = c_out // 2
    expected = conv_bn(c_in, 2 * c, 1) + n * 2 * conv_bn(c, c, 3) + conv_bn((2 + n) * c, c_out, 1)
    assert n_params(block) == expected


def test_c2f_forward_is_split_chain_concat():
    torch.manual_seed(0)
    block = C2f(16, 16, num_blocks=2, add_identity=True).eval()
    x = torch.rand(1, 16, 8, 8)
    y0, y1 = block.main_conv(x).chunk(2, dim=1)
    b = block.blocks
    # each bottleneck: 3x3 -> 3x3 plus identity (in == out)
    y2 = y1 + b[0].conv2(b[0].conv1(y1))
    y3 = y2 + b[1].conv2(b[1].conv1(y2))
    ref = block.final_conv(torch.cat([y0, y1, y2, y3], 1))
    assert torch.allclose(block(x), ref, atol=1e-6)
    assert b[0].conv1.conv.kernel_size == (3, 3)
    # the neck variant has no identity
    plain = C2f(16, 16, num_blocks=1, add_identity=False).eval()
    z0, z1 = plain.main_conv(x).chunk(2, dim=1)
    z2 = plain.blocks[0].conv2(plain.blocks[0].conv1(z1))
    assert torch.allclose(plain(x), plain.final_conv(torch.cat([z0, z1, z2], 1)), atol=1e-6)


def test_sppf_equals_parallel_5_9_13_pooling():
    """Three chained 5x5 max pools = parallel 5/9/13 pools: SPPF computes SPP(5, 9, 13)."""
    torch.manual_seed(0)
    sppf = SPPF(32, 24, kernel_size=5).eval()
    spp = SPPBottleneck(32, 24, kernel_sizes=(5, 9, 13), act_cfg=dict(type='SiLU')).eval()
    spp.load_state_dict(sppf.state_dict())
    x = torch.randn(2, 32, 13, 11)
    assert sppf(x).shape == (2, 24, 13, 11)
    assert torch.allclose(sppf(x), spp(x), atol=1e-6)
    assert n_params(sppf) == conv_bn(32, 16, 1) + conv_bn(64, 24, 1)


def test_backbone_and_neck_shapes():
    backbone = YOLOv8CSPDarknet(arch='n').eval()
    assert backbone.out_channels == [64, 128, 256]
    feats = backbone(torch.rand(1, 3, 96, 64))
    assert [tuple(f.shape) for f in feats] == [(1, 64, 12, 8), (1, 128, 6, 4), (1, 256, 3, 2)]
    neck = YOLOv8PAFPN(in_channels=[64, 128, 256], num_csp_blocks=1).eval()
    outs = neck(feats)
    assert [o.shape for o in outs] == [f.shape for f in feats]


def test_backbone_sizes_and_overrides_take_effect():
    """Each size's depth/width reaches the layers (a config value silently ignored fails)."""
    m = YOLOv8CSPDarknet(arch='m')
    assert m.out_channels == [192, 384, 576]  # width 0.75, last stage capped at 768
    assert len(m.stage2[1].blocks) == 4 and len(m.stage1[1].blocks) == 2  # round(6 / 3 * .67)
    x = YOLOv8CSPDarknet(arch='x')
    assert x.out_channels == [320, 640, 640] and len(x.stage2[1].blocks) == 6
    tiny = YOLOv8CSPDarknet(arch='n', widen_factor=0.125, out_indices=(1, 2, 3, 4))
    assert tiny.out_channels == [16, 32, 64, 128]
    frozen = YOLOv8CSPDarknet(arch='n', frozen_stages=1).train()
    assert not any(p.requires_grad for p in frozen.stage1.parameters())
    assert all(p.requires_grad for p in frozen.stage2.parameters())
    assert not frozen.stem.bn.training
    with pytest.raises(KeyError, match='unknown arch'):
        YOLOv8CSPDarknet(arch='q')
