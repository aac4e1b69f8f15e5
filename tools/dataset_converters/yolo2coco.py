"""Convert a YOLO-format dataset (Ultralytics layout) to COCO instances JSON files.

    python tools/dataset_converters/yolo2coco.py data/road_assets/data.yaml \
        [--out-dir data/road_assets/annotations] [--splits train val] [--task auto]

Reads the data yaml (``train``/``val``/``test`` image folders and ``names``), finds each split's
labels under the matching ``labels/`` folder and writes ``<out-dir>/instances_<split>.json``.
Box lines (``class cx cy w h``) become COCO boxes; polygon lines (``class x1 y1 ... xn yn``)
become boxes plus polygon ``segmentation``. ``file_name`` is relative to the split's image
folder, so a config uses ``ann_file='annotations/instances_train.json'`` and
``data_prefix=dict(img='images/train/')``. ``--task segment`` rejects box lines (instance
segmentation needs polygons). Malformed labels stop the conversion with the file, line and field.
"""
import argparse
import json
import os
import os.path as osp
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
    return parser.parse_args(argv)


def convert(data_yaml, out_dir=None, splits=None, task='auto'):
    """Convert the splits; returns {split: written json path}."""
    from mmext.datasets.yolo_format import read_data_yaml, yolo_to_coco
    data = read_data_yaml(data_yaml)
    splits = splits or list(data['splits'])
    missing = [s for s in splits if s not in data['splits']]
    if missing:
        raise KeyError(f'{data_yaml}: no {missing} split(s); it lists {list(data["splits"])}')
    out_dir = out_dir or osp.join(data['root'], 'annotations')
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    first_id = 1
    for split in splits:
        coco = yolo_to_coco(data['splits'][split], None, data['names'], task=task,
                            first_image_id=first_id)
        first_id += len(coco['images'])
        path = osp.join(out_dir, f'instances_{split}.json')
        with open(path, 'w') as f:
            json.dump(coco, f)
        written[split] = path
        print(f'{split}: {len(coco["images"])} images, {len(coco["annotations"])} objects -> '
              f'{path} (images: {osp.relpath(data["splits"][split], data["root"])}/)')
    return written


def main(argv=None):
    args = parse_args(argv)
    convert(args.data_yaml, args.out_dir, args.splits, args.task)
    return 0


if __name__ == '__main__':
    sys.exit(main())
