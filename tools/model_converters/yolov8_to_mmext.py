"""Convert Ultralytics YOLOv8 / YOLOv8-seg weights to the mmext models (key renaming only).

    python tools/model_converters/yolov8_to_mmext.py yolov8s_state_dict.pt \
        checkpoints/yolov8s_mmext.pth

The input is a plain ``state_dict`` of an Ultralytics detection or segmentation model (keys
``model.0.conv.weight`` ... ``model.22.cv3.2.bias``). Ultralytics checkpoints pickle whole model
objects, so export the state dict where ``ultralytics`` is installed (this project does not
depend on it; mind the weights' licence)::

    python -c "from ultralytics import YOLO; import torch; \
        torch.save(YOLO('yolov8s.pt').model.state_dict(), 'yolov8s_state_dict.pt')"

The renaming is ``mmext.models.converters.convert_yolov8_state_dict`` (its docstring lists the
rules). Use the output with ``load_from=checkpoints/yolov8s_mmext.pth``; with another number of
classes the last classification convolutions are skipped with a size-mismatch warning and
trained from scratch.
"""
import argparse
import sys

import torch

from mmext.models.converters import convert_yolov8_state_dict


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='Ultralytics state_dict (.pt)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    converted = convert_yolov8_state_dict(state)
    torch.save(dict(state_dict=converted, meta=dict(source=args.src)), args.dst)
    print(f'{len(converted)} tensors -> {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
