"""The YOLO -> COCO conversion (mmext.datasets.converters, and its command line
tools/dataset_converters/yolo2coco.py) on boxes and polygons (values by hand), its errors on
bad input, the road-asset dataset reading YOLO labels directly, and the synthetic YOLO sets."""
import hashlib
import json
import os
import os.path as osp

import cv2
import numpy as np
import runpy
import sys

import pytest

import mmext  # noqa: F401
from mmext.datasets import RoadAssetDataset, RoadAssetInsSegDataset
from mmext.datasets.converters import convert_yolo_dataset
from mmext.datasets.synthetic import generate

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'dataset_converters', 'yolo2coco.py')


def run_tool(monkeypatch, *args):
    """The command line, run as ``python tools/dataset_converters/yolo2coco.py ARGS``."""
    monkeypatch.setattr(sys, 'argv', [TOOL, *args])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(TOOL, run_name='__main__')
    return exit_info.value.code


def make_dataset(root, labels=None, names=('pavilion', 'pedestrian bridge')):
    os.makedirs(osp.join(root, 'images', 'train'), exist_ok=True)
    os.makedirs(osp.join(root, 'labels', 'train'), exist_ok=True)
    cv2.imwrite(osp.join(root, 'images', 'train', 'a.jpg'), np.zeros((20, 40, 3), np.uint8))
    cv2.imwrite(osp.join(root, 'images', 'train', 'b.png'), np.zeros((30, 30, 3), np.uint8))
    cv2.imwrite(osp.join(root, 'images', 'train', 'c.jpg'), np.zeros((10, 10, 3), np.uint8))
    labels = labels or {
        'a': '0 0.5 0.5 0.5 0.4\n',  # box
        'b': '1 0.1 0.1 0.9 0.1 0.9 0.5\n\n',  # triangle, then a blank line
    }  # c: a background image without a label file
    for stem, text in labels.items():
        with open(osp.join(root, 'labels', 'train', stem + '.txt'), 'w') as f:
            f.write(text)
    with open(osp.join(root, 'data.yaml'), 'w') as f:
        f.write('train: images/train\nnames: ' + json.dumps(list(names)) + '\n')
    return osp.join(root, 'data.yaml')


def test_boxes_and_polygons_by_hand(tmp_path, monkeypatch):
    data_yaml = make_dataset(str(tmp_path))
    out = convert_yolo_dataset(data_yaml)
    assert out == {'train': osp.join(str(tmp_path), 'annotations', 'instances_train.json')}
    coco = json.load(open(out['train']))
    images = {im['file_name']: im for im in coco['images']}
    assert set(images) == {'a.jpg', 'b.png', 'c.jpg'}
    assert (images['a.jpg']['width'], images['a.jpg']['height']) == (40, 20)
    anns = {a['image_id']: a for a in coco['annotations']}
    assert len(coco['annotations']) == 2  # nothing for the background image
    box = anns[images['a.jpg']['id']]
    # cx 20, cy 10, w 20, h 8 px -> x1 10, y1 6
    assert box['bbox'] == [10, 6, 20, 8] and box['area'] == 160 and box['category_id'] == 1
    assert 'segmentation' not in box
    poly = anns[images['b.png']['id']]
    # (3, 3), (27, 3), (27, 15): box [3, 3, 24, 12], area 24 * 12 / 2
    assert poly['bbox'] == [3, 3, 24, 12] and poly['area'] == 144 and poly['category_id'] == 2
    assert poly['segmentation'] == [[3, 3, 27, 3, 27, 15]]
    assert [c['name'] for c in coco['categories']] == ['pavilion', 'pedestrian bridge']
    # the command line writes the same file
    assert run_tool(monkeypatch, data_yaml, '--out-dir', str(tmp_path / 'cli')) == 0
    assert json.load(open(tmp_path / 'cli' / 'instances_train.json')) == coco


