"""Released FANet checkpoints (techmn/fanet) -> mmext keys (renaming only).

Two layouts are recognised from their keys:

* ImageNet-1k checkpoints written by timm's ``train.py`` (the released ``model_best.pth.tar``):
  backbone keys ``downsample_layers.*`` / ``stages.*`` and, when present, the classification
  head ``norm.*`` (LayerNorm after global pooling) and ``head.*`` (Linear). The output is an
  mmpretrain ``ImageClassifier`` state dict: ``backbone.*``, ``backbone.norm3.*``, ``head.fc.*``.
* ZeroWaste-f checkpoints of the released mmseg 0.x code (``backbone.*``, ``decode_head.*``,
  ``auxiliary_head.*``): the names are the same in mmseg 1.x and are kept.

Keys that are not part of the released FANet are an error (listed), so a checkpoint of another
model is not silently half-converted.
"""
import re
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from .classifier import rename_classifier_keys

__all__ = ['FANET_BACKBONE_KEY', 'convert_fanet_state_dict']

#: a released FANet backbone parameter name (relative to the backbone)
FANET_BACKBONE_KEY = re.compile(
    r'^(downsample_layers\.\d+|'
    r'stages\.\d+\.\d+\.(layer_norm[12]|'
    r'attn\.(dwconv|proj1|proj2|ctx_conv|norm[123]|enhance\.(lconv|hconv|norm[12]|down|proj))|'
    r'mlp\.(fc1|pos|fc2)))\.(weight|bias)$')
_SEG_PREFIXES = ('decode_head.', 'auxiliary_head.')


def convert_fanet_state_dict(
        state: Dict[str, torch.Tensor]) -> Tuple['OrderedDict[str, torch.Tensor]', str]:
    """Rename released FANet keys to mmext's; returns ``(state_dict, kind)``.

    ``kind`` is ``'classifier'`` (timm ImageNet layout) or ``'segmentor'`` (mmseg 0.x layout).
    """
    out = OrderedDict()
    if any(k.startswith('backbone.') for k in state):
        kind = 'segmentor'
        unknown = [k for k in state if not (
            k.startswith(_SEG_PREFIXES)
            or (k.startswith('backbone.') and FANET_BACKBONE_KEY.match(k[len('backbone.'):])))]
        out.update(state)
    else:
        kind = 'classifier'
        unknown = rename_classifier_keys(state, FANET_BACKBONE_KEY, out)
    if unknown:
        raise KeyError(f'fanet2mmext: {len(unknown)} keys are not part of the released FANet '
                       f'({kind} layout), e.g. {unknown[:5]}')
    if not any(FANET_BACKBONE_KEY.match(k.split('backbone.', 1)[-1]) for k in out):
        raise KeyError('fanet2mmext: no FANet backbone keys (downsample_layers.*, stages.*) found')
    return out, kind
