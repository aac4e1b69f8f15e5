"""Road-asset data as real exports ship it: class names from data.yaml (list or dict) on the
YOLO-label and COCO-JSON paths, disagreements with the config stopped with both lists, a stray
classes.txt, .txt and list splits, Roboflow's ../ paths, float class ids, zero-area labels."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

import mmext  # noqa: F401
from mmext.datasets import RoadAssetDataset, RoadAssetInsSegDataset
from mmext.datasets.converters import convert_yolo_dataset
from mmext.datasets.yolo_format import read_data_yaml

NAMES = ['Pavilion', 'pedestrian_bridge', 'information sign']


def write_split(root, split, labels, sizes=None):
    os.makedirs(osp.join(root, 'images', split), exist_ok=True)
    os.makedirs(osp.join(root, 'labels', split), exist_ok=True)
    for stem, text in labels.items():
        w, h = (sizes or {}).get(stem, (64, 36))  # 16:9 by default
        cv2.imwrite(osp.join(root, 'images', split, stem + '.jpg'), np.zeros((h, w, 3), np.uint8))
        if text is not None:
            with open(osp.join(root, 'labels', split, stem + '.txt'), 'w') as f:
                f.write(text)


def write_yaml(root, text):
    with open(osp.join(root, 'data.yaml'), 'w') as f:
        f.write(text)
    return osp.join(root, 'data.yaml')


def dataset(root, ann_file='labels/train/', cls=RoadAssetDataset, **kwargs):
    return cls(data_root=root + '/', ann_file=ann_file, data_prefix=dict(img='images/train/'),
               pipeline=[], **kwargs)


LABELS = {'a': '0 0.5 0.5 0.5 0.4\n1 0.2 0.2 0.1 0.1\n', 'b': '2 0.7 0.7 0.2 0.2\n', 'c': None}


@pytest.mark.parametrize('names', [
    'names: ["Pavilion", "pedestrian_bridge", "information sign"]\n',
    "names:\n  0: Pavilion\n  1: pedestrian_bridge\n  2: information sign\n",
], ids=['list', 'dict'])
def test_classes_come_from_data_yaml_on_both_paths(tmp_path, names):
    root = str(tmp_path)
    write_split(root, 'train', LABELS)
    data_yaml = write_yaml(root, 'train: images/train\n' + names)
    direct = dataset(root)
    assert direct.metainfo['classes'] == tuple(NAMES)
    assert len(direct.metainfo['palette']) == 3
    convert_yolo_dataset(data_yaml)
    via_json = dataset(root, 'annotations/instances_train.json')
    assert via_json.metainfo['classes'] == tuple(NAMES)
    for ds in (direct, via_json):  # no annotation dropped: 3 objects, labels 0, 1, 2
        labels = sorted(i['bbox_label'] for k in range(len(ds))
                        for i in ds.get_data_info(k)['instances'])
        assert labels == [0, 1, 2]


def test_json_with_other_names_than_the_config_stops_with_both_lists(tmp_path):
    root = str(tmp_path)
    write_split(root, 'train', LABELS)
    data_yaml = write_yaml(root, 'train: images/train\nnames: ' + json.dumps(NAMES) + '\n')
    convert_yolo_dataset(data_yaml)
    os.remove(data_yaml)
    paper = RoadAssetDataset.METAINFO['classes']
    # the config names the paper's classes: 'Pavilion' and 'pedestrian_bridge' are not among
    # them, so mmdet's CocoDataset would drop those objects silently
    with pytest.raises(ValueError) as info:
        dataset(root, 'annotations/instances_train.json', metainfo=dict(classes=paper))
    msg = str(info.value)
    assert "'Pavilion'" in msg and "'pavilion'" in msg and 'would be dropped' in msg
    # without a config list, the JSON's categories are the classes
    ds = dataset(root, 'annotations/instances_train.json')
    assert ds.metainfo['classes'] == tuple(NAMES)


def test_yaml_against_config_classes(tmp_path):
    root = str(tmp_path)
    write_split(root, 'train', LABELS)
    write_yaml(root, 'train: images/train\nnames: ' + json.dumps(NAMES) + '\n')
    with pytest.raises(ValueError, match=r"data.yaml: the dataset names 3 classes \['Pavilion'.*"
                                         r"the config .* 7 \['pavilion'"):
        dataset(root, metainfo=dict(classes=RoadAssetDataset.METAINFO['classes']))
    assert dataset(root, metainfo=dict(classes=tuple(NAMES))).metainfo['classes'] == tuple(NAMES)
    # data_yaml=None: the config's (here the paper's) classes; class id 2 is 'information sign'
    assert len(dataset(root, data_yaml=None).metainfo['classes']) == 7
    with pytest.raises(FileNotFoundError, match='data_yaml not found'):
        dataset(root, data_yaml='other.yaml')


def test_stray_classes_txt(tmp_path):
    root = str(tmp_path)
    write_split(root, 'train', LABELS)
    write_yaml(root, 'train: images/train\nnames: ' + json.dumps(NAMES) + '\n')
    txt = osp.join(root, 'labels', 'train', 'classes.txt')
    with open(txt, 'w') as f:
        f.write('\n'.join(NAMES) + '\n')
    assert len(dataset(root)) == 3  # read: it agrees with the names
    with open(txt, 'w') as f:
        f.write('Pavilion\npedestrian bridge\ninformation sign\n')
    with pytest.raises(ValueError, match=r"classes.txt:2: class 1 is 'pedestrian bridge' here but "
                                         r"'pedestrian_bridge'"):
        dataset(root)


def test_float_class_ids(tmp_path):
    root = str(tmp_path)
    write_split(root, 'train', {'a': '2.0 0.5 0.5 0.5 0.4\n'})
    write_yaml(root, 'train: images/train\nnames: ' + json.dumps(NAMES) + '\n')
    assert dataset(root).get_data_info(0)['instances'][0]['bbox_label'] == 2
    write_split(root, 'train', {'a': '0 0.5 0.5 0.5 0.4\n1.5 0.5 0.5 0.5 0.4\n'})
    with pytest.raises(ValueError, match=r"a.txt:2: class id '1.5' is not an integer"):
        dataset(root)


def test_txt_and_list_splits_and_roboflow_paths(tmp_path):
    root = str(tmp_path / 'export')
    # Roboflow: data.yaml inside the export, splits written as ../train/images
    os.makedirs(root)
    for split in ('train', 'valid'):
        sub = osp.join(root, split)
        os.makedirs(osp.join(sub, 'images'))
        os.makedirs(osp.join(sub, 'labels'))
        for stem in ('x', 'y'):
            cv2.imwrite(osp.join(sub, 'images', f'{split}_{stem}.jpg'),
                        np.zeros((36, 64, 3), np.uint8))
            with open(osp.join(sub, 'labels', f'{split}_{stem}.txt'), 'w') as f:
                f.write('1 0.5 0.5 0.25 0.5\n')
    data_yaml = write_yaml(root, 'train: ../train/images\nval: ../valid/images\n'
                                 'nc: 3\nnames: ' + json.dumps(NAMES) + '\n')
    data = read_data_yaml(data_yaml)
    assert data['splits'] == {'train': osp.join(root, 'train', 'images'),
                              'val': osp.join(root, 'valid', 'images')}
    out = convert_yolo_dataset(data_yaml)
    coco = json.load(open(out['train']))
    assert [im['file_name'] for im in coco['images']] == ['train_x.jpg', 'train_y.jpg']
    assert coco['annotations'][0]['bbox'] == [24, 9, 16, 18]
    # a .txt split (relative lines, './' lines) and a list split
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('./train/images/train_x.jpg\nvalid/images/valid_y.jpg\n\n')
    data_yaml = write_yaml(root, 'train: train.txt\nval: [train/images, valid/images]\n'
                                 'names: ' + json.dumps(NAMES) + '\n')
    out = convert_yolo_dataset(data_yaml)
    train = json.load(open(out['train']))
    assert [im['file_name'] for im in train['images']] == ['train/images/train_x.jpg',
                                                           'valid/images/valid_y.jpg']
    assert len(train['annotations']) == 2
    val = json.load(open(out['val']))
    assert len(val['images']) == 4 and val['images'][0]['id'] == 3  # ids run on
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('train/images/train_x.jpg\ntrain/images/missing.jpg\n')
    with pytest.raises(FileNotFoundError, match=r'train.txt:2: image .*missing.jpg not found'):
        convert_yolo_dataset(data_yaml)
    write_yaml(root, 'train: 3\nnames: [a]\n')
    with pytest.raises(ValueError, match=r"data.yaml: 'train' must be an image folder"):
        read_data_yaml(data_yaml)


def test_zero_area_labels_refused_or_skipped(tmp_path):
    root = str(tmp_path)
    write_split(root, 'train', {'a': '0 0.5 0.5 0.5 0.4\n1 0.2 0.2 0 0.1\n'})
    write_yaml(root, 'train: images/train\nnames: ' + json.dumps(NAMES) + '\n')
    with pytest.raises(ValueError, match=r'a.txt:2: degenerate box, field w'):
        dataset(root)
    with pytest.warns(UserWarning, match=r'skipped 1 zero-area objects .* first at .*a.txt:2'):
        ds = dataset(root, degenerate_labels='skip')
    assert [i['bbox_label'] for i in ds.get_data_info(0)['instances']] == [0]


def test_seg_dataset_reads_yaml_names(tmp_path):
    root = str(tmp_path)
    write_split(root, 'train', {'a': '1 0.1 0.1 0.9 0.1 0.9 0.5\n'})
    write_yaml(root, 'train: images/train\nnames: [Pavilion, Bridge]\n')
    ds = dataset(root, cls=RoadAssetInsSegDataset)
    assert ds.metainfo['classes'] == ('Pavilion', 'Bridge')
    assert ds.get_data_info(0)['instances'][0]['bbox_label'] == 1