@pytest.mark.parametrize('text,match', [
    ('7 0.5 0.5 0.1 0.1\n', r'a.txt:1: class id 7 out of range'),
    ('0 0.5 0.5 0.1\n', r'a.txt:1: 4 fields'),
    ('0 0.5 0.5 0.1 x\n', r'a.txt:1: non-numeric'),
    ('0 0.5 0.5 0.1 0.1\n0 1.3 0.5 0.1 0.1\n', r'a.txt:2: normalised coordinate outside'),
    ('0 0.5 0.5 0 0.1\n', r'a.txt:1: degenerate box, field w'),
    ('0 0.1 0.1 0.2 0.2 0.3 0.3\n', r'a.txt:1: degenerate object'),
])
def test_bad_labels_name_file_line_and_field(tmp_path, text, match):
    data_yaml = make_dataset(str(tmp_path), labels={'a': text})
    with pytest.raises(ValueError, match=match):
        convert_yolo_dataset(data_yaml)


def test_missing_and_corrupt_files(tmp_path):
    data_yaml = make_dataset(str(tmp_path / 'x'), labels={'zzz': '0 0.5 0.5 0.1 0.1\n'})
    with pytest.raises(FileNotFoundError, match='zzz.txt has no image'):
        convert_yolo_dataset(data_yaml)
    data_yaml = make_dataset(str(tmp_path / 'y'))
    with open(tmp_path / 'y' / 'images' / 'train' / 'b.png', 'wb') as f:
        f.write(b'not an image')
    with pytest.raises(ValueError, match='corrupt or unreadable image: .*b.png'):
        convert_yolo_dataset(data_yaml)
    with pytest.raises(FileNotFoundError, match='data yaml not found'):
        convert_yolo_dataset(str(tmp_path / 'nothing.yaml'))
    data_yaml = make_dataset(str(tmp_path / 'z'))
    with pytest.raises(ValueError, match='a.txt:1: a box line .* in a segmentation set'):
        convert_yolo_dataset(data_yaml, task='segment')


def test_dataset_reads_yolo_labels_like_the_json(tmp_path):
    data_yaml = make_dataset(str(tmp_path))
    convert_yolo_dataset(data_yaml)
    common = dict(data_root=str(tmp_path), data_prefix=dict(img='images/train/'),
                  metainfo=dict(classes=('pavilion', 'pedestrian bridge')), pipeline=[])
    direct = RoadAssetDataset(ann_file='labels/train/', **common)
    via_json = RoadAssetDataset(ann_file='annotations/instances_train.json', **common)
    assert len(direct) == len(via_json) == 3

    def key(ds):
        return sorted((osp.basename(d['img_path']), [(i['bbox'], i['bbox_label'],
                                                       i.get('mask')) for i in d['instances']])
                      for d in (ds.get_data_info(k) for k in range(len(ds))))

    assert key(direct) == key(via_json)
    # the segmentation dataset refuses the box-only object of a.jpg, naming file and field
    with pytest.raises(ValueError, match="instances_train.json: annotation 1 of image a.jpg has "
                                         "no 'segmentation'"):
        RoadAssetInsSegDataset(ann_file='annotations/instances_train.json', **common)


def test_synthetic_yolo_sets_are_deterministic_and_valid(tmp_path):
    def digest(folder):
        h = hashlib.sha1()
        for dirpath, _, files in sorted(os.walk(folder)):
            for name in sorted(files):
                h.update(name.encode())
                h.update(open(osp.join(dirpath, name), 'rb').read())
        return h.hexdigest()

    kwargs = dict(num_train=4, num_val=2, img_size=96)
    generate('yolo', str(tmp_path / 'a'), seed=3, **kwargs)
    generate('yolo', str(tmp_path / 'b'), seed=3, **kwargs)
    assert digest(tmp_path / 'a') == digest(tmp_path / 'b')
    generate('yolo_seg', str(tmp_path / 's'), seed=3, **kwargs)
    det = RoadAssetDataset(data_root=str(tmp_path / 'a'), ann_file='labels/val/',
                           data_prefix=dict(img='images/val/'), pipeline=[])
    seg = RoadAssetInsSegDataset(data_root=str(tmp_path / 's'), ann_file='labels/train/',
                                 data_prefix=dict(img='images/train/'), pipeline=[])
    assert len(det) == 2 and det.get_data_info(1)['instances'] == []  # background image
    assert det.metainfo['classes'][3] == 'single-arm pole' and len(det.metainfo['classes']) == 7
    assert len(seg.metainfo['classes']) == 5
    inst = [i for k in range(len(seg)) for i in seg.get_data_info(k)['instances']]
    assert inst and all(len(i['mask'][0]) >= 6 for i in inst)  # polygons
