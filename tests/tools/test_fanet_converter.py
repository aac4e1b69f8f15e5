"""mmext.models.converters (fanet, focalnet) and their tools: official layout -> mmext.

The test builds a model to the released FANet layout (techmn/fanet: fanet.py / fa_modules.py, as
described in the project's research notes: module names, LayerNorm written out by hand, GELU before
and LayerNorm after the FRM depthwise convs, concat [low, high], a timm-style head), saves it the
way timm's train.py does, converts it and checks that mmext's classifier gives the same logits.
"""
import argparse
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mmext  # noqa: F401
from mmext.models.converters import (convert_fanet_state_dict, convert_focalnet_state_dict,
                                     load_source_checkpoint, save_converted, unwrap_state_dict)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def fanet_convert_file(src, dst, ema=False):
    """What tools/model_converters/fanet2mmext.py does, through the library."""
    ckpt = load_source_checkpoint(src, name='fanet2mmext')
    state, kind = convert_fanet_state_dict(unwrap_state_dict(ckpt, ema, name='fanet2mmext'))
    return save_converted(state, dst, dict(layout=kind))


def focalnet_convert_file(src, dst):
    ckpt = load_source_checkpoint(src, name='focalnet2mmext')
    return save_converted(convert_focalnet_state_dict(unwrap_state_dict(ckpt)), dst, {})


# ------------------------- the released layout, written out independently -------------------
class RefLN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + 1e-6)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class RefFRM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lconv = nn.Conv2d(c, c, 3, 1, 1, groups=c)
        self.hconv = nn.Conv2d(c, c, 3, 1, 1, groups=c)
        self.norm1, self.norm2 = RefLN(c), RefLN(c)
        self.down = nn.Conv2d(c, c, 3, 2, 1, groups=c)
        self.proj = nn.Conv2d(2 * c, c, 1)

    def forward(self, x):
        up = F.interpolate(self.down(x), size=x.shape[-2:], mode='bilinear', align_corners=False)
        low = self.norm1(self.lconv(F.gelu(x * up)))
        high = self.norm2(self.hconv(F.gelu(x - up)))
        return F.gelu(self.proj(torch.cat([low, high], 1)))


class RefAFE(nn.Module):
    def __init__(self, d, k):
        super().__init__()
        self.dwconv = nn.Conv2d(d, d, k, padding=k // 2, groups=d)
        self.proj1 = nn.Conv2d(d, d // 2, 1)
        self.proj2 = nn.Conv2d(d, d, 1)
        self.ctx_conv = nn.Conv2d(d // 2, d // 2, 7, padding=3, groups=4)
        self.norm1, self.norm2, self.norm3 = RefLN(d), RefLN(d // 2), RefLN(d // 2)
        self.enhance = RefFRM(d // 2)

    def forward(self, x):
        x = x + self.norm1(F.gelu(self.dwconv(x)))
        x = self.norm2(F.gelu(self.proj1(x)))
        ctx = self.norm3(F.gelu(self.ctx_conv(x)))
        return F.gelu(self.proj2(torch.cat([ctx, self.enhance(x)], 1)))


class RefMLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1 = nn.Conv2d(d, 4 * d, 1)
        self.pos = nn.Conv2d(4 * d, 4 * d, 3, padding=1, groups=4 * d)
        self.fc2 = nn.Conv2d(4 * d, d, 1)

    def forward(self, x):
        x = F.gelu(self.fc1(x))
        return self.fc2(x + F.gelu(self.pos(x)))


class RefBlock(nn.Module):
    def __init__(self, d, k):
        super().__init__()
        self.layer_norm1, self.layer_norm2 = RefLN(d), RefLN(d)
        self.mlp, self.attn = RefMLP(d), RefAFE(d, k)

    def forward(self, x):
        x = x + self.attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class RefFANetClassifier(nn.Module):
    def __init__(self, dims, depths, kernels, num_classes=1000):
        super().__init__()
        self.downsample_layers = nn.ModuleList([nn.Conv2d(3, dims[0], 5, 4, 2)] + [
            nn.Conv2d(dims[i], dims[i + 1], 3, 2, 1) for i in range(3)])
        self.stages = nn.ModuleList([
            nn.Sequential(*[RefBlock(dims[i], kernels[i]) for _ in range(depths[i])])
            for i in range(4)])
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], num_classes)

    def forward(self, x):
        for down, stage in zip(self.downsample_layers, self.stages):
            x = stage(down(x))
        return self.head(self.norm(x.mean((-2, -1))))


DIMS, DEPTHS, KERNELS = [16, 32, 64, 128], [1, 1, 2, 1], [5, 5, 3, 3]


def _randomise(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)
    return model.eval()


def _mmext_classifier():
    from mmpretrain.registry import MODELS
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='FANet', arch=dict(embed_dims=DIMS, depths=DEPTHS,
                                              ce_kernel_sizes=KERNELS),
                      out_indices=(3, ), out_norm=True, gap_before_final_norm=True),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=DIMS[-1]))).eval()


