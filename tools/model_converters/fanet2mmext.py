"""Convert a checkpoint of the released FANet code (techmn/fanet) to mmext's layout.

    python tools/model_converters/fanet2mmext.py SRC DST [--ema] [--trust-checkpoint]

Two kinds of input are recognised from their keys:

* ImageNet-1k checkpoints written by timm's ``train.py`` (the released ``model_best.pth.tar``):
  ``{'state_dict': {...}, 'state_dict_ema': {...}?, 'epoch', 'args', ...}`` or a bare state dict,
  with the backbone keys (``downsample_layers.*``, ``stages.*``) and, when present, the
  classification head ``norm.*`` (LayerNorm after global pooling) and ``head.*`` (Linear).
  The output is an mmpretrain ``ImageClassifier`` state dict: ``backbone.*``,
  ``backbone.norm3.*`` and ``head.fc.*``; it loads with ``load_from`` into
  ``configs/fanet/fanet-t_16xb80_in1k.py`` and as backbone initialisation with
  ``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')`` in the UperNet configs.
* ZeroWaste-f checkpoints of the released mmseg 0.x code (``backbone.*``, ``decode_head.*``,
  ``auxiliary_head.*``): the names are the same in mmseg 1.x, so only the wrapper is rewritten;
  the output loads into ``configs/fanet/upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py``.

A ``module.`` prefix (DataParallel) is removed. Keys that are not part of the released FANet are
an error (listed), so a checkpoint of another model is not silently half-converted.
"""
import argparse
import os
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, Tuple

import torch

_BACKBONE_KEY = re.compile(
    r'^(downsample_layers\.\d+|'
    r'stages\.\d+\.\d+\.(layer_norm[12]|'
    r'attn\.(dwconv|proj1|proj2|ctx_conv|norm[123]|enhance\.(lconv|hconv|norm[12]|down|proj))|'
    r'mlp\.(fc1|pos|fc2)))\.(weight|bias)$')
_SEG_PREFIXES = ('decode_head.', 'auxiliary_head.')


def load_source(path: str, trust: bool = False) -> dict:
    """``torch.load`` the source safely: tensors, containers and ``argparse.Namespace`` only.

    timm checkpoints carry the training arguments as an ``argparse.Namespace``; anything else
    that is not plain data is refused unless ``trust`` (the file then may run code on loading).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'fanet2mmext: source checkpoint not found: {path}')
    if trust:
        return torch.load(path, map_location='cpu', weights_only=False)
    with torch.serialization.safe_globals([argparse.Namespace]):
        try:
            return torch.load(path, map_location='cpu', weights_only=True)
        except Exception as err:  # UnpicklingError with the offending global
            raise RuntimeError(
                f'fanet2mmext: {path} holds objects other than tensors and plain data ({err}). '
                'If you trust the file, pass --trust-checkpoint to load it anyway.') from err


def unwrap(checkpoint: dict, ema: bool = False) -> Dict[str, torch.Tensor]:
    """The state dict inside a timm / mmcv checkpoint, without a ``module.`` prefix."""
    if not isinstance(checkpoint, dict):
        raise TypeError(f'fanet2mmext: expected a dict checkpoint, got {type(checkpoint).__name__}')
    key = 'state_dict_ema' if ema else 'state_dict'
    if ema and key not in checkpoint:
        raise KeyError("fanet2mmext: --ema given but the checkpoint has no 'state_dict_ema'")
    if key in checkpoint:
        state = checkpoint[key]
    elif 'model' in checkpoint and isinstance(checkpoint['model'], dict):
        state = checkpoint['model']
    else:
        state = checkpoint
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f'fanet2mmext: not a state dict (non-tensor entries {bad[:5]})')
    return state


def rename_classifier_keys(state: Dict[str, torch.Tensor], backbone_key: 're.Pattern',
                           out: 'OrderedDict[str, torch.Tensor]') -> list:
    """Map a timm-style classifier state dict onto mmpretrain ``ImageClassifier`` keys.

    Keys matching ``backbone_key`` go under ``backbone.``, the final ``norm.*`` becomes
    ``backbone.norm3.*`` and ``head.*`` becomes ``head.fc.*``; they are written into ``out``.
    Returns the keys that fit none of these (the caller reports them). Shared with
    ``focalnet2mmext.py``, whose released checkpoints have the same classifier layout.
    """
    unknown = []
    for k, v in state.items():
        if backbone_key.match(k):
            out[f'backbone.{k}'] = v
        elif k in ('norm.weight', 'norm.bias'):
            out[f'backbone.norm3.{k.split(".")[-1]}'] = v
        elif k in ('head.weight', 'head.bias'):
            out[f'head.fc.{k.split(".")[-1]}'] = v
        else:
            unknown.append(k)
    return unknown


def convert(state: Dict[str, torch.Tensor]) -> Tuple['OrderedDict[str, torch.Tensor]', str]:
    """Rename released FANet keys to mmext's; returns ``(state_dict, kind)``.

    ``kind`` is ``'classifier'`` (timm ImageNet layout) or ``'segmentor'`` (mmseg 0.x layout).
    """
    out = OrderedDict()
    if any(k.startswith('backbone.') for k in state):
        kind = 'segmentor'
        unknown = [k for k in state if not (
            k.startswith(_SEG_PREFIXES)
            or (k.startswith('backbone.') and _BACKBONE_KEY.match(k[len('backbone.'):])))]
        out.update(state)
    else:
        kind = 'classifier'
        unknown = rename_classifier_keys(state, _BACKBONE_KEY, out)
    if unknown:
        raise KeyError(f'fanet2mmext: {len(unknown)} keys are not part of the released FANet '
                       f'({kind} layout), e.g. {unknown[:5]}')
    if not any(_BACKBONE_KEY.match(k.split('backbone.', 1)[-1]) for k in out):
        raise KeyError('fanet2mmext: no FANet backbone keys (downsample_layers.*, stages.*) found')
    return out, kind


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='released checkpoint, e.g. pretrain/model_best.pth.tar')
    parser.add_argument('dst', help='output, e.g. checkpoints/fanet-t_in1k.pth')
    parser.add_argument('--ema', action='store_true', help="convert 'state_dict_ema' instead")
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow arbitrary pickled objects in SRC (only for files you trust)')
    args = parser.parse_args(argv)
    state, kind = convert(unwrap(load_source(args.src, args.trust_checkpoint), args.ema))
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(dict(meta=dict(converted_from=osp.basename(args.src), layout=f'mmext {kind}'),
                    state_dict=state), args.dst)
    print(f'fanet2mmext: {len(state)} tensors ({kind} layout) written to {args.dst}')
    return args.dst


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
