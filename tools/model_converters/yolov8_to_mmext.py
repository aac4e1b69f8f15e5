"""Convert Ultralytics YOLOv8 / YOLOv8-seg weights to the mmext models (key renaming only).

    python tools/model_converters/yolov8_to_mmext.py yolov8s_state_dict.pt \
        checkpoints/yolov8s_mmext.pth

The input is a plain ``state_dict`` of an Ultralytics detection or segmentation model (keys
``model.0.conv.weight`` ... ``model.22.cv3.2.bias``). Ultralytics checkpoints pickle whole model
objects, so export the state dict where ``ultralytics`` is installed (this project does not
depend on it; mind the weights' licence)::

    python -c "from ultralytics import YOLO; import torch; \
        torch.save(YOLO('yolov8s.pt').model.state_dict(), 'yolov8s_state_dict.pt')"

The layer order is YOLOv8's P5 yaml: backbone 0-9, neck 10-21, head 22. The fixed DFL
projection (``dfl.conv.weight``) is dropped: mmdet's ``Integral`` holds it as a buffer. Use the
output with ``load_from=checkpoints/yolov8s_mmext.pth``; with another number of classes the last
classification convolutions are skipped with a size-mismatch warning and trained from scratch.
"""
import argparse
import re
import sys
from collections import OrderedDict

import torch

BACKBONE = {0: 'backbone.stem', 1: 'backbone.stage1.0', 2: 'backbone.stage1.1',
            3: 'backbone.stage2.0', 4: 'backbone.stage2.1', 5: 'backbone.stage3.0',
            6: 'backbone.stage3.1', 7: 'backbone.stage4.0', 8: 'backbone.stage4.1',
            9: 'backbone.stage4.2', 12: 'neck.top_down_p4', 15: 'neck.top_down_p3',
            16: 'neck.downsample_p3', 18: 'neck.bottom_up_p4', 19: 'neck.downsample_p4',
            21: 'neck.bottom_up_p5'}
HEAD_INDEX = 22
# inside C2f / SPPF modules
BLOCK_RULES = [(r'^cv1\.', 'main_conv.'), (r'^cv2\.', 'final_conv.'),
               (r'^m\.(\d+)\.cv1\.', r'blocks.\1.conv1.'),
               (r'^m\.(\d+)\.cv2\.', r'blocks.\1.conv2.')]
SPPF_RULES = [(r'^cv1\.', 'conv1.'), (r'^cv2\.', 'conv2.')]
HEAD_RULES = [(r'^cv2\.(\d+)\.', r'reg_branches.\1.'), (r'^cv3\.(\d+)\.', r'cls_branches.\1.'),
              (r'^cv4\.(\d+)\.', r'coeff_branches.\1.'), (r'^proto\.cv1\.', 'proto.0.'),
              (r'^proto\.upsample\.', 'proto.1.'), (r'^proto\.cv2\.', 'proto.2.'),
              (r'^proto\.cv3\.', 'proto.3.')]


def _apply(rules, key):
    for pattern, repl in rules:
        new, n = re.subn(pattern, repl, key)
        if n:
            return new
    return None


def convert_key(key: str):
    """Ultralytics key -> mmext key, or None for a key that is dropped."""
    m = re.match(r'^model\.(\d+)\.(.*)$', key)
    if not m:
        raise KeyError(f'unexpected key {key!r}: not an Ultralytics YOLOv8 state dict')
    index, rest = int(m.group(1)), m.group(2)
    if index == HEAD_INDEX:
        if rest.startswith('dfl.'):
            return None
        new = _apply(HEAD_RULES, rest)
        if new is None:
            raise KeyError(f'unexpected head key {key!r}')
        return 'bbox_head.' + new
    if index not in BACKBONE:
        raise KeyError(f'unexpected key {key!r}: layer {index} has no parameters in YOLOv8')
    prefix = BACKBONE[index]
    if rest.startswith(('conv.', 'bn.')):  # plain Conv -> ConvModule (same names)
        return f'{prefix}.{rest}'
    new = _apply(SPPF_RULES if index == 9 else BLOCK_RULES, rest)
    if new is None:
        raise KeyError(f'unexpected key {key!r}')
    return f'{prefix}.{new}'


def convert(state_dict):
    out = OrderedDict()
    for key, value in state_dict.items():
        new = convert_key(key)
        if new is not None:
            out[new] = value
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='Ultralytics state_dict (.pt)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    args = parser.parse_args(argv)
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    if 'state_dict' in state and isinstance(state['state_dict'], dict):
        state = state['state_dict']
    converted = convert(state)
    torch.save(dict(state_dict=converted, meta=dict(source=args.src)), args.dst)
    print(f'{len(converted)} tensors -> {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
