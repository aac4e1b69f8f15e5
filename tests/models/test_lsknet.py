"""LSKNet backbone: sizes, parameter counts, the LSK module's equations, config plumbing."""
import pytest
import torch
import torch.nn.functional as F

import mmext  # noqa: F401  (registers LSKNet)
from mmext.models.backbones.lsknet import LSKModule, LSKNet


def _param_count_by_formula(embed_dims, depths, mlp_ratios, in_chans=3):
    """Parameters of LSKNet from its layer list (independent of the module code)."""
    total, prev = 0, in_chans
    for i, (c, d, r) in enumerate(zip(embed_dims, depths, mlp_ratios)):
        k = 7 if i == 0 else 3
        total += prev * c * k * k + c + 2 * c  # patch embedding conv + BN
        h = int(c * r)
        block = (
            4 * c  # two BN
            + 2 * (c * c + c)  # proj_1, proj_2
            + (25 * c + c) + (49 * c + c)  # depth-wise 5x5 and 7x7 (dilation 3)
            + 2 * (c * (c // 2) + c // 2)  # conv1, conv2
            + (2 * 2 * 49 + 2)  # conv_squeeze
            + (c // 2 * c + c)  # conv
            + (c * h + h) + (9 * h + h) + (h * c + c)  # MLP: fc1, dwconv, fc2
            + 2 * c)  # layer scales
        total += d * block + 2 * c  # blocks + stage LayerNorm
        prev = c
    return total


@pytest.mark.parametrize('arch,paper_millions', [('t', 4.3), ('s', 14.4)])
def test_arch_sizes_and_parameter_count(arch, paper_millions):
    model = LSKNet(arch)
    settings = LSKNet.arch_settings[arch]
    count = sum(p.numel() for p in model.parameters())
    assert count == _param_count_by_formula(**settings)
    # The backbone alone has 3.99M (T) / 13.84M (S) parameters. The paper's #P (4.3M / 14.4M) is
    # matched, within 0.06M, by the ImageNet model, i.e. with its 1000-way linear classifier.
    assert count == {'t': 3_990_190, 's': 13_840_892}[arch]
    head = settings['embed_dims'][-1] * 1000 + 1000
    assert abs(count + head - paper_millions * 1e6) < 0.06e6
    assert model.embed_dims == {'t': [32, 64, 160, 256], 's': [64, 128, 320, 512]}[arch]
    assert model.depths == {'t': [3, 3, 5, 2], 's': [2, 2, 4, 2]}[arch]


def test_forward_shapes_and_out_indices():
    model = LSKNet('t', out_indices=(1, 2, 3))
    model.init_weights()
    outs = model(torch.randn(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 8, 12), (2, 160, 4, 6), (2, 256, 2, 3)]


def test_lsk_module_follows_equations():
    torch.manual_seed(0)
    m = LSKModule(8)
    x = torch.randn(2, 8, 11, 13)
    u1 = F.conv2d(x, m.conv0.weight, m.conv0.bias, padding=2, groups=8)  # 5x5 dw
    u2 = F.conv2d(u1, m.conv_spatial.weight, m.conv_spatial.bias, padding=9, dilation=3,
                  groups=8)  # 7x7 dw, dilation 3: receptive field 23
    u1 = F.conv2d(u1, m.conv1.weight, m.conv1.bias)
    u2 = F.conv2d(u2, m.conv2.weight, m.conv2.bias)
    u = torch.cat([u1, u2], 1)
    sa = torch.stack([u.mean(1), u.max(1).values], 1)
    masks = torch.sigmoid(F.conv2d(sa, m.conv_squeeze.weight, m.conv_squeeze.bias, padding=3))
    s = masks[:, :1] * u1 + masks[:, 1:] * u2
    expected = x * F.conv2d(s, m.conv.weight, m.conv.bias)
    assert torch.allclose(m(x), expected, atol=1e-6)


def test_built_from_config_with_non_defaults():
    from mmrotate.registry import MODELS
    model = MODELS.build(
        dict(type='LSKNet', arch='s', drop_path_rate=0.3, out_indices=(3, ), frozen_stages=1,
             norm_cfg=dict(type='GN', num_groups=8)))
    assert isinstance(model, LSKNet)
    assert model.out_indices == (3, ) and model.frozen_stages == 1
    assert isinstance(model.block1[0].norm1, torch.nn.GroupNorm)
    # stochastic depth increases linearly to drop_path_rate over all 10 blocks
    assert model.block4[-1].drop_path.drop_prob == pytest.approx(0.3)
    assert model.block1[1].drop_path.drop_prob == pytest.approx(0.3 / 9)
    from mmdet.registry import MODELS as DET_MODELS
    assert DET_MODELS.get('LSKNet') is LSKNet


def test_frozen_stages_and_norm_eval():
    model = LSKNet('t', frozen_stages=1, norm_eval=True)
    model.train()
    for name, p in model.named_parameters():
        frozen = name.startswith(('patch_embed1', 'block1', 'norm1', 'patch_embed2', 'block2',
                                  'norm2'))
        assert p.requires_grad != frozen, name
    assert not model.block1[0].norm1.training and not model.block3[0].norm1.training
    model = LSKNet('t', frozen_stages=0)
    model.train()
    assert not model.block1[0].norm1.training and model.block2[0].norm1.training


def test_drop_path_only_in_training():
    torch.manual_seed(0)
    model = LSKNet('t', drop_path_rate=0.5)
    model.init_weights()
    x = torch.randn(2, 3, 64, 64)
    model.eval()
    assert torch.equal(model(x)[-1], model(x)[-1])
    model.train()
    assert not torch.allclose(model(x)[-1], model(x)[-1])


def test_pretrained_init_cfg_loads_official_key_names(tmp_path):
    src = LSKNet('t')
    src.init_weights()
    state = {k: v.clone() for k, v in src.state_dict().items()}
    for key in ('block1.0.attn.spatial_gating_unit.conv_spatial.weight',
                'block1.0.mlp.dwconv.dwconv.weight', 'block4.1.layer_scale_2', 'norm4.weight',
                'patch_embed1.proj.weight', 'patch_embed1.norm.running_mean'):
        assert key in state
    state['head.weight'] = torch.zeros(1000, 256)  # ImageNet checkpoints carry a classifier
    path = tmp_path / 'lsk_t_backbone.pth'
    torch.save({'state_dict': state}, path)
    dst = LSKNet('t', init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    dst.init_weights()
    for k, v in src.state_dict().items():
        assert torch.equal(dst.state_dict()[k], v), k


def test_bad_config_is_named():
    with pytest.raises(KeyError, match='arch'):
        LSKNet('xl')
    with pytest.raises(ValueError, match='out_indices'):
        LSKNet('t', out_indices=(4, ))
    with pytest.raises(ValueError, match='frozen_stages'):
        LSKNet('t', frozen_stages=4)
