"""Convert a YOLO-format dataset (Ultralytics layout) to COCO instances JSON files.

    python tools/dataset_converters/yolo2coco.py data/road_assets/data.yaml \
        [--out-dir data/road_assets/annotations] [--splits train val] [--task auto] \
        [--skip-degenerate]

Writes ``<out-dir>/instances_<split>.json`` per split; ``file_name`` is relative to the split's
image folder, so a config uses ``ann_file='annotations/instances_train.json'`` and
``data_prefix=dict(img='images/train/')``. ``--task segment`` rejects box lines (instance
segmentation needs polygons). Malformed labels stop the conversion with the file, line and
field. The conversion is :func:`mmext.datasets.converters.convert_yolo_dataset`.
"""
import argparse
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_yaml', help='the YOLO data yaml (train/val image folders, names)')
    parser.add_argument('--out-dir', help='output folder (default: <dataset root>/annotations)')
    parser.add_argument('--splits', nargs='+', default=None,
                        help='splits to convert (default: all in the yaml)')
    parser.add_argument('--task', choices=['auto', 'detect', 'segment'], default='auto',
                        help="'segment' requires polygon labels")
    parser.add_argument('--skip-degenerate', action='store_true',
                        help='leave out zero-area objects (counted in a warning) instead of '
                             'stopping at the first')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmext.datasets.converters import convert_yolo_dataset
    convert_yolo_dataset(args.data_yaml, args.out_dir, args.splits, args.task, log=print,
                         degenerate='skip' if args.skip_degenerate else 'error')
    return 0


if __name__ == '__main__':
    sys.exit(main())
