"""Ultralytics YOLOv8 / YOLOv8-seg state dicts -> mmext ``YOLOv8CSPDarknet`` + ``YOLOv8PAFPN`` +
``YOLOv8Head`` / ``YOLOv8InsHead`` keys (renaming only; the tensors are unchanged).

Ultralytics numbers its layers as in its P5 yaml: backbone 0-9, neck 10-21 (10, 11, 13, 14, 17
and 20 are parameter-free upsample / concat layers), head 22. Inside a layer:

* a plain ``Conv`` (``conv`` + ``bn``) has the names of mmcv's ``ConvModule``;
* a ``C2f`` block's ``cv1`` / ``cv2`` / ``m.i.cv{1,2}`` are ``main_conv`` / ``final_conv`` /
  ``blocks.i.conv{1,2}``; the ``SPPF`` (layer 9) ``cv1`` / ``cv2`` are ``conv1`` / ``conv2``;
* the head's box branches ``cv2.l``, class branches ``cv3.l``, mask-coefficient branches
  ``cv4.l`` and prototype network ``proto.{cv1, upsample, cv2, cv3}`` are ``reg_branches.l``,
  ``cls_branches.l``, ``coeff_branches.l`` and ``proto.{0, 1, 2, 3}``.

The fixed DFL projection ``model.22.dfl.conv.weight`` is dropped: mmdet's ``Integral`` holds the
same values as a buffer.
"""
import re
from collections import OrderedDict
from typing import Dict, Optional

# Ultralytics layer index -> mmext module path (layers with parameters)
LAYERS = {0: 'backbone.stem', 1: 'backbone.stage1.0', 2: 'backbone.stage1.1',
          3: 'backbone.stage2.0', 4: 'backbone.stage2.1', 5: 'backbone.stage3.0',
          6: 'backbone.stage3.1', 7: 'backbone.stage4.0', 8: 'backbone.stage4.1',
          9: 'backbone.stage4.2', 12: 'neck.top_down_p4', 15: 'neck.top_down_p3',
          16: 'neck.downsample_p3', 18: 'neck.bottom_up_p4', 19: 'neck.downsample_p4',
          21: 'neck.bottom_up_p5'}
HEAD_INDEX = 22
SPPF_INDEX = 9
C2F_RULES = [(r'^cv1\.', 'main_conv.'), (r'^cv2\.', 'final_conv.'),
             (r'^m\.(\d+)\.cv1\.', r'blocks.\1.conv1.'),
             (r'^m\.(\d+)\.cv2\.', r'blocks.\1.conv2.')]
SPPF_RULES = [(r'^cv1\.', 'conv1.'), (r'^cv2\.', 'conv2.')]
HEAD_RULES = [(r'^cv2\.(\d+)\.', r'reg_branches.\1.'), (r'^cv3\.(\d+)\.', r'cls_branches.\1.'),
              (r'^cv4\.(\d+)\.', r'coeff_branches.\1.'), (r'^proto\.cv1\.', 'proto.0.'),
              (r'^proto\.upsample\.', 'proto.1.'), (r'^proto\.cv2\.', 'proto.2.'),
              (r'^proto\.cv3\.', 'proto.3.')]


def _apply_first(rules, key: str) -> Optional[str]:
    for pattern, repl in rules:
        new, n = re.subn(pattern, repl, key)
        if n:
            return new
    return None


def convert_yolov8_key(key: str) -> Optional[str]:
    """One Ultralytics key -> the mmext key, or None for a key that is dropped.

    Raises:
        KeyError: naming the key, for anything that is not a YOLOv8(-seg) parameter.
    """
    m = re.match(r'^model\.(\d+)\.(.*)$', key)
    if not m:
        raise KeyError(f'unexpected key {key!r}: not an Ultralytics YOLOv8 state dict')
    index, rest = int(m.group(1)), m.group(2)
    if index == HEAD_INDEX:
        if rest.startswith('dfl.'):
            return None
        new = _apply_first(HEAD_RULES, rest)
        if new is None:
            raise KeyError(f'unexpected head key {key!r}')
        return 'bbox_head.' + new
    if index not in LAYERS:
        raise KeyError(f'unexpected key {key!r}: layer {index} has no parameters in YOLOv8')
    prefix = LAYERS[index]
    if rest.startswith(('conv.', 'bn.')):  # plain Conv -> ConvModule (same names)
        return f'{prefix}.{rest}'
    new = _apply_first(SPPF_RULES if index == SPPF_INDEX else C2F_RULES, rest)
    if new is None:
        raise KeyError(f'unexpected key {key!r}')
    return f'{prefix}.{new}'


def convert_yolov8_state_dict(state_dict: Dict) -> 'OrderedDict':
    """Rename every key of an Ultralytics YOLOv8(-seg) state dict (see the module docstring).

    A checkpoint dict holding the weights under ``'state_dict'`` is accepted too.
    """
    if 'state_dict' in state_dict and isinstance(state_dict['state_dict'], dict):
        state_dict = state_dict['state_dict']
    out = OrderedDict()
    for key, value in state_dict.items():
        new = convert_yolov8_key(key)
        if new is not None:
            out[new] = value
    return out
