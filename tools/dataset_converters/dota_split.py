"""Split DOTA-format images (DOTA v1.0 / v1.5 / v2.0) into fixed-size patches for mmrotate.

The command line over :func:`mmext.datasets.converters.dota_split.split_dataset` (whose docstring
gives the rules: the official mmrotate splitter's windows, IoF rule, patch naming and multi-scale
rates). Writes ``<save-dir>/images/<id>__<size>__<x>___<y>.png`` and ``<save-dir>/annfiles/``.

Example::

    python tools/dataset_converters/dota_split.py \\
        --img-dirs data/DOTA/train/images data/DOTA/val/images \\
        --ann-dirs data/DOTA/train/labelTxt data/DOTA/val/labelTxt \\
        --save-dir data/split_ss_dota/trainval --sizes 1024 --gaps 200 --nproc 8
"""
import argparse

from mmext.datasets.converters.dota_split import split_dataset


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Split DOTA images into patches (mmrotate layout: images/ + annfiles/)')
    parser.add_argument('--img-dirs', nargs='+', required=True, help='image folders')
    parser.add_argument('--ann-dirs', nargs='+', default=None,
                        help='label folders (DOTA labelTxt), one per image folder; omit for test')
    parser.add_argument('--save-dir', required=True, help='output root')
    parser.add_argument('--sizes', nargs='+', type=int, default=[1024], help='window sizes')
    parser.add_argument('--gaps', nargs='+', type=int, default=[200], help='window overlaps')
    parser.add_argument('--scales', nargs='+', type=float, default=[1.0],
                        help='multi-scale rates: window size becomes size / scale '
                        '(official multi-scale: --gaps 500 --scales 0.5 1.0 1.5)')
    parser.add_argument('--img-rate-thr', type=float, default=0.6,
                        help='drop windows with less image content than this fraction')
    parser.add_argument('--iof-thr', type=float, default=0.7,
                        help='minimal area fraction of an object inside a window')
    parser.add_argument('--padding-value', nargs='+', type=int, default=[104, 116, 124],
                        help='BGR padding colour (1 or 3 values)')
    parser.add_argument('--no-padding', action='store_true', help='keep border patches small')
    parser.add_argument('--save-ext', default='.png', help='patch image extension')
    parser.add_argument('--nproc', type=int, default=4, help='worker processes')
    args = parser.parse_args(argv)
    if args.ann_dirs is not None and len(args.ann_dirs) != len(args.img_dirs):
        parser.error('--ann-dirs needs one folder per --img-dirs folder')
    if len(args.sizes) != len(args.gaps):
        parser.error('--sizes and --gaps need the same number of values')
    return args


def main(argv=None):
    args = parse_args(argv)
    totals = split_dataset(
        args.img_dirs, args.save_dir, ann_dirs=args.ann_dirs, sizes=args.sizes, gaps=args.gaps,
        scales=args.scales, img_rate_thr=args.img_rate_thr, iof_thr=args.iof_thr,
        padding_value=args.padding_value, no_padding=args.no_padding, save_ext=args.save_ext,
        nproc=args.nproc)
    print(f"{totals['images']} images -> {totals['patches']} patches "
          f"({totals['written']} written, {totals['skipped']} already present) in "
          f'{args.save_dir}')


if __name__ == '__main__':
    main()
