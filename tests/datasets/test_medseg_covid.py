"""The synthetic MedSeg generator, MedSegCOVIDDataset and the LR/HR pair transforms."""
import copy
import hashlib
import os
import os.path as osp

import mmcv
import nibabel as nib
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS, TRANSFORMS

import mmext  # noqa: F401
from mmext.datasets.synthetic import generate
from mmext.testing import synthetic_root


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build with mmseg's registries, and leave the default scope as it was afterwards."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield
SMALL = dict(size=32, num_slices=6, num_volumes=3, volume_size=40, min_slices=2, max_slices=3)


def digest(folder):
    h = hashlib.sha1()
    for root, _, files in sorted(os.walk(folder)):
        for name in sorted(files):
            h.update(name.encode())
            with open(osp.join(root, name), 'rb') as f:
                h.update(f.read())
    return h.hexdigest()


def test_generator_is_deterministic_and_in_medseg_layout(tmp_path):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    generate('medseg', a, seed=3, **SMALL)
    generate('medseg', b, seed=3, **SMALL)
    assert digest(a) == digest(b)
    im = nib.load(osp.join(a, 'COVID-19_1', 'tr_im.nii.gz')).get_fdata()
    mask = nib.load(osp.join(a, 'COVID-19_1', 'tr_mask.nii.gz')).get_fdata()
    assert im.shape == mask.shape == (32, 32, 6)
    assert set(np.unique(mask)) <= {0, 1, 2, 3} and (mask > 0).any()
    # HU-like: air, lung and soft tissue are all there; lesions are denser than lung
    assert im.min() < -900 and im.max() > 100
    lung_like = (im < -700) & (mask == 0)
    assert im[mask == 1].mean() > im[lung_like].mean() + 200
    rp = sorted(os.listdir(osp.join(a, 'COVID-19_2', 'rp_im')))
    assert rp == ['1.nii.gz', '2.nii.gz', '3.nii.gz']
    assert sorted(os.listdir(osp.join(a, 'COVID-19_2', 'rp_msk'))) == rp
    assert nib.load(osp.join(a, 'COVID-19_2', 'rp_im', '1.nii.gz')).shape[:2] == (40, 40)
    # converted slices: 70/30 split for COVID-19_1, 32 (HR) / 16 (LR)
    conv = osp.join(a, 'medseg_covid19_1')
    assert len(os.listdir(osp.join(conv, 'images', 'train'))) == 4
    assert len(os.listdir(osp.join(conv, 'images_lr', 'test'))) == 2
    lr = mmcv.imread(osp.join(conv, 'images_lr', 'train', 'covid19_1_000.png'), 'unchanged')
    assert lr.shape == (16, 16)
    hr = mmcv.imread(osp.join(a, 'medseg_covid19_2', 'images', 'test', '3_000.png'), 'unchanged')
    assert hr.shape == (32, 32)  # resized from 40


@pytest.fixture(scope='module')
def root():
    return osp.join(synthetic_root('medseg', **SMALL), 'medseg_covid19_1')


def dataset_cfg(root, pipeline=(), split='train'):
    return dict(type='MedSegCOVIDDataset', data_root=root,
                data_prefix=dict(img_path=f'images/{split}', lr_img_path=f'images_lr/{split}',
                                 seg_map_path=f'annotations/{split}'),
                pipeline=list(pipeline))


def test_dataset_and_pair_loading(root):
    ds = DATASETS.build(dataset_cfg(root, [
        dict(type='LoadSRPairFromFile'), dict(type='LoadAnnotations'),
        dict(type='PackSRSegInputs')]))
    assert len(ds) == 4
    info = ds.get_data_info(0)
    assert info['lr_img_path'].endswith(osp.join('images_lr', 'train', 'covid19_1_000.png'))
    sample = ds[0]
    assert sample['inputs'].shape == (1, 16, 16)
    data_sample = sample['data_samples']
    assert data_sample.gt_sem_seg.shape == (32, 32)
    assert data_sample.gt_sr_img.data.shape == (1, 32, 32)
    assert data_sample.ori_shape == (32, 32) and data_sample.img_shape == (16, 16)
    assert ds.metainfo['classes'][3] == 'pleural effusion'


def test_dataset_errors_name_the_files(root):
    with pytest.raises(FileNotFoundError, match='images/nope'):
        DATASETS.build(dataset_cfg(root, split='nope'))
    cfg = dataset_cfg(root)
    cfg['data_prefix']['lr_img_path'] = 'images_lr/test'  # holds other slices
    with pytest.raises(FileNotFoundError, match='lr_img_path'):
        DATASETS.build(cfg)
    cfg['data_prefix'].pop('lr_img_path')
    with pytest.raises(KeyError, match='lr_img_path'):
        DATASETS.build(cfg)


