"""The synthetic MedSeg generator, MedSegCOVIDDataset and the LR/HR pair transforms."""
import copy
import hashlib
import os
import os.path as osp

import mmcv
import nibabel as nib
import numpy as np
import pytest
import torch
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


def test_phantom_lesions_differ_from_the_chest_wall_as_in_ct():
    """Consolidation and effusion are about as dense as muscle (as in CT); what the phantom gives
    to tell them apart: air bronchograms in consolidations, fluid 40 HU below muscle, and the
    extrapleural fat plane around each lung."""
    from mmext.datasets.synthetic.medseg import LUNG_CENTRES, LUNG_RADII, phantom_slice
    rng = np.random.default_rng(0)
    hu, label = [], []
    for _ in range(12):
        h, lab = phantom_slice(rng, 256, lesion_probs=(1.0, 1.0, 1.0), empty_prob=0.0)
        hu.append(h)
        label.append(lab)
    hu, label = np.stack(hu), np.stack(label)
    yy, xx = np.meshgrid(np.linspace(-1, 1, 256), np.linspace(-1, 1, 256), indexing='ij')
    r2 = [((xx - cx) / LUNG_RADII[0])**2 + ((yy - cy) / LUNG_RADII[1])**2 for cx, cy in LUNG_CENTRES]
    ring = ((r2[0] > 1.02**2) & (r2[0] < 1.06**2)) | ((r2[1] > 1.02**2) & (r2[1] < 1.06**2))
    body = (xx / 0.80)**2 + (yy / 0.62)**2 <= 1
    muscle = body & (np.minimum(r2[0], r2[1]) > 1.3**2) & (np.abs(xx) > 0.15)
    assert abs(np.median(hu[:, muscle]) - 50) < 5  # median: ribs lie in the chest wall too
    assert abs(hu[label == 3].mean() - 10) < 5
    assert abs(np.median(hu[:, ring]) + 100) < 10  # the fat plane outlines both lungs
    cons = hu[label == 2]
    assert 0.1 < (cons < -600).mean() < 0.4  # air bronchograms cross every consolidation
    assert abs(np.median(cons[cons > -600]) - 35) < 5


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
    cfg['data_prefix'].pop('lr_img_path')  # optional: DeriveLRInput makes the input
    assert 'lr_img_path' not in DATASETS.build(cfg).get_data_info(0)
    cfg['data_prefix']['lung_mask_path'] = 'annotations/test'  # holds other slices
    with pytest.raises(FileNotFoundError, match='lung_mask_path'):
        DATASETS.build(cfg)
    cfg['data_prefix']['lung_mask_path'] = 'no_lung_masks'  # no folder: no lung metrics
    assert 'lung_mask_path' not in DATASETS.build(cfg).get_data_info(0)


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
    # without augmentation the derived input is the converter's images_lr/ PNG, bit for bit
    ds = DATASETS.build(dataset_cfg(root, cfg.test_pipeline, split='test'))
    sample = ds[0]
    lr_png = mmcv.imread(ds.get_data_info(0)['img_path'].replace('/images/', '/images_lr/'),
                         'unchanged')
    np.testing.assert_array_equal(sample['inputs'][0].numpy(), lr_png)


def hr_slice(root, name='covid19_1_000.png'):
    hr = mmcv.imread(osp.join(root, 'images', 'train', name), 'unchanged')
    lab = mmcv.imread(osp.join(root, 'annotations', 'train', name), 'unchanged')
    lr = mmcv.imread(osp.join(root, 'images_lr', 'train', name), 'unchanged')
    return hr, lab, lr


def box_mean(a):
    a = a.astype(np.float64)
    return a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2).mean(axis=(1, 3))


def test_lr_input_is_the_downsampled_augmented_hr(root):
    """Each of the paper's 11 augmentations on the HR slice and its label, then DeriveLRInput:
    the input equals PIL's bicubic down-sample of the augmented HR exactly, and its 2x2 block mean
    within interpolation error (bicubic vs box, as large as on the unaugmented slice). The old
    way (input and target transformed separately) does not: at 45 degrees and at scale 1.5 its
    input is grey levels away from the down-sampled target."""
    from mmext.datasets.transforms.derive_lr_input import pil_downsample
    from mmengine.config import Config
    cfg = Config.fromfile('configs/cogseg/_base_/datasets/medseg_covid19_1.py')
    hr, lab, lr = hr_slice(root)
    base_err = np.abs(lr - box_mean(hr)).mean()  # interpolation error of the converter itself
    derive = TRANSFORMS.build(dict(type='DeriveLRInput', scale=2))
    for (op, ) in cfg.train_pipeline[2].transforms[1:]:
        aug = TRANSFORMS.build(op)(dict(img=hr.copy(), gt_seg_map=lab.copy(),
                                        seg_fields=['gt_seg_map']))
        out = derive(aug)
        assert out['img'].shape == (16, 16) and out['hr_img'].shape == (32, 32)
        assert out['img_shape'] == (16, 16) and out['ori_shape'] == (32, 32)
        np.testing.assert_array_equal(out['img'], pil_downsample(out['hr_img'], (16, 16)))
        assert np.abs(out['img'] - box_mean(out['hr_img'])).mean() <= base_err + 1.5, op
    for op in (dict(type='PairedRotate', angle=45), dict(type='PairedRescale', scale=1.5)):
        old = TRANSFORMS.build(op)(dict(img=lr.copy(), hr_img=hr.copy(), gt_seg_map=lab.copy(),
                                        seg_fields=['gt_seg_map']))
        err = np.abs(old['img'].astype(float) - pil_downsample(old['hr_img'], (16, 16)))
        assert err.max() >= 10, (op, err.max())


