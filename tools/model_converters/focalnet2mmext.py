"""Convert an official FocalNet ImageNet checkpoint (microsoft/FocalNet) to mmext's layout.

    python tools/model_converters/focalnet2mmext.py SRC DST [--trust-checkpoint]

The official classification checkpoints (``focalnet_tiny_lrf.pth``, ``focalnet_base_lrf.pth``,
...) hold ``{'model': state_dict, ...}`` with ``patch_embed.*``, ``layers.*``, ``norm.*`` and
``head.*``. mmext's :class:`~mmext.models.backbones.FocalNet` keeps the official module names, so
the output is an mmpretrain ``ImageClassifier`` state dict: ``backbone.*``, ``backbone.norm3.*``
(the final norm) and ``head.fc.*``. It loads with ``load_from`` into
``configs/fanet/focalnet-t_16xb80_in1k.py`` and as backbone initialisation with
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')`` in the UperNet configs
(focal kernels are zero-padded there when ``focal_windows`` differs).
"""
import argparse
import os
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from fanet2mmext import rename_classifier_keys  # noqa: E402

_BACKBONE_KEY = re.compile(r'^(patch_embed|layers\.\d+)\.')


def convert(state: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Rename official FocalNet classification keys to mmext's ``ImageClassifier`` keys."""
    out = OrderedDict()
    unknown = rename_classifier_keys(state, _BACKBONE_KEY, out)
    if unknown:
        raise KeyError(f'focalnet2mmext: {len(unknown)} keys are not part of a FocalNet '
                       f'classifier, e.g. {unknown[:5]}')
    if not out:
        raise KeyError('focalnet2mmext: the checkpoint holds no FocalNet keys')
    return out


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='official checkpoint, e.g. focalnet_tiny_lrf.pth')
    parser.add_argument('dst', help='output, e.g. checkpoints/focalnet-t-lrf_in1k.pth')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow arbitrary pickled objects in SRC (only for files you trust)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        raise FileNotFoundError(f'focalnet2mmext: source checkpoint not found: {args.src}')
    try:
        ckpt = torch.load(args.src, map_location='cpu', weights_only=not args.trust_checkpoint)
    except Exception as err:  # UnpicklingError naming the offending global
        raise RuntimeError(f'focalnet2mmext: {args.src} holds objects other than tensors and '
                           f'plain data ({err}). If you trust the file, pass --trust-checkpoint.'
                           ) from err
    state = ckpt.get('model', ckpt.get('state_dict', ckpt)) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise TypeError(f'focalnet2mmext: {args.src} is not a state-dict checkpoint')
    state = convert({k[len('module.'):] if k.startswith('module.') else k: v
                     for k, v in state.items()})
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(dict(meta=dict(converted_from=osp.basename(args.src)), state_dict=state), args.dst)
    print(f'focalnet2mmext: {len(state)} tensors written to {args.dst}')
    return args.dst


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
