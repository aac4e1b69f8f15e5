"""The foundation's synthetic generators: determinism and the real formats' readers."""
import filecmp
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmext.datasets.synthetic import GENERATORS, generate


def _same_tree(a, b):
    files_a = sorted(osp.relpath(osp.join(d, f), a) for d, _, fs in os.walk(a) for f in fs)
    files_b = sorted(osp.relpath(osp.join(d, f), b) for d, _, fs in os.walk(b) for f in fs)
    assert files_a == files_b
    return all(filecmp.cmp(osp.join(a, f), osp.join(b, f), shallow=False) for f in files_a)


@pytest.mark.parametrize('fmt', ['dota', 'coco', 'seg'])
def test_same_seed_same_bytes_other_seed_other_data(tmp_path, fmt):
    small = dict(num_train=3, num_val=2)
    generate(fmt, str(tmp_path / 'a'), seed=3, **small)
    generate(fmt, str(tmp_path / 'b'), seed=3, **small)
    generate(fmt, str(tmp_path / 'c'), seed=4, **small)
    assert _same_tree(str(tmp_path / 'a'), str(tmp_path / 'b'))
    assert not _same_tree(str(tmp_path / 'a'), str(tmp_path / 'c'))


def test_dota_layout_and_objects(tmp_path):
    generate('dota', str(tmp_path), num_train=12, num_val=1)
    labels = sorted(os.listdir(tmp_path / 'train' / 'labelTxt'))
    assert len(labels) == 12 and labels[0] == 'P0000.txt'
    sizes, empty = [], 0
    for name in labels:
        lines = (tmp_path / 'train' / 'labelTxt' / name).read_text().splitlines()
        assert lines[0].startswith('imagesource:') and lines[1].startswith('gsd:')
        empty += len(lines) == 2
        for line in lines[2:]:
            fields = line.split()
            assert len(fields) == 10 and fields[9] in ('0', '1')
            pts = np.array(fields[:8], float).reshape(4, 2)
            side = np.linalg.norm(pts[1] - pts[0]), np.linalg.norm(pts[2] - pts[1])
            sizes.append(side)
        img = cv2.imread(str(tmp_path / 'train' / 'images' / name.replace('.txt', '.png')))
        assert img.shape == (256, 256, 3)
    sizes = np.array(sizes)
    assert empty == 1  # the 12th image has no objects
    assert sizes.max() > 40 and sizes.min() < 8  # tiny and large objects
    assert (sizes.max(1) / sizes.min(1)).max() > 3.5  # extreme aspect ratios


def test_coco_json_is_consistent(tmp_path):
    generate('coco', str(tmp_path), num_train=4, num_val=3)
    from pycocotools.coco import COCO
    coco = COCO(str(tmp_path / 'annotations' / 'instances_val2017.json'))
    assert len(coco.getImgIds()) == 3
    assert len(coco.getCatIds()) == 4
    img_ids_with_anns = {a['image_id'] for a in coco.dataset['annotations']}
    assert len(img_ids_with_anns) == 2  # one validation image has no objects
    for ann in coco.dataset['annotations']:
        x, y, w, h = ann['bbox']
        poly = np.array(ann['segmentation'][0]).reshape(-1, 2)
        assert np.allclose([x, y, x + w, y + h], [*poly.min(0), *poly.max(0)], atol=0.02)
        mask = coco.annToMask(ann)
        assert abs(mask.sum() - ann['area']) / ann['area'] < 0.15
        img = coco.imgs[ann['image_id']]
        assert osp.isfile(tmp_path / 'val2017' / img['file_name'])


def test_seg_labels_match_images(tmp_path):
    generate('seg', str(tmp_path), num_train=2, num_val=1)
    label = cv2.imread(str(tmp_path / 'annotations' / 'train' / '00000.png'), cv2.IMREAD_UNCHANGED)
    assert label.ndim == 2 and set(np.unique(label)) <= {0, 1, 2, 3, 255}
    assert (label[:2] == 255).all() and (label[2:] < 4).all()


def test_every_generator_has_defaults_and_is_documented():
    import inspect
    for name, fn in GENERATORS.items():
        params = inspect.signature(fn).parameters
        assert list(params)[:2] == ['out_dir', 'seed'], name
        assert fn.__doc__, name
