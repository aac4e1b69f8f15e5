"""Options of the synthetic YOLO generators: 16:9 and portrait frames, boxes below the smallest
stride, zero-area labels, empty images, crowded scenes; read back through the dataset."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

import mmext  # noqa: F401
from mmext.datasets import RoadAssetDataset, RoadAssetInsSegDataset
from mmext.datasets.synthetic import generate


def labels(root, split):
    out = {}
    folder = osp.join(root, 'labels', split)
    for name in sorted(os.listdir(folder)):
        with open(osp.join(folder, name)) as f:
            out[name[:-4]] = [list(map(float, line.split())) for line in f.read().splitlines()]
    return out


@pytest.mark.parametrize('fmt', ['yolo', 'yolo_seg'])
@pytest.mark.parametrize('size', [(192, 108), (108, 192)], ids=['16:9', 'portrait'])
def test_options(tmp_path, fmt, size):
    root = str(tmp_path / 'd')
    generate(fmt, root, seed=1, num_train=4, num_val=3, img_size=size, tiny_objects=3,
             zero_area_objects=1, empty_images=1)
    img = cv2.imread(osp.join(root, 'images', 'train', 'train_0001.jpg'))
    assert img.shape[:2] == (size[1], size[0])
    train = labels(root, 'train')
    assert 'train_0000' not in train  # empty: no label file
    assert not osp.exists(osp.join(root, 'labels', 'val', 'val_0002.txt'))  # background image
    tiny = zero = 0
    w, h = size
    for rows in train.values():
        for row in rows:
            xy = np.array(row[1:])
            if fmt == 'yolo':
                bw, bh = xy[2] * w, xy[3] * h
            else:
                pts = xy.reshape(-1, 2) * [w, h]
                bw, bh = np.ptp(pts, axis=0)
                area = 0.5 * abs(np.dot(pts[:, 0], np.roll(pts[:, 1], 1)) -
                                 np.dot(pts[:, 1], np.roll(pts[:, 0], 1)))
                bw = bw if area > 1e-6 else 0.0
            zero += bw == 0
            tiny += 0 < bw < 8 and bh < 8
    assert zero == 3 and tiny >= 6  # 3 images with objects: one zero-area label and 3 tiny each
    cls = RoadAssetDataset if fmt == 'yolo' else RoadAssetInsSegDataset
    common = dict(data_root=root, ann_file='labels/train/', data_prefix=dict(img='images/train/'),
                  pipeline=[])
    with pytest.raises(ValueError, match='degenerate'):
        cls(**common)
    with pytest.warns(UserWarning, match='skipped 3 zero-area objects'):
        ds = cls(degenerate_labels='skip', **common)
    assert ds.get_data_info(0)['instances'] == [] and ds.get_data_info(1)['height'] == size[1]


def test_crowded_scene(tmp_path):
    root = str(tmp_path / 'c')
    generate('yolo', root, seed=0, num_train=1, num_val=1, img_size=(320, 180), min_objects=150,
             max_objects=300, object_area=(1e-4, 5e-4))
    rows = labels(root, 'train')['train_0000']
    sides = np.array([[r[3] * 320, r[4] * 180] for r in rows])
    assert len(rows) >= 150 and sides.max() < 12
