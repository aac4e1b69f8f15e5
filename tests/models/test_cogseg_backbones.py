"""U-Net++ and Attention U-Net (CogSeg Table 3 baselines)."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import mmext  # noqa: F401
from mmext.models.backbones.attention_unet import AttentionGate


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build with mmseg's registries, and leave the default scope as it was afterwards."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def test_unet_plus_plus_layout_and_nesting():
    net = MODELS.build(dict(type='UNetPlusPlus', in_channels=1, base_channels=6, num_stages=4))
    outs = net(torch.randn(2, 1, 32, 32))
    # UNet.forward's layout: [X^{3,0}, X^{2,1}, X^{1,2}, X^{0,3}], coarsest first
    assert [tuple(o.shape[1:]) for o in outs] == [(48, 4, 4), (24, 8, 8), (12, 16, 16),
                                                  (6, 32, 32)]
    # nodes X^{i,j} for j >= 1: 3 + 2 + 1, each fed by j same-depth nodes and one upsampled
    assert sorted(net.nodes) == ['0_1', '0_2', '0_3', '1_1', '1_2', '2_1']
    assert net.nodes['0_3'].convs[0].conv.in_channels == 4 * 6
    assert net.nodes['1_2'].convs[0].conv.in_channels == 3 * 12
    with pytest.raises(ValueError, match='divisible by 8'):
        net(torch.randn(1, 1, 20, 20))


def test_unet_plus_plus_dense_skips_are_used():
    """X^{0,3} depends on X^{0,1} through the nested skips: its gradient reaches node 0_1."""
    net = MODELS.build(dict(type='UNetPlusPlus', in_channels=1, base_channels=4, num_stages=3))
    net(torch.randn(2, 1, 16, 16))[-1].sum().backward()
    assert net.nodes['0_1'].convs[0].conv.weight.grad.abs().sum() > 0


def test_attention_gate_equations():
    """Eq. 1-2 of Oktay et al. by hand at the gating resolution (2x2 stride-2 W_x, 1x1 W_g and
    psi, ReLU, sigmoid), then bilinear resampling to the skip's resolution."""
    torch.manual_seed(0)
    gate = AttentionGate(in_channels=2, gating_channels=3, inter_channels=2, subsample=2)
    x = torch.randn(1, 2, 4, 4)
    g = torch.randn(1, 3, 2, 2)
    _, alpha = gate(x, g)
    # by hand at the gating resolution
    wx, wg, bg = gate.theta.weight, gate.phi.weight[:, :, 0, 0], gate.phi.bias
    wpsi, bpsi = gate.psi.weight[0, :, 0, 0], gate.psi.bias[0]
    q = torch.zeros(2, 2)
    for i in range(2):
        for j in range(2):
            patch = x[0, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            theta = (wx * patch).sum(dim=(1, 2, 3))
            f = torch.relu(theta + wg @ g[0, :, i, j] + bg)
            q[i, j] = torch.sigmoid(wpsi @ f + bpsi)
    expected = torch.nn.functional.interpolate(q[None, None], size=(4, 4), mode='bilinear',
                                               align_corners=False)
    torch.testing.assert_close(alpha, expected)
    gated, _ = gate(x, g)
    torch.testing.assert_close(gated, expected * x)


def test_attention_unet_with_open_gates_is_the_unet():
    """With alpha = 1 everywhere the gated skips are the plain ones: same output as UNet."""
    cfg = dict(in_channels=1, base_channels=4, num_stages=3, strides=(1, 1, 1),
               enc_num_convs=(2, 2, 2), dec_num_convs=(2, 2), downsamples=(True, True),
               enc_dilations=(1, 1, 1), dec_dilations=(1, 1))
    att = MODELS.build(dict(type='AttentionUNet', **cfg))
    unet = MODELS.build(dict(type='UNet', **cfg))
    att.eval()  # mmseg's UNet.train() returns None, so no chaining
    unet.eval()
    missing, unexpected = unet.load_state_dict(att.state_dict(), strict=False)
    assert not missing and all(k.startswith('gates.') for k in unexpected)
    x = torch.randn(2, 1, 16, 16)
    outs = att(x)
    assert [o.shape for o in outs] == [o.shape for o in unet(x)]
    for gate in att.gates:
        torch.nn.init.zeros_(gate.psi.weight)
        torch.nn.init.constant_(gate.psi.bias, 40.0)
    for a, b in zip(att(x), unet(x)):
        torch.testing.assert_close(a, b)
    alphas = att.attention_maps(x)
    assert [tuple(a.shape[2:]) for a in alphas] == [(16, 16), (8, 8)]


def test_backbone_arguments_take_effect():
    net = MODELS.build(dict(type='AttentionUNet', in_channels=1, base_channels=8, num_stages=3,
                            strides=(1, 1, 1), enc_num_convs=(2, 2, 2), dec_num_convs=(2, 2),
                            downsamples=(True, True), enc_dilations=(1, 1, 1),
                            dec_dilations=(1, 1), attention_ratio=0.25))
    assert net.gates[0].theta.out_channels == 2 and net.gates[1].theta.out_channels == 4
    assert net(torch.randn(1, 1, 8, 8))[-1].shape[1] == 8
