"""FANet's paper-literal switches beside the released code's choices (issue 13, item 7), the
reusable AFE block, kernel validation and the strict loading of pre-trained variants (item 6)."""
import pytest
import torch
import torch.nn.functional as F

import mmext  # noqa: F401
from mmext.models.backbones.fanet import FANet
from mmext.models.layers import AFEBlock, FeatureRefinementModule

SMALL = dict(embed_dims=[8, 16, 16, 16], depths=[1, 1, 1, 1], ce_kernel_sizes=[5, 5, 3, 3])


def randomise(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return module


def test_plain_frm_is_fig4_as_drawn():
    """plain=True: out = Conv1x1(concat[DWConv(S), DWConv(R)]), no GELU, no LayerNorm."""
    frm = randomise(FeatureRefinementModule(4, 6, plain=True))
    assert not hasattr(frm, 'norm1') and not hasattr(frm, 'norm2')
    x = torch.randn(2, 4, 7, 10, generator=torch.Generator().manual_seed(1))
    # by hand with functional ops
    p = F.conv2d(x, frm.down.weight, frm.down.bias, stride=2, padding=1, groups=4)
    q = F.interpolate(p, size=(7, 10), mode='bilinear', align_corners=False)
    s_map, r_map = x * q, x - q
    low = F.conv2d(s_map, frm.lconv.weight, frm.lconv.bias, padding=1, groups=4)
    high = F.conv2d(r_map, frm.hconv.weight, frm.hconv.bias, padding=1, groups=4)
    expected = F.conv2d(torch.cat([low, high], 1), frm.proj.weight, frm.proj.bias)
    torch.testing.assert_close(frm(x), expected)
    # the released FRM has two LayerNorms (2 x 2C parameters) more
    released = FeatureRefinementModule(4, 6)
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(released) - n(frm) == 2 * 2 * 4


def test_caption_sign_of_r():
    a = randomise(FeatureRefinementModule(3))
    b = FeatureRefinementModule(3, high_freq='Q-F')
    b.load_state_dict(a.state_dict())
    x = torch.randn(1, 3, 9, 5)
    ma, mb = a.decompose(x), b.decompose(x)
    torch.testing.assert_close(mb['R'], -ma['R'])
    torch.testing.assert_close(mb['R'], mb['Q'] - x)
    torch.testing.assert_close(mb['S'], ma['S'])
    with pytest.raises(ValueError, match="high_freq must be 'F-Q'"):
        FeatureRefinementModule(3, high_freq='F+Q')


@pytest.mark.parametrize('kwargs, match', [
    (dict(down_kernel_size=4), 'down_kernel_size must be a positive odd int'),
    (dict(down_stride=0), 'down_stride must be a positive int'),
])
def test_frm_validates_its_downsampling(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FeatureRefinementModule(4, **kwargs)


def test_frm_downsampling_options_set_p():
    frm = FeatureRefinementModule(2, down_kernel_size=5, down_stride=4)
    maps = frm.decompose(torch.randn(1, 2, 13, 17))
    assert maps['P'].shape[-2:] == (4, 5)  # ceil(13 / 4), ceil(17 / 4)
    assert maps['Q'].shape[-2:] == (13, 17)


def test_stem_sizes_and_validation():
    x = torch.randn(1, 3, 64, 96)
    released = FANet(arch=SMALL, out_indices=(0, ))
    stem = released.downsample_layers[0]
    assert (stem.kernel_size, stem.stride, stem.padding) == ((5, 5), (4, 4), (2, 2))
    assert released(x)[0].shape[-2:] == (16, 24)
    patchify = FANet(arch=SMALL, out_indices=(0, ), non_overlapping_stem=True)
    stem = patchify.downsample_layers[0]
    assert (stem.kernel_size, stem.stride, stem.padding) == ((4, 4), (4, 4), (0, 0))
    assert patchify(x)[0].shape[-2:] == (16, 24)
    # an even kernel with padding k // 2 would give 129 instead of 128 at 512 px: refused
    assert (512 + 2 * 2 - 4) // 4 + 1 == 129
    with pytest.raises(ValueError, match='129 instead of 128'):
        FANet(arch=SMALL, stem_kernel_size=4)
    with pytest.raises(ValueError, match='kernel = stride = 4'):
        FANet(arch=SMALL, stem_kernel_size=5, non_overlapping_stem=True)
    with pytest.raises(ValueError, match='ce_kernel_size'):
        FANet(arch=dict(SMALL, ce_kernel_sizes=[4, 5, 3, 3]))
    with pytest.raises(ValueError, match='scm_kernel_size'):
        FANet(arch=SMALL, afe_cfg=dict(scm_kernel_size=6))


def test_afe_options_reach_every_frm():
    net = FANet(arch=SMALL, afe_cfg=dict(frm_plain=True, frm_high_freq='Q-F'))
    frms = [m for m in net.modules() if isinstance(m, FeatureRefinementModule)]
    assert len(frms) == 4 and all(f.plain and f.high_freq == 'Q-F' for f in frms)


def test_afe_block_is_a_reusable_registered_layer():
    from mmdet.registry import MODELS as DET
    from mmpretrain.registry import MODELS as CLS
    from mmseg.registry import MODELS as SEG
    for registry in (DET, CLS, SEG):
        block = registry.build(dict(type='AFEBlock', channels=16, ce_kernel_size=3))
        assert isinstance(block, AFEBlock)
    x = torch.randn(2, 16, 37, 23)  # odd, non-square
    assert block(x).shape == x.shape
    net = FANet(arch=SMALL)
    assert all(isinstance(b, AFEBlock) for stage in net.stages for b in stage)


def _save(model, path, prefix=''):
    torch.save(dict(state_dict={prefix + k: v for k, v in model.state_dict().items()}), path)


def test_pretrained_loading_is_strict_across_variants(tmp_path):
    full = randomise(FANet(arch=SMALL))
    _save(full, tmp_path / 'full.pth', prefix='backbone.')
    init = dict(type='Pretrained', checkpoint=str(tmp_path / 'full.pth'), prefix='backbone.')
    same = FANet(arch=SMALL, init_cfg=init)
    same.init_weights()
    for k, v in full.state_dict().items():
        torch.testing.assert_close(same.state_dict()[k], v)
    # a checkpoint of another Table 2 variant stops with the keys, it does not half-load
    baseline = FANet(arch=SMALL, afe_cfg=dict(use_scm=False, use_frm_high=False,
                                               use_frm_low=False), init_cfg=init)
    with pytest.raises(KeyError, match='not a checkpoint of this FANet variant'):
        baseline.init_weights()
    other = FANet(arch=SMALL, afe_cfg=dict(use_scm=False), init_cfg=init)
    with pytest.raises((KeyError, ValueError), match='FANet: .*full.pth'):
        other.init_weights()
    wider = FANet(arch=dict(SMALL, embed_dims=[8, 16, 16, 32]), init_cfg=init)
    with pytest.raises(ValueError, match='parameters of another shape'):
        wider.init_weights()
    wrong_prefix = FANet(arch=SMALL, init_cfg=dict(init, prefix='model.'))
    with pytest.raises(KeyError, match="starts with prefix 'model.'"):
        wrong_prefix.init_weights()
