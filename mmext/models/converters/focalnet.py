"""Official FocalNet ImageNet checkpoints (microsoft/FocalNet) -> mmext keys (renaming only).

The official classification checkpoints (``focalnet_tiny_lrf.pth``, ...) hold
``{'model': state_dict, ...}`` with ``patch_embed.*``, ``layers.*``, ``norm.*`` and ``head.*``.
mmext's :class:`~mmext.models.backbones.FocalNet` keeps the official module names, so the output
is an mmpretrain ``ImageClassifier`` state dict: ``backbone.*``, ``backbone.norm3.*`` (the final
norm; mmext's FocalNet names its stage-3 output norm ``norm3``) and ``head.fc.*``.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

from .classifier import rename_classifier_keys

__all__ = ['FOCALNET_BACKBONE_KEY', 'convert_focalnet_state_dict']

FOCALNET_BACKBONE_KEY = re.compile(r'^(patch_embed|layers\.\d+)\.')


def convert_focalnet_state_dict(
        state: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Rename official FocalNet classification keys to mmext's ``ImageClassifier`` keys."""
    out = OrderedDict()
    unknown = rename_classifier_keys(state, FOCALNET_BACKBONE_KEY, out)
    if unknown:
        raise KeyError(f'focalnet2mmext: {len(unknown)} keys are not part of a FocalNet '
                       f'classifier, e.g. {unknown[:5]}')
    if not out:
        raise KeyError('focalnet2mmext: the checkpoint holds no FocalNet keys')
    return out
