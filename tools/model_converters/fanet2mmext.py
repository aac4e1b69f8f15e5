"""Convert a checkpoint of the released FANet code (techmn/fanet) to mmext's layout.

    python tools/model_converters/fanet2mmext.py SRC DST [--ema] [--trust-checkpoint]

* ImageNet-1k checkpoints written by timm's ``train.py`` (the released ``model_best.pth.tar``)
  become an mmpretrain ``ImageClassifier`` state dict (``backbone.*``, ``backbone.norm3.*``,
  ``head.fc.*``): load it with ``load_from`` into ``configs/fanet/fanet-t_16xb80_in1k.py``, or as
  backbone initialisation with ``init_cfg=dict(type='Pretrained', checkpoint=DST,
  prefix='backbone.')`` in the UperNet configs.
* ZeroWaste-f checkpoints of the released mmseg 0.x code keep their names; the output loads into
  ``configs/fanet/upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py``.

The renaming is ``mmext.models.converters.convert_fanet_state_dict`` (its docstring lists the
rules); keys that are not the released FANet's are an error.
"""
import argparse
import os.path as osp
import sys

from mmext.models.converters import (convert_fanet_state_dict, load_source_checkpoint,
                                     save_converted, unwrap_state_dict)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='released checkpoint, e.g. pretrain/model_best.pth.tar')
    parser.add_argument('dst', help='output, e.g. checkpoints/fanet-t_in1k.pth')
    parser.add_argument('--ema', action='store_true', help="convert 'state_dict_ema' instead")
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow arbitrary pickled objects in SRC (only for files you trust)')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    ckpt = load_source_checkpoint(args.src, args.trust_checkpoint, name='fanet2mmext')
    state, kind = convert_fanet_state_dict(unwrap_state_dict(ckpt, args.ema, name='fanet2mmext'))
    save_converted(state, args.dst,
                   dict(converted_from=osp.basename(args.src), layout=f'mmext {kind}'))
    print(f'fanet2mmext: {len(state)} tensors ({kind} layout) written to {args.dst}')
    return args.dst


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