def test_load_pair_errors(root, tmp_path):
    load = TRANSFORMS.build(dict(type='LoadSRPairFromFile', scale=4))
    info = dict(img_path=osp.join(root, 'images', 'train', 'covid19_1_000.png'),
                lr_img_path=osp.join(root, 'images_lr', 'train', 'covid19_1_000.png'))
    with pytest.raises(ValueError, match='scale=4'):
        load(dict(info))
    bad = str(tmp_path / 'bad.png')
    with open(bad, 'wb') as f:
        f.write(b'not a png')
    load = TRANSFORMS.build(dict(type='LoadSRPairFromFile'))
    with pytest.raises(ValueError, match='bad.png'):
        load(dict(info, lr_img_path=bad))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        load(dict(info, img_path=str(tmp_path / 'missing.png')))


def pair(h=8, seed=0):
    """An LR image that is the 2x2 block mean of its HR image, and an HR label map."""
    rng = np.random.default_rng(seed)
    hr = rng.integers(0, 256, size=(2 * h, 2 * h)).astype(np.float32)
    lr = hr.reshape(h, 2, h, 2).mean(axis=(1, 3))
    label = (rng.random((2 * h, 2 * h)) > 0.7).astype(np.uint8)
    return dict(img=lr, hr_img=hr, gt_seg_map=label, seg_fields=['gt_seg_map'])


def test_paired_rotate_keeps_lr_hr_and_labels_aligned():
    results = pair()
    ref = copy.deepcopy(results)
    out = TRANSFORMS.build(dict(type='PairedRotate', angle=90))(results)
    # 90 degrees clockwise about the centre is an exact pixel permutation at both sizes
    np.testing.assert_allclose(out['img'], np.rot90(ref['img'], k=-1), atol=1e-3)
    np.testing.assert_allclose(out['hr_img'], np.rot90(ref['hr_img'], k=-1), atol=1e-3)
    np.testing.assert_array_equal(out['gt_seg_map'], np.rot90(ref['gt_seg_map'], k=-1))
    np.testing.assert_allclose(out['img'], out['hr_img'].reshape(8, 2, 8, 2).mean(axis=(1, 3)),
                               atol=1e-3)
    # 45 degrees: corners filled with the border values
    out = TRANSFORMS.build(dict(type='PairedRotate', angle=45, img_border_value=0,
                                seg_border_value=0))(pair())
    assert out['img'][0, 0] == 0 and out['hr_img'][0, 0] == 0 and out['gt_seg_map'][0, 0] == 0


@pytest.mark.parametrize('scale', [0.5, 0.75, 1.5])
def test_paired_rescale_keeps_canvas_and_alignment(scale):
    h = 8
    results = dict(img=np.zeros((h, h), np.float32), hr_img=np.zeros((2 * h, 2 * h), np.float32),
                   gt_seg_map=np.zeros((2 * h, 2 * h), np.uint8), seg_fields=['gt_seg_map'])
    # a bright square in the same place at both resolutions
    results['img'][2:6, 2:6] = 200
    results['hr_img'][4:12, 4:12] = 200
    results['gt_seg_map'][4:12, 4:12] = 1
    out = TRANSFORMS.build(dict(type='PairedRescale', scale=scale))(results)
    assert out['img'].shape == (h, h) and out['hr_img'].shape == out['gt_seg_map'].shape == (16, 16)

    def box(a, thr):
        ys, xs = np.nonzero(a > thr)
        return ys.min(), ys.max() + 1, xs.min(), xs.max() + 1

    lr_box = np.array(box(out['img'], 100))
    hr_box = np.array(box(out['hr_img'], 100))
    assert np.abs(np.array(box(out['gt_seg_map'], 0)) - hr_box).max() <= 1
    assert np.abs(hr_box - 2 * lr_box).max() <= 1
    side = hr_box[1] - hr_box[0]
    assert abs(side - 8 * scale) <= 1  # zoomed about the centre


def test_config_augmentation_pipeline_runs(root):
    from mmengine.config import Config
    cfg = Config.fromfile('configs/cogseg/_base_/datasets/medseg_covid19_1.py')
    choice = cfg.train_pipeline[2]
    assert choice.type == 'RandomChoice' and len(choice.transforms) == 11
    ds = DATASETS.build(dataset_cfg(root, cfg.train_pipeline))
    np.random.seed(0)
    for i in range(12):
        sample = ds[i % len(ds)]
        assert sample['inputs'].shape == (1, 16, 16)
        assert sample['data_samples'].gt_sem_seg.shape == (32, 32)
        assert sample['data_samples'].gt_sr_img.shape == (32, 32)
