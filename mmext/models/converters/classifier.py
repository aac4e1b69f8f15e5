"""Shared steps of the weight converters for released classification checkpoints (timm and
official-repo layouts): safe loading, unwrapping the state dict, and the classifier key map
``<backbone keys> -> backbone.*``, ``norm.* -> backbone.norm3.*``, ``head.* -> head.fc.*``."""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List

import torch

__all__ = ['load_source_checkpoint', 'unwrap_state_dict', 'rename_classifier_keys',
           'save_converted']


def load_source_checkpoint(path: str, trust: bool = False, name: str = 'converter') -> dict:
    """``torch.load`` a released checkpoint safely: tensors, containers and
    ``argparse.Namespace`` (timm writes its training arguments as one) only.

    Anything else that is not plain data is refused with the file named, unless ``trust`` (the
    file may then run code while loading). ``name`` prefixes the messages.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{name}: source checkpoint not found: {path}')
    if trust:
        return torch.load(path, map_location='cpu', weights_only=False)
    with torch.serialization.safe_globals([argparse.Namespace]):
        try:
            return torch.load(path, map_location='cpu', weights_only=True)
        except Exception as err:  # UnpicklingError with the offending global
            raise RuntimeError(
                f'{name}: {path} holds objects other than tensors and plain data ({err}). '
                'If you trust the file, pass --trust-checkpoint to load it anyway.') from err


def unwrap_state_dict(checkpoint: dict, ema: bool = False,
                      name: str = 'converter') -> Dict[str, torch.Tensor]:
    """The state dict inside a timm / mmcv / official checkpoint, without a ``module.`` prefix.

    Looks for ``state_dict_ema`` (when ``ema``), ``state_dict``, ``model``, else takes the dict
    itself; every value must be a tensor.
    """
    if not isinstance(checkpoint, dict):
        raise TypeError(f'{name}: expected a dict checkpoint, got {type(checkpoint).__name__}')
    key = 'state_dict_ema' if ema else 'state_dict'
    if ema and key not in checkpoint:
        raise KeyError(f"{name}: --ema given but the checkpoint has no 'state_dict_ema'")
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
        raise ValueError(f'{name}: not a state dict (non-tensor entries {bad[:5]})')
    return state


def rename_classifier_keys(state: Dict[str, torch.Tensor], backbone_key: 're.Pattern',
                           out: 'OrderedDict[str, torch.Tensor]') -> List[str]:
    """Map a timm-style classifier state dict onto mmpretrain ``ImageClassifier`` keys.

    Keys matching ``backbone_key`` go under ``backbone.``, the final ``norm.*`` becomes
    ``backbone.norm3.*`` and ``head.*`` becomes ``head.fc.*``; they are written into ``out``.
    Returns the keys that fit none of these (the caller reports them).
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


def save_converted(state: 'OrderedDict[str, torch.Tensor]', dst: str, meta: dict) -> str:
    """Write ``dict(meta=meta, state_dict=state)`` to ``dst`` (creating its folder)."""
    import os
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(meta=meta, state_dict=state), dst)
    return dst
