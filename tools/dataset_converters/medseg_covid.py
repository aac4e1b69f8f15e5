"""Convert the MedSeg COVID-19 CT segmentation datasets (NIfTI) into the PNG slices that
``MedSegCOVIDDataset`` (CogSeg) reads. The conversion itself is
``mmext.datasets.converters.medseg_covid`` (its docstring describes inputs, splits and outputs).

    python tools/dataset_converters/medseg_covid.py covid19_1 RAW_DIR [-o data/medseg_covid19_1]
        [--split slice|random] [--augment-before-split] [--seed 0]
    python tools/dataset_converters/medseg_covid.py covid19_2 RAW_DIR [-o data/medseg_covid19_2]
        [--split volume|slice] [--lesion-slices-only]
    common: [--window -1350 150] [--hr-size 512] [--scale 2] [--no-lung-masks] [--no-hu-check]
"""
import argparse
import os.path as osp
import sys

from mmext.datasets.converters.medseg_covid import (DEFAULT_WINDOW, convert_covid19_1,
                                                    convert_covid19_2)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('dataset', choices=['covid19_1', 'covid19_2'])
    parser.add_argument('raw_dir', help='folder with tr_im.nii.gz/tr_mask.nii.gz (covid19_1) or '
                        'rp_im/ and rp_msk/ (covid19_2)')
    parser.add_argument('-o', '--out-dir', help='default data/medseg_<dataset>')
    parser.add_argument('--window', nargs=2, type=float, default=list(DEFAULT_WINDOW),
                        metavar=('LOW', 'HIGH'), help='HU window (default -1350 150)')
    parser.add_argument('--hr-size', type=int, default=512,
                        help='side of the high-resolution slices (0: keep the native size)')
    parser.add_argument('--scale', type=int, default=2, help='HR / LR size ratio (default 2)')
    parser.add_argument('--split', choices=['slice', 'random', 'volume'],
                        help='covid19_1: slice (default, first --train-ratio by index) or random; '
                        'covid19_2: volume (default, first --num-train-volumes) or slice')
    parser.add_argument('--train-ratio', type=float, default=0.7,
                        help='slice / random splits (default 0.7)')
    parser.add_argument('--seed', type=int, default=0, help='random split (default 0)')
    parser.add_argument('--augment-before-split', action='store_true',
                        help='covid19_1: write the paper\'s 11 versions of every slice, then '
                        'split them at random (leaks test slices into training; warns)')
    parser.add_argument('--num-train-volumes', type=int, default=6, help='covid19_2 only')
    parser.add_argument('--lesion-slices-only', action='store_true', help='covid19_2 only')
    parser.add_argument('--no-lung-masks', action='store_true',
                        help='do not write lung_masks/ even when the lung masks are present')
    parser.add_argument('--no-hu-check', action='store_true',
                        help='skip the check that the volumes are in Hounsfield units')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    out_dir = args.out_dir or osp.join('data', f'medseg_{args.dataset}')
    common = dict(window=args.window, hr_size=args.hr_size or None, scale=args.scale,
                  progress=not args.no_progress, train_ratio=args.train_ratio,
                  lung_masks=False if args.no_lung_masks else 'auto',
                  check_hu_range=not args.no_hu_check)
    if args.dataset == 'covid19_1':
        counts = convert_covid19_1(args.raw_dir, out_dir, split=args.split or 'slice',
                                   seed=args.seed,
                                   augment_before_split=args.augment_before_split, **common)
    else:
        counts = convert_covid19_2(args.raw_dir, out_dir, split=args.split or 'volume',
                                   num_train_volumes=args.num_train_volumes,
                                   lesion_slices_only=args.lesion_slices_only, **common)
    print(f'{args.dataset}: {counts["train"]} train and {counts["test"]} test slices written to '
          f'{out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