def test_rotation_and_scaling_fill_with_air(root):
    """The fill is the windowed value of air (-1000 HU -> 60 in [-1350, 150]), not 0."""
    from mmext.datasets.converters.medseg_covid import air_value
    from mmengine.config import Config
    cfg = Config.fromfile('configs/cogseg/_base_/datasets/medseg_covid19_1.py')
    assert cfg.air == air_value() == 60
    hr, lab, _ = hr_slice(root)
    for (op, ) in cfg.train_pipeline[2].transforms[1:]:
        if op.get('angle') == 45 or op.get('scale') == 0.5:
            out = TRANSFORMS.build(op)(dict(img=hr.copy(), gt_seg_map=lab.copy(),
                                            seg_fields=['gt_seg_map']))
            assert out['img'][0, 0] == 60 and out['gt_seg_map'][0, 0] == 0, op
    # the synthetic slices have air (-1000 HU) in their corners: the fill matches them
    assert abs(int(np.median(hr[:2, :2])) - 60) <= 3


def test_derive_lr_input_subsampled_labels_and_errors():
    hr = np.arange(64, dtype=np.uint8).reshape(8, 8)
    lab = (np.arange(64).reshape(8, 8) % 4).astype(np.uint8)
    out = TRANSFORMS.build(dict(type='DeriveLRInput', resize_seg=True))(
        dict(img=hr, gt_seg_map=lab, seg_fields=['gt_seg_map']))
    assert out['gt_seg_map'].shape == (4, 4) and set(np.unique(out['gt_seg_map'])) <= {0, 1, 2, 3}
    assert out['ori_shape'] == (8, 8)  # predictions are rescaled to the HR label map at test
    with pytest.raises(ValueError, match='divisible'):
        TRANSFORMS.build(dict(type='DeriveLRInput'))(dict(img=np.zeros((7, 8), np.uint8),
                                                          img_path='odd.png'))


def test_lung_masks_window_hu_and_raw_slice_inference(root, tmp_path):
    """The test pipeline packs the lung mask; mmseg's inference_model runs a CogSeg config on a
    raw CT slice in HU (WindowHU + DeriveLRInput) and gives the prediction of the windowed PNG."""
    from mmengine.config import Config
    from mmseg.apis import inference_model, init_model
    cfg = Config.fromfile('configs/cogseg/_base_/datasets/medseg_covid19_1.py')
    dcfg = dataset_cfg(root, cfg.test_pipeline, split='test')
    dcfg['data_prefix']['lung_mask_path'] = 'lung_masks/test'
    ds = DATASETS.build(dcfg)
    sample = ds[0]
    lung = sample['data_samples'].gt_lung_mask.data
    assert lung.shape == (1, 32, 32) and set(lung.unique().tolist()) == {0, 1}
    # lesions lie inside the synthetic lungs
    assert (sample['data_samples'].gt_sem_seg.data[lung == 0] == 0).all()
    with pytest.raises(ValueError, match='Hounsfield'):
        TRANSFORMS.build(dict(type='WindowHU'))(dict(img=np.full((4, 4), 0.5, np.float32)))

    model_cfg = Config.fromfile(
        'configs/cogseg/demo/cogseg_unet-s5-b8_1xb4-20e_synthetic-medseg-covid19-1.py')
    model_cfg.model.backbone.norm_cfg = model_cfg.model.decode_head.norm_cfg = dict(type='BN')
    model_cfg.model.sr_head.norm_cfg = dict(type='BN')
    model = init_model(model_cfg, checkpoint=None, device='cpu')
    vol = nib.load(osp.join(osp.dirname(root), 'COVID-19_1', 'tr_im.nii.gz')).get_fdata()
    k = 4  # the first test slice (slices 4-5 of 6)
    hu = np.ascontiguousarray(np.rot90(vol[:, :, k])).astype(np.float32)
    # (mmseg's inference_model turns the first test transform into LoadImageFromNDArray for an
    # array, in place: the file first)
    from_png = inference_model(model, osp.join(root, 'images', 'test', 'covid19_1_004.png'))
    from_hu = inference_model(model, hu)
    assert from_hu.pred_sem_seg.shape == (32, 32)  # the HR label-map size, from a 16x16 input
    torch.testing.assert_close(from_hu.seg_logits.data, from_png.seg_logits.data)


def test_non_square_synthetic_slices(tmp_path):
    out = str(tmp_path / 'ns')
    generate('medseg', out, size=(24, 40), num_slices=4, num_volumes=2, volume_size=(30, 50),
             min_slices=2, max_slices=2, lesion_probs=(1.0, 0.0, 1.0))
    root = osp.join(out, 'medseg_covid19_1')
    hr = mmcv.imread(osp.join(root, 'images', 'train', 'covid19_1_000.png'), 'unchanged')
    lr = mmcv.imread(osp.join(root, 'images_lr', 'train', 'covid19_1_000.png'), 'unchanged')
    assert hr.shape == (24, 40) and lr.shape == (12, 20)
    labels = set()
    for name in os.listdir(osp.join(root, 'annotations', 'train')):
        labels |= set(np.unique(mmcv.imread(osp.join(root, 'annotations', 'train', name),
                                            'unchanged')).tolist())
    assert 2 not in labels  # consolidation switched off: a class absent from every slice
    from mmengine.config import Config
    cfg = Config.fromfile('configs/cogseg/_base_/datasets/medseg_covid19_1.py')
    sample = DATASETS.build(dataset_cfg(root, cfg.test_pipeline))[0]
    assert sample['inputs'].shape == (1, 12, 20)
    assert sample['data_samples'].gt_sem_seg.shape == (24, 40)
