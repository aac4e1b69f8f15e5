"""Synthetic HRSC2016: the release layout, read by mmrotate's HRSCDataset."""
import filecmp
import math
import os
import os.path as osp
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest

import mmext  # noqa: F401
from mmext.datasets.synthetic import generate


@pytest.fixture(scope='module')
def hrsc_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('hrsc'))
    generate('hrsc', root, seed=0, num_trainval=10, num_test=4)
    return root


def _dataset(root, ann_file, **kwargs):
    from mmengine.registry import init_default_scope
    from mmrotate.registry import DATASETS
    init_default_scope('mmrotate')
    pipeline = [
        dict(type='mmdet.LoadImageFromFile'),
        dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
        dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
        dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape'))
    ]
    return DATASETS.build(
        dict(type='HRSCDataset', data_root=root, ann_file=ann_file,
             data_prefix=dict(sub_data_root='FullDataSet/'), pipeline=pipeline, **kwargs))


def test_layout_and_determinism(hrsc_root, tmp_path):
    assert sorted(os.listdir(hrsc_root)) == ['.done', 'FullDataSet', 'ImageSets']  # .done: generate() finished
    sets = {n: open(osp.join(hrsc_root, 'ImageSets', n + '.txt')).read().split()
            for n in ('train', 'val', 'trainval', 'test')}
    assert len(sets['trainval']) == 10 and len(sets['test']) == 4
    assert sets['train'] + sets['val'] == sets['trainval']
    assert sets['trainval'][0] == '100000001'
    for img_id in sets['trainval'] + sets['test']:
        assert osp.isfile(osp.join(hrsc_root, 'FullDataSet', 'AllImages', img_id + '.bmp'))
        assert osp.isfile(osp.join(hrsc_root, 'FullDataSet', 'Annotations', img_id + '.xml'))
    again = str(tmp_path / 'again')
    generate('hrsc', again, seed=0, num_trainval=10, num_test=4)
    cmp = filecmp.dircmp(osp.join(hrsc_root, 'FullDataSet', 'Annotations'),
                         osp.join(again, 'FullDataSet', 'Annotations'))
    assert not cmp.diff_files and not cmp.left_only
    assert filecmp.cmp(osp.join(hrsc_root, 'FullDataSet', 'AllImages', '100000003.bmp'),
                       osp.join(again, 'FullDataSet', 'AllImages', '100000003.bmp'), shallow=False)


def test_hrsc_dataset_reads_it(hrsc_root):
    ds = _dataset(hrsc_root, 'ImageSets/trainval.txt')
    assert len(ds) == 10 and ds.metainfo['classes'] == ('ship', )
    total = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        root = ET.parse(info['xml_path']).getroot()
        objs = root.findall('HRSC_Objects/HRSC_Object')
        assert len(info['instances']) == len(objs)
        assert info['width'] == 320  # (rc1 reads the height from Img_SizeWidth too)
        for inst, obj in zip(info['instances'], objs):
            cx, cy, w, h, a = [float(obj.find(k).text) for k in
                               ('mbox_cx', 'mbox_cy', 'mbox_w', 'mbox_h', 'mbox_ang')]
            assert w > 2.9 * h and -math.pi / 2 <= a < math.pi / 2
            c, s = math.cos(a), math.sin(a)
            corners = [(cx + dx * c - dy * s, cy + dx * s + dy * c)
                       for dx, dy in ((w / 2, h / 2), (-w / 2, h / 2), (-w / 2, -h / 2),
                                      (w / 2, -h / 2))]
            got = np.array(inst['bbox']).reshape(4, 2)
            assert sorted(map(tuple, np.round(got, 2))) == sorted(
                map(tuple, np.round(np.array(corners), 2)))
            # the bow point lies at one end of the length axis
            hx, hy = inst['head']
            assert abs(abs((hx - cx) * c + (hy - cy) * s) - w / 2) < 1.5
            assert inst['bbox_label'] == 0 and inst['ignore_flag'] == 0
        total += len(objs)
    assert total >= 10
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 256, 320)
    assert sample['data_samples'].gt_instances.bboxes.tensor.shape[1] == 5


def test_ships_are_drawn_where_annotated(hrsc_root):
    ds = _dataset(hrsc_root, 'ImageSets/test.txt', test_mode=True)
    hits = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        img = cv2.imread(info['img_path'])
        for inst in info['instances']:
            cx, cy = np.array(inst['bbox']).reshape(4, 2).mean(0)
            b, g, r = img[int(round(cy)), int(round(cx))].astype(int)
            # deck (206, 206, 200) or superstructure (70, 72, 80), never sea blue
            assert abs(r - g) < 15 and abs(g - b) < 15, (r, g, b)
            hits += 1
    assert hits > 0


def test_classwise_labels(hrsc_root):
    ds = _dataset(hrsc_root, 'ImageSets/trainval.txt', classwise=True)
    labels = {inst['bbox_label'] for i in range(len(ds))
              for inst in ds.get_data_info(i)['instances']}
    assert labels and labels <= {0, 1, 2, 3}
    assert len(ds.metainfo['classes']) == 31


def test_empty_image_has_valid_xml(hrsc_root):
    xml = osp.join(hrsc_root, 'FullDataSet', 'Annotations', '100000010.xml')
    root = ET.parse(xml).getroot()
    assert root.find('HRSC_Objects') is not None
    assert root.findall('HRSC_Objects/HRSC_Object') == []
    ds = _dataset(hrsc_root, 'ImageSets/trainval.txt', filter_cfg=dict(filter_empty_gt=True))
    assert len(ds) == 9
