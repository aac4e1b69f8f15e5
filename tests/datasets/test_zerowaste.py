"""ZeroWasteDataset and the synthetic 'zerowaste' and 'imagenet' generators."""
import filecmp
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

import mmext  # noqa: F401
from mmext.datasets import ZeroWasteDataset
from mmext.datasets.synthetic import generate

CLASSES = ('background', 'rigid_plastic', 'cardboard', 'metal', 'soft_plastic')


@pytest.fixture(scope='module')
def zw_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('zerowaste'))
    generate('zerowaste', root, seed=0, num_train=4, num_val=2, num_test=2)
    return root


def _split(root, split):
    return osp.join(root, 'splits_final_deblurred', split)


def test_generator_writes_the_released_layout(zw_root):
    for split, count in (('train', 4), ('val', 2), ('test', 2)):
        data = sorted(os.listdir(osp.join(_split(zw_root, split), 'data')))
        labels = sorted(os.listdir(osp.join(_split(zw_root, split), 'sem_seg')))
        assert len(data) == count and data == labels
        assert all(name.endswith('.PNG') for name in data)
    label = cv2.imread(osp.join(_split(zw_root, 'test'), 'sem_seg', data[0]),
                       cv2.IMREAD_UNCHANGED)
    img = cv2.imread(osp.join(_split(zw_root, 'test'), 'data', data[0]), cv2.IMREAD_UNCHANGED)
    assert label.ndim == 2 and label.dtype == np.uint8 and label.shape == img.shape[:2]
    assert set(np.unique(label)) <= set(range(5)) and len(np.unique(label)) > 1


def test_generator_is_deterministic(tmp_path, zw_root):
    again = str(tmp_path / 'again')
    generate('zerowaste', again, seed=0, num_train=4, num_val=2, num_test=2)
    cmp = filecmp.dircmp(_split(zw_root, 'train'), _split(again, 'train'))
    for sub in ('data', 'sem_seg'):
        names = os.listdir(osp.join(_split(zw_root, 'train'), sub))
        match, mismatch, errors = filecmp.cmpfiles(
            osp.join(_split(zw_root, 'train'), sub), osp.join(_split(again, 'train'), sub),
            names, shallow=False)
        assert len(match) == len(names) and not mismatch and not errors, cmp.report()
    other = str(tmp_path / 'other')
    generate('zerowaste', other, seed=1, num_train=1, num_val=0, num_test=0)
    name = sorted(os.listdir(osp.join(_split(other, 'train'), 'data')))[0]
    assert not filecmp.cmp(osp.join(_split(other, 'train'), 'data', name),
                           osp.join(_split(zw_root, 'train'), 'data', name), shallow=False)


def _build(root, split='train', **kwargs):
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(dict(
            type='ZeroWasteDataset', data_root=root,
            data_prefix=dict(img_path=f'splits_final_deblurred/{split}/data',
                             seg_map_path=f'splits_final_deblurred/{split}/sem_seg'),
            pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                      dict(type='PackSegInputs')], **kwargs))


def test_dataset_reads_the_layout(zw_root):
    ds = _build(zw_root, 'train')
    assert isinstance(ds, ZeroWasteDataset)
    assert len(ds) == 4 and ds.metainfo['classes'] == CLASSES
    assert len(ds.metainfo['palette']) == 5
    sample = ds[0]
    labels = sample['data_samples'].gt_sem_seg.data
    assert sample['inputs'].shape[1:] == labels.shape[1:]
    assert set(labels.unique().tolist()) <= set(range(5))  # background kept as class 0
    assert ds.get_data_info(0)['seg_map_path'].endswith('.PNG')


def test_missing_label_map_names_the_frame(tmp_path, zw_root):
    root = str(tmp_path / 'zw')
    shutil.copytree(zw_root, root)
    sem = osp.join(_split(root, 'val'), 'sem_seg')
    victim = sorted(os.listdir(sem))[0]
    os.remove(osp.join(sem, victim))
    with pytest.raises(FileNotFoundError, match=victim.replace('.', r'\.')):
        _build(root, 'val')


def test_wrong_suffix_and_missing_folder_are_explained(tmp_path, zw_root):
    root = str(tmp_path / 'lower')
    shutil.copytree(zw_root, root)
    for sub in ('data', 'sem_seg'):
        folder = osp.join(_split(root, 'test'), sub)
        for name in os.listdir(folder):
            os.rename(osp.join(folder, name), osp.join(folder, name[:-4] + '.png'))
    with pytest.raises(FileNotFoundError, match=r"no \*\.PNG images.*\['\.png'\]"):
        _build(root, 'test')
    assert len(_build(root, 'test', img_suffix='.png', seg_map_suffix='.png')) == 2
    with pytest.raises(FileNotFoundError, match='does not exist'):
        _build(str(tmp_path / 'nowhere'), 'train')


