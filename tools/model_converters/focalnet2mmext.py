"""Convert an official FocalNet ImageNet checkpoint (microsoft/FocalNet) to mmext's layout.

    python tools/model_converters/focalnet2mmext.py SRC DST [--trust-checkpoint]

The official classification checkpoints (``focalnet_tiny_lrf.pth``, ``focalnet_base_lrf.pth``,
...) become an mmpretrain ``ImageClassifier`` state dict: ``backbone.*``, ``backbone.norm3.*``
(the final norm) and ``head.fc.*``. It loads with ``load_from`` into
``configs/fanet/focalnet-t_16xb80_in1k.py`` and as backbone initialisation with
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')`` in the UperNet configs
(focal kernels are zero-padded there when ``focal_windows`` differs). The renaming is
``mmext.models.converters.convert_focalnet_state_dict``.
"""
import argparse
import os.path as osp
import sys

from mmext.models.converters import (convert_focalnet_state_dict, load_source_checkpoint,
                                     save_converted, unwrap_state_dict)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='official checkpoint, e.g. focalnet_tiny_lrf.pth')
    parser.add_argument('dst', help='output, e.g. checkpoints/focalnet-t-lrf_in1k.pth')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow arbitrary pickled objects in SRC (only for files you trust)')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    ckpt = load_source_checkpoint(args.src, args.trust_checkpoint, name='focalnet2mmext')
    state = convert_focalnet_state_dict(unwrap_state_dict(ckpt, name='focalnet2mmext'))
    save_converted(state, args.dst, dict(converted_from=osp.basename(args.src)))
    print(f'focalnet2mmext: {len(state)} tensors written to {args.dst}')
    return args.dst


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
