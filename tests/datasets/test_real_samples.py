"""mmrotate's DOTADataset and DIORDataset read the real release files in tests/data/real_samples."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

import mmext  # noqa: F401

REAL = os.environ.get('MMEXT_REAL_SAMPLES',
                      osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data',
                               'real_samples'))


def _build(cfg):
    from mmengine.registry import init_default_scope
    from mmrotate.registry import DATASETS
    init_default_scope('mmrotate')
    return DATASETS.build(cfg)


PIPELINE = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape'))
]


def test_dota_dataset_reads_the_real_patch():
    ds = _build(
        dict(type='DOTADataset', data_root=osp.join(REAL, 'dota'), ann_file='labelTxt/',
             data_prefix=dict(img_path='images/'), pipeline=PIPELINE))
    assert len(ds) == 1
    info = ds.get_data_info(0)
    assert info['img_id'] == 'P2805__1024__0___0'
    assert len(info['instances']) == 4
    plane = ds.metainfo['classes'].index('plane')
    assert {inst['bbox_label'] for inst in info['instances']} == {plane}
    assert info['instances'][0]['bbox'] == [359.0, 663.0, 369.0, 497.0, 543.0, 509.0, 531.0, 677.0]
    assert all(inst['ignore_flag'] == 0 for inst in info['instances'])
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 170, 170)  # the stored thumbnail
    rboxes = sample['data_samples'].gt_instances.bboxes.tensor
    assert rboxes.shape == (4, 5)
    # the first plane's quadrilateral becomes its minimum-area enclosing rectangle
    (cx, cy), (w, h), _ = cv2.minAreaRect(
        np.array(info['instances'][0]['bbox'], np.float32).reshape(4, 2))
    assert np.allclose(rboxes[0, :2].numpy(), [cx, cy], atol=1e-3)
    assert sorted(rboxes[0, 2:4].tolist()) == pytest.approx(sorted([w, h]), abs=1e-3)
    assert 160 < min(w, h) < max(w, h) < 180


def test_dior_dataset_reads_the_real_xml():
    ds = _build(
        dict(type='DIORDataset', data_root=osp.join(REAL, 'dior'), ann_file='demo.txt',
             data_prefix=dict(img_path='JPEGImages/'), pipeline=PIPELINE))
    assert len(ds) == 1
    info = ds.get_data_info(0)
    assert (info['width'], info['height']) == (800, 800)
    assert len(info['instances']) == 1
    inst = info['instances'][0]
    assert inst['bbox_label'] == ds.metainfo['classes'].index('golffield')
    assert list(inst['bbox']) == [133.0, 237.0, 684.0, 237.0, 684.0, 672.0, 133.0, 672.0]
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 800, 800)
    rbox = sample['data_samples'].gt_instances.bboxes.tensor[0]
    assert np.allclose(rbox[:2].numpy(), [408.5, 454.5])
    assert sorted(rbox[2:4].tolist()) == pytest.approx([435.0, 551.0])