def test_round_trip_timm_checkpoint(tmp_path):
    from mmengine.runner import load_checkpoint
    ref = _randomise(RefFANetClassifier(DIMS, DEPTHS, KERNELS))
    src, dst = str(tmp_path / 'model_best.pth.tar'), str(tmp_path / 'out' / 'fanet.pth')
    # what timm's CheckpointSaver writes (DataParallel prefix, args as a Namespace)
    torch.save(dict(epoch=299, arch='fanet_tiny', args=argparse.Namespace(lr=1e-3),
                    state_dict={f'module.{k}': v for k, v in ref.state_dict().items()}), src)
    fanet_convert_file(src, dst)
    model = _mmext_classifier()
    load_checkpoint(model, dst, map_location='cpu', strict=True)
    x = torch.randn(2, 3, 64, 80)
    with torch.no_grad():
        torch.testing.assert_close(model(x, mode='tensor'), ref(x), atol=1e-4, rtol=1e-4)
    converted = torch.load(dst, weights_only=True)['state_dict']
    assert 'backbone.norm3.weight' in converted and 'head.fc.weight' in converted
    assert 'backbone.stages.2.1.attn.enhance.down.weight' in converted


def test_backbone_only_checkpoint_initialises_segmentor_backbone(tmp_path):
    """The released model_best.pth.tar without head keys -> Pretrained(prefix='backbone.')."""
    from mmseg.registry import MODELS
    ref = _randomise(RefFANetClassifier(DIMS, DEPTHS, KERNELS))
    state = {k: v for k, v in ref.state_dict().items() if not k.startswith(('norm.', 'head.'))}
    src, dst = str(tmp_path / 'bb.pth'), str(tmp_path / 'bb_mmext.pth')
    torch.save(dict(state_dict=state), src)
    fanet_convert_file(src, dst)
    backbone = MODELS.build(dict(
        type='FANet', arch=dict(embed_dims=DIMS, depths=DEPTHS, ce_kernel_sizes=KERNELS),
        init_cfg=dict(type='Pretrained', checkpoint=dst, prefix='backbone.')))
    backbone.init_weights()
    for k, v in state.items():
        torch.testing.assert_close(backbone.state_dict()[k], v)


def test_segmentor_layout_and_ema(tmp_path):
    ref = _randomise(RefFANetClassifier(DIMS, DEPTHS, KERNELS))
    seg = {f'backbone.{k}': v for k, v in ref.state_dict().items()
           if not k.startswith(('norm.', 'head.'))}
    seg['decode_head.conv_seg.weight'] = torch.zeros(5, 8, 1, 1)
    out, kind = convert_fanet_state_dict(seg)
    assert kind == 'segmentor' and out.keys() == seg.keys()
    ema = {'state_dict': {'head.weight': torch.zeros(1)},
           'state_dict_ema': {k: v + 1 for k, v in ref.state_dict().items()}}
    state = unwrap_state_dict(ema, ema=True)
    torch.testing.assert_close(state['head.bias'], ref.head.bias + 1)


def test_foreign_keys_and_unsafe_pickles_are_refused(tmp_path):
    with pytest.raises(KeyError, match='not part of the released FANet'):
        convert_fanet_state_dict({'stages.0.0.attn.qkv.weight': torch.zeros(1),
                             'downsample_layers.0.weight': torch.zeros(1)})
    with pytest.raises(KeyError, match='no FANet backbone keys'):
        convert_fanet_state_dict({'head.weight': torch.zeros(1)})
    src = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'hook': print}, src)  # a pickled callable
    with pytest.raises(RuntimeError, match='--trust-checkpoint'):
        fanet_convert_file(src, str(tmp_path / 'x.pth'))
    with pytest.raises(FileNotFoundError, match='not found'):
        fanet_convert_file(str(tmp_path / 'missing.pth'), str(tmp_path / 'x.pth'))


