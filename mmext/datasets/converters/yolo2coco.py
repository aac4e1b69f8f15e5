"""YOLO-format dataset (Ultralytics layout) -> COCO instances JSON files, one per split.

Reads the data yaml (``train``/``val``/``test`` sources and ``names``; see
:mod:`mmext.datasets.yolo_format` for the layouts read), finds each split's labels under the
matching ``labels/`` folder and writes ``<out_dir>/instances_<split>.json``. Box lines
(``class cx cy w h``) become COCO boxes; polygon lines (``class x1 y1 ... xn yn``) become boxes
plus polygon ``segmentation``. ``file_name`` is relative to the split's image folder (to the
images' common folder for a ``.txt`` or list split), so a config uses
``ann_file='annotations/instances_train.json'`` and ``data_prefix=dict(img='images/train/')``.
``task='segment'`` rejects box lines (instance segmentation needs polygons). Malformed labels
stop the conversion with the file, line and field.
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional

from ..yolo_format import read_data_yaml, yolo_to_coco


def convert_yolo_dataset(data_yaml: str, out_dir: Optional[str] = None,
                         splits: Optional[List[str]] = None, task: str = 'auto',
                         log: Optional[Callable[[str], None]] = None,
                         degenerate: str = 'error') -> Dict[str, str]:
    """Convert the splits of ``data_yaml``.

    Args:
        data_yaml: The Ultralytics data yaml.
        out_dir: Output folder; default ``<dataset root>/annotations``.
        splits: Splits to convert; default all the yaml lists.
        task: 'auto', 'detect' or 'segment' (see :func:`~mmext.datasets.yolo_format.
            parse_label_file`).
        log: Called with one summary line per split (images, objects, output, image folder).
        degenerate: 'error' (default) or 'skip' zero-area objects (see
            :func:`~mmext.datasets.yolo_format.parse_label_file`).

    Returns:
        dict: {split: path of the written JSON file}. Image ids run on across the splits.
    """
    data = read_data_yaml(data_yaml)
    splits = list(splits or data['splits'])
    missing = [s for s in splits if s not in data['splits']]
    if missing:
        raise KeyError(f'{data_yaml}: no {missing} split(s); it lists {list(data["splits"])}')
    out_dir = out_dir or osp.join(data['root'], 'annotations')
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    first_id = 1
    for split in splits:
        coco = yolo_to_coco(data['splits'][split], None, data['names'], task=task,
                            first_image_id=first_id, degenerate=degenerate)
        image_root = coco['info'].pop('image_root')
        first_id += len(coco['images'])
        path = osp.join(out_dir, f'instances_{split}.json')
        with open(path, 'w') as f:
            json.dump(coco, f)
        written[split] = path
        if log is not None:
            log(f'{split}: {len(coco["images"])} images, {len(coco["annotations"])} objects -> '
                f'{path} (images: {osp.relpath(image_root, data["root"])}/)')
    return written
