"""Bad input gets an error that names the file and what is wrong (or, for no objects, works)."""
import os
import os.path as osp
import shutil

import pytest

from mmext import apis
from mmext.testing import synthetic_root

RETINA = 'configs/baselines/rotated-retinanet-rbox-le90_r18_fpn_synthetic-dota.py'


def _dota_copy(tmp_path):
    root = tmp_path / 'dota'
    shutil.copytree(synthetic_root('dota', num_train=4, num_val=2), root)
    return root


def _options(root):
    opts = {}
    for loader, split in (('train_dataloader', 'train'), ('val_dataloader', 'val'),
                          ('test_dataloader', 'val')):
        opts[f'{loader}.dataset.data_root'] = str(root) + '/'
        opts[f'{loader}.dataset.ann_file'] = f'{split}/labelTxt/'
        opts[f'{loader}.dataset.data_prefix.img_path'] = f'{split}/images/'
    return opts


def test_wrong_config_path_suggests_the_right_one():
    with pytest.raises(FileNotFoundError) as err:
        apis.load_config(RETINA.replace('r18', 'r81'))
    assert 'config file not found' in str(err.value) and RETINA in str(err.value)


def test_config_typo_in_cfg_options_field_names_the_field():
    cfg = apis.load_config(RETINA, {'train_dataloader.dataset.data_root': 'no/such/dir/'})
    with pytest.raises(FileNotFoundError) as err:
        apis.setup_train_cfg(cfg, RETINA)
    msg = str(err.value)
    assert 'train_dataloader.dataset.data_root' in msg and 'no/such/dir/' in msg


def test_missing_annotation_folder_names_the_field(tmp_path):
    root = _dota_copy(tmp_path)
    shutil.rmtree(root / 'val' / 'labelTxt')
    cfg = apis.load_config(RETINA, _options(root))
    with pytest.raises(FileNotFoundError) as err:
        apis.setup_train_cfg(cfg, RETINA)
    assert 'val_dataloader.dataset.ann_file' in str(err.value)


def _build_dataset(root, split='train'):
    from mmrotate.registry import DATASETS
    cfg = apis.load_config(RETINA, _options(root))
    ds_cfg = cfg.train_dataloader.dataset if split == 'train' else cfg.val_dataloader.dataset
    return DATASETS.build(ds_cfg)


def test_malformed_annotation_line_names_file_and_line(tmp_path):
    root = _dota_copy(tmp_path)
    bad = root / 'train' / 'labelTxt' / 'P0001.txt'
    lines = bad.read_text().splitlines()
    lines[3] = '1 2 3 4 5 6 7 plane 0'  # one coordinate missing
    bad.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError) as err:
        _build_dataset(root)
    assert f'{bad}:4' in str(err.value) and 'numbers' in str(err.value)


def test_unknown_class_names_file_and_class(tmp_path):
    root = _dota_copy(tmp_path)
    bad = root / 'train' / 'labelTxt' / 'P0002.txt'
    bad.write_text(bad.read_text() + '1 1 9 1 9 9 1 9 spaceship 0\n')
    with pytest.raises(ValueError) as err:
        _build_dataset(root)
    assert 'P0002.txt' in str(err.value) and "'spaceship'" in str(err.value)


def test_missing_and_corrupt_image_name_the_file(tmp_path):
    root = _dota_copy(tmp_path)
    os.remove(root / 'train' / 'images' / 'P0000.png')
    (root / 'train' / 'images' / 'P0001.png').write_bytes(b'not a png at all')
    ds = _build_dataset(root)
    by_id = {ds.get_data_info(i)['img_id']: i for i in range(len(ds))}
    with pytest.raises(Exception) as err:
        ds[by_id['P0000']]
    assert 'P0000.png' in str(err.value)
    with pytest.raises(Exception) as err:
        ds[by_id['P0001']]
    assert 'P0001.png' in str(err.value)


def test_image_without_objects_is_handled(tmp_path):
    root = _dota_copy(tmp_path)
    empty = root / 'val' / 'labelTxt' / 'P0000.txt'
    empty.write_text('imagesource:GoogleEarth\ngsd:0.5\n')
    ds = _build_dataset(root, 'val')
    idx = [ds.get_data_info(i)['img_id'] for i in range(len(ds))].index('P0000')
    sample = ds[idx]
    assert len(sample['data_samples'].gt_instances) == 0
    # training filters it out (filter_empty_gt), evaluation keeps it
    train = _build_dataset(root, 'train')
    (root / 'train' / 'labelTxt' / 'P0003.txt').write_text('')
    assert len(_build_dataset(root, 'train')) == len(train) - 1