def official_focalnet_classifier_state(embed_dim, depths, focal_levels, focal_windows,
                                       num_classes, focal_factor=2, mlp_ratio=4):
    """The key names and shapes of microsoft/FocalNet ``classification/focalnet.py`` (written
    by hand from that file, not from mmext's model), for the released LRF/SRF settings
    (``use_conv_embed``, ``use_layerscale``, ``use_postln(_in_modulation)`` all False, as in
    ``focalnet_{tiny,small,base}_{lrf,srf}``):

    * ``patch_embed.proj`` Conv2d(3, C, 4, stride 4) with bias, ``patch_embed.norm`` LayerNorm(C)
    * ``layers.i.blocks.j.``: ``norm1``/``norm2`` LayerNorm(C_i); ``modulation.f``
      Linear(C_i, 2 C_i + L_i + 1); ``modulation.h`` Conv2d(C_i, C_i, 1) with bias;
      ``modulation.proj`` Linear(C_i, C_i); ``modulation.focal_layers.l.0`` depthwise
      Conv2d(C_i, C_i, k, groups=C_i, bias=False), k = focal_factor * l + focal_window_i
      (``.1`` is a GELU: no parameters); ``mlp.fc1`` Linear(C_i, 4 C_i), ``mlp.fc2`` back
    * ``layers.i.downsample`` for i < 3: a PatchEmbed, ``proj`` Conv2d(C_i, 2 C_i, 2, stride 2)
      and ``norm`` LayerNorm(2 C_i)
    * final ``norm`` LayerNorm(C_3) and ``head`` Linear(C_3, num_classes); ``gamma_1/2`` are
      floats (no layer scale), dropouts and ``avgpool`` have no parameters.

    Checked once against that file (built with timm stubbed out, depths [1, 1, 2, 1] and
    [1, 1, 1, 1]): the same 100 / 84 keys with the same shapes."""
    g = torch.Generator().manual_seed(0)
    shapes = {'patch_embed.proj.weight': (embed_dim, 3, 4, 4), 'patch_embed.proj.bias': (embed_dim,),
              'patch_embed.norm.weight': (embed_dim,), 'patch_embed.norm.bias': (embed_dim,)}
    for i, depth in enumerate(depths):
        c = embed_dim * 2**i
        for j in range(depth):
            b = f'layers.{i}.blocks.{j}.'
            for n in ('norm1', 'norm2'):
                shapes[b + n + '.weight'] = shapes[b + n + '.bias'] = (c,)
            shapes[b + 'modulation.f.weight'] = (2 * c + focal_levels[i] + 1, c)
            shapes[b + 'modulation.f.bias'] = (2 * c + focal_levels[i] + 1,)
            shapes[b + 'modulation.h.weight'], shapes[b + 'modulation.h.bias'] = (c, c, 1, 1), (c,)
            shapes[b + 'modulation.proj.weight'], shapes[b + 'modulation.proj.bias'] = (c, c), (c,)
            for lvl in range(focal_levels[i]):
                k = focal_factor * lvl + focal_windows[i]
                shapes[b + f'modulation.focal_layers.{lvl}.0.weight'] = (c, 1, k, k)  # no bias
            shapes[b + 'mlp.fc1.weight'] = (mlp_ratio * c, c)
            shapes[b + 'mlp.fc1.bias'] = (mlp_ratio * c,)
            shapes[b + 'mlp.fc2.weight'], shapes[b + 'mlp.fc2.bias'] = (c, mlp_ratio * c), (c,)
        if i < len(depths) - 1:
            d = f'layers.{i}.downsample.'
            shapes[d + 'proj.weight'], shapes[d + 'proj.bias'] = (2 * c, c, 2, 2), (2 * c,)
            shapes[d + 'norm.weight'] = shapes[d + 'norm.bias'] = (2 * c,)
    c = embed_dim * 2**(len(depths) - 1)
    shapes.update({'norm.weight': (c,), 'norm.bias': (c,), 'head.weight': (num_classes, c),
                   'head.bias': (num_classes,)})
    return {k: torch.randn(*s, generator=g) for k, s in shapes.items()}


def test_focalnet_converter_round_trip(tmp_path):
    """Official FocalNet classifier keys (built from the official layout, not from mmext's
    model) -> every tensor lands in mmext's classifier, strictly, at the documented name."""
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    arch = dict(embed_dims=8, depths=[1, 1, 2, 1], focal_levels=[2] * 4, focal_windows=[3] * 4)
    official = official_focalnet_classifier_state(8, [1, 1, 2, 1], [2] * 4, [3] * 4, 10)
    src, dst = str(tmp_path / 'focalnet_tiny_lrf.pth'), str(tmp_path / 'focal_mmext.pth')
    torch.save(dict(model={f'module.{k}': v for k, v in official.items()}), src)
    focalnet_convert_file(src, dst)
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='FocalNet', arch=arch, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64))).eval()
    load_checkpoint(model, dst, map_location='cpu', strict=True)  # same key set and shapes
    mine = model.state_dict()
    for k, v in official.items():
        target = ('backbone.norm3.' + k[5:] if k.startswith('norm.') else
                  'head.fc.' + k[5:] if k.startswith('head.') else 'backbone.' + k)
        torch.testing.assert_close(mine[target], v, msg=f'{k} -> {target}')
    # the ImageNet final norm is the stage-3 output norm (norm3) of the classifier's backbone
    assert torch.equal(mine['backbone.norm3.weight'], official['norm.weight'])
    with pytest.raises(KeyError, match='not part of a FocalNet'):
        convert_focalnet_state_dict({'blocks.0.attn.qkv.weight': torch.zeros(1)})