def test_synthetic_imagenet_reads_with_mmpretrain(tmp_path):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS
    root = str(tmp_path / 'imagenet')
    generate('imagenet', root, seed=0, num_classes=3, num_train_per_class=2, num_val_per_class=2)
    assert sorted(os.listdir(osp.join(root, 'train'))) == ['n01440764', 'n01443537', 'n01484850']
    assert osp.isfile(osp.join(root, 'val', 'ILSVRC2012_val_00000001.JPEG'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        train = DATASETS.build(dict(type='ImageNet', data_root=root, split='train', pipeline=[]))
        val = DATASETS.build(dict(type='ImageNet', data_root=root, split='val', pipeline=[]))
    assert len(train) == 6 and len(val) == 6
    assert sorted(train.get_gt_labels().tolist()) == [0, 0, 1, 1, 2, 2]
    assert train.metainfo['classes'][0].startswith('tench')  # real ImageNet class indices
    again = str(tmp_path / 'again')
    generate('imagenet', again, seed=0, num_classes=3, num_train_per_class=2, num_val_per_class=2)
    assert filecmp.cmp(osp.join(root, 'meta', 'val.txt'), osp.join(again, 'meta', 'val.txt'),
                       shallow=False)
    assert filecmp.cmp(osp.join(root, 'val', 'ILSVRC2012_val_00000003.JPEG'),
                       osp.join(again, 'val', 'ILSVRC2012_val_00000003.JPEG'), shallow=False)


def _write_real_layout(root, split, count):
    """A tiny set in the released layout, written by hand (no synthetic-set marker)."""
    for sub in ('data', 'sem_seg'):
        folder = osp.join(_split(root, split), sub)
        os.makedirs(folder, exist_ok=True)
        for i in range(count):
            img = np.full((4, 6, 3) if sub == 'data' else (4, 6), i % 5, np.uint8)
            cv2.imwrite(osp.join(folder, f'{i:02d}.PNG'), img)
    return root


@pytest.fixture
def warnings_logged(monkeypatch):
    import logging

    import mmext.datasets.zerowaste as zw
    logged = []

    def record(msg, logger=None, level=logging.INFO):
        if level >= logging.WARNING:
            logged.append(msg)

    monkeypatch.setattr(zw, 'print_log', record)
    return logged


def test_split_size_differing_from_the_paper_is_reported(tmp_path, warnings_logged):
    root = _write_real_layout(str(tmp_path / 'zerowaste-f'), 'train', 3)
    assert len(_build(root, 'train')) == 3  # loading goes on
    assert len(warnings_logged) == 1
    msg = warnings_logged[0]
    assert 'the train split' in msg and osp.join(_split(root, 'train'), 'data') in msg
    assert 'has 3 frames' in msg and 'ZeroWaste-f has 3002' in msg
    assert 'train 3002 / val 572 / test 929' in msg
    _write_real_layout(root, 'val', 2)
    _build(root, 'val')
    assert 'the val split' in warnings_logged[1] and 'has 572' in warnings_logged[1]


def test_split_size_not_checked_for_synthetic_sets_or_when_it_matches(
        tmp_path, monkeypatch, zw_root, warnings_logged):
    import mmext.datasets.zerowaste as zw
    synthetic = _write_real_layout(str(tmp_path / 'data' / 'synthetic' / 'zerowaste'), 'test', 2)
    assert len(_build(synthetic, 'test')) == 2
    assert len(_build(zw_root, 'train')) == 4  # written by generate(): has the .done marker
    assert warnings_logged == []
    root = _write_real_layout(str(tmp_path / 'zerowaste-f'), 'test', 2)
    monkeypatch.setattr(zw, 'ZEROWASTE_F_SPLIT_SIZES', dict(train=3002, val=572, test=2))
    assert len(_build(root, 'test')) == 2
    assert warnings_logged == []
    monkeypatch.setattr(zw, 'ZEROWASTE_F_SPLIT_SIZES', dict(train=3002, val=572, test=929))
    _build(root, 'test')
    assert len(warnings_logged) == 1 and 'has 2 frames' in warnings_logged[0]
