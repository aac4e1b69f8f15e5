"""Visualise FANet's Feature Refinement Module on one image (the paper's Fig. 6).

    python tools/analysis_tools/visualize_frm.py CONFIG CHECKPOINT IMAGE [--gt LABEL.PNG]
        [--stage 2] [--block -1] [--reduce norm] [--out-dir work_dirs/frm_vis] [--device cpu]
        [--cfg-options k=v ...]

Runs the segmentor on IMAGE, captures the input of the FRM inside the AFE block
``backbone.stages[stage][block]`` (the paper shows stage 3, i.e. ``--stage 2``) and writes, as
colour-mapped PNGs at the image's size:

    a_image.png         the input image                                      Fig. 6 (a)
    b_frm_input.png     F, the FRM's input                                   (b)
    c_frm_R.png         R = F - Q, high-frequency detail                     (c)
    d_frm_S.png         S = F * Q, low-frequency blobs                       (d)
    e_frm_output.png    the FRM's output                                     (e)
    f_prediction.png    the predicted label map over the image               (f)
    g_ground_truth.png  the ground truth over the image (with --gt)          (g)

Each ``(C, h, w)`` map is reduced to one channel (``--reduce``: L2 norm over channels by default,
or the mean, the mean absolute value, or the max) and min-max scaled for display. The logic is
``mmext.visualization.visualize_frm``.
"""
import argparse
import sys

import torch

from mmext.visualization import visualize_frm


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('image')
    parser.add_argument('--gt', help='label map of the image (class indices), for panel (g)')
    parser.add_argument('--stage', type=int, default=2, help='0-based stage (paper: 2)')
    parser.add_argument('--block', type=int, default=-1, help='block within the stage')
    parser.add_argument('--reduce', default='norm', choices=['norm', 'mean', 'absmean', 'max'])
    parser.add_argument('--out-dir', default='work_dirs/frm_vis')
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    paths = visualize_frm(args.config, args.checkpoint, args.image, args.out_dir, gt=args.gt,
                      stage=args.stage, block=args.block, reduce=args.reduce,
                      device=args.device, cfg_options=args.cfg_options)
    for name, path in paths.items():
        print(f'{name}: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