def _focalnet_classifier(arch, num_classes=10):
    from mmpretrain.registry import MODELS
    return MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='FocalNet', arch=arch, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes,
                  in_channels=arch['embed_dims'] * 8))).eval()


TINY_FOCAL = dict(embed_dims=8, depths=[1, 1, 2, 1], focal_levels=[2] * 4, focal_windows=[3] * 4)


@pytest.mark.parametrize('change', ['missing', 'layerscale', 'postln', 'foreign', 'shape'])
def test_focalnet_incomplete_or_foreign_source_fails_loudly(change, tmp_path):
    """A source key missing, one the mmext model lacks (FocalNet-L/XL layer scale, post-LN in the
    modulation), a key of another model, or a wrong shape: the conversion or the strict load of
    its output raises, naming the key."""
    from mmengine.runner import load_checkpoint
    official = official_focalnet_classifier_state(8, [1, 1, 2, 1], [2] * 4, [3] * 4, 10)
    key = {'missing': 'layers.2.blocks.1.modulation.focal_layers.1.0.weight',
           'layerscale': 'layers.0.blocks.0.gamma_1',
           'postln': 'layers.3.blocks.0.modulation.ln.weight',
           'foreign': 'absolute_pos_embed',
           'shape': 'layers.1.blocks.0.mlp.fc1.weight'}[change]
    if change == 'missing':
        del official[key]
    elif change == 'shape':
        official[key] = torch.zeros(3 * 16, 16)  # mlp_ratio 3 instead of 4
    else:
        official[key] = torch.zeros(8)
    src, dst = str(tmp_path / 'src.pth'), str(tmp_path / 'dst.pth')
    torch.save(dict(model=official), src)
    if change == 'foreign':
        with pytest.raises(KeyError, match=f'not part of a FocalNet.*{key}'):
            focalnet_convert_file(src, dst)
        return
    focalnet_convert_file(src, dst)
    with pytest.raises(RuntimeError, match=re.escape(f'backbone.{key}')):
        load_checkpoint(_focalnet_classifier(TINY_FOCAL), dst, map_location='cpu', strict=True)


def test_focalnet_imagenet_norm_initialises_upernet_norm3(tmp_path):
    """What the UperNet FocalNet configs do with the converted checkpoint: the ImageNet final
    ``norm`` initialises the stage-4 output norm ``norm3``; ``norm0``-``norm2`` keep 1 / 0."""
    from mmseg.registry import MODELS
    official = official_focalnet_classifier_state(8, [1, 1, 2, 1], [2] * 4, [3] * 4, 10)
    src, dst = str(tmp_path / 'focalnet_tiny_lrf.pth'), str(tmp_path / 'focal_mmext.pth')
    torch.save(dict(model=official), src)
    focalnet_convert_file(src, dst)
    backbone = MODELS.build(dict(
        type='FocalNet', arch=TINY_FOCAL, out_indices=(0, 1, 2, 3),
        init_cfg=dict(type='Pretrained', checkpoint=dst, prefix='backbone.')))
    backbone.init_weights()
    state = backbone.state_dict()
    torch.testing.assert_close(state['norm3.weight'], official['norm.weight'])
    torch.testing.assert_close(state['norm3.bias'], official['norm.bias'])
    for i, c in enumerate([8, 16, 32]):
        torch.testing.assert_close(state[f'norm{i}.weight'], torch.ones(c))
        torch.testing.assert_close(state[f'norm{i}.bias'], torch.zeros(c))
    for k, v in official.items():
        if not k.startswith(('norm.', 'head.')):
            torch.testing.assert_close(state[k], v, msg=k)


@pytest.mark.parametrize('tool', ['fanet2mmext', 'focalnet2mmext'])
def test_tools_are_argument_parsing_over_the_library(tool, tmp_path):
    """The tool scripts run as commands (no import of tools/ from tests or mmext)."""
    if tool == 'fanet2mmext':
        ref = _randomise(RefFANetClassifier(DIMS, DEPTHS, KERNELS))
        state = ref.state_dict()
    else:
        state = official_focalnet_classifier_state(8, [1, 1, 1, 1], [2] * 4, [3] * 4, 10)
    src, dst = str(tmp_path / 'src.pth'), str(tmp_path / 'out' / 'dst.pth')
    torch.save(dict(state_dict=state), src)
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'model_converters',
                                                    f'{tool}.py'), src, dst],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f'{len(state)} tensors' in proc.stdout
    assert len(torch.load(dst, weights_only=True)['state_dict']) == len(state)
