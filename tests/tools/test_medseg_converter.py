"""The MedSeg converter (mmext.datasets.converters.medseg_covid, and its command line
tools/dataset_converters/medseg_covid.py) on hand-made NIfTI volumes: slice counts and splits,
label values, orientation, the HU window and HU check, lung masks, sizes and errors."""
import gzip
import os
import os.path as osp

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

import runpy
import subprocess
import sys

from mmext.datasets.converters import medseg_covid as conv


def save(path, data):
    os.makedirs(osp.dirname(path), exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.eye(4)), path)


def make_covid19_1(folder, num=10, size=8, lung=False):
    """Slice k: HU values -2000 / -1350 / -1050 / 150 / 1000 in known places, label k % 4 in the
    top-left displayed pixel; with ``lung`` a lung mask (values 1 and 2, as MedSeg's) on the
    displayed left half."""
    img = np.full((size, size, num), -1050.0, np.float32)
    mask = np.zeros((size, size, num), np.float32)
    lungs = np.zeros((size, size, num), np.float32)
    for k in range(num):
        shown_lung = np.zeros((size, size))
        shown_lung[:, :size // 4] = 1
        shown_lung[:, size // 4:size // 2] = 2
        lungs[:, :, k] = np.rot90(shown_lung, k=-1)
        shown = np.full((size, size), -1050.0)
        shown[0, 1], shown[0, 2], shown[0, 3], shown[0, 4] = -2000, -1350, 150, 1000
        lab = np.zeros((size, size))
        lab[0, 0] = k % 4
        # stored so that np.rot90(volume[:, :, k]) displays `shown`
        img[:, :, k] = np.rot90(shown, k=-1)
        mask[:, :, k] = np.rot90(lab, k=-1)
    save(osp.join(folder, 'tr_im.nii.gz'), img)
    save(osp.join(folder, 'tr_mask.nii.gz'), mask)
    if lung:
        save(osp.join(folder, 'tr_lungmasks_updated.nii.gz'), lungs)


def test_covid19_1_split_labels_window_and_sizes(tmp_path):
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    make_covid19_1(raw)
    counts = conv.convert_covid19_1(raw, out, hr_size=16, progress=False)
    assert counts == dict(train=7, test=3)  # 70 / 30
    assert sorted(os.listdir(osp.join(out, 'images', 'test'))) == [
        'covid19_1_007.png', 'covid19_1_008.png', 'covid19_1_009.png']
    for k, split in ((2, 'train'), (9, 'test')):
        name = f'covid19_1_{k:03d}.png'
        hr = np.array(Image.open(osp.join(out, 'images', split, name)))
        lr = np.array(Image.open(osp.join(out, 'images_lr', split, name)))
        lab = np.array(Image.open(osp.join(out, 'annotations', split, name)))
        assert hr.shape == lab.shape == (16, 16) and lr.shape == (8, 8)
        assert hr.dtype == lab.dtype == np.uint8
        # nearest up-sampling of the 8x8 mask by 2: the top-left 2x2 block holds k % 4
        assert (lab[:2, :2] == k % 4).all() and lab[2:, :].max() == 0 and lab[:, 2:].max() == 0
    # the window: native size keeps exact values; -1350 -> 0, 150 -> 255, -1050 -> 51
    conv.convert_covid19_1(raw, str(tmp_path / 'native'), hr_size=None, progress=False)
    hr = np.array(Image.open(osp.join(str(tmp_path / 'native'), 'images', 'train',
                                      'covid19_1_000.png')))
    assert hr[0, 1:5].tolist() == [0, 0, 255, 255]
    assert hr[4, 4] == 51


def test_hu_window_mapping():
    hu = np.array([-3000, -1350, -600, -1050, 150, 2000])
    assert conv.hu_to_uint8(hu).tolist() == [0, 0, 128, 51, 255, 255]
    assert conv.hu_to_uint8(np.array([0.0, 100.0]), window=(0, 100)).tolist() == [0, 255]
    with pytest.raises(ValueError, match='window'):
        conv.hu_to_uint8(hu, window=(100, 0))


def test_covid19_2_natural_order_and_volume_split(tmp_path):
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    for name, n in (('1', 2), ('2', 3), ('10', 2)):
        img = np.full((10, 10, n), -800, np.int16)
        msk = np.zeros((10, 10, n), np.uint8)
        msk[2:4, 2:4, 0] = 3  # only the first slice has a lesion
        save(osp.join(raw, 'rp_im', f'{name}.nii.gz'), img)
        save(osp.join(raw, 'rp_msk', f'{name}.nii.gz'), msk)
    counts = conv.convert_covid19_2(raw, out, hr_size=8, num_train_volumes=2, progress=False)
    assert counts == dict(train=5, test=2)  # volumes 1, 2 (not 10) are the first two
    assert sorted(os.listdir(osp.join(out, 'annotations', 'test'))) == ['10_000.png', '10_001.png']
    lab = np.array(Image.open(osp.join(out, 'annotations', 'train', '1_000.png')))
    assert lab.shape == (8, 8) and set(np.unique(lab)) == {0, 3}
    counts = conv.convert_covid19_2(raw, str(tmp_path / 'pos'), hr_size=8, num_train_volumes=2,
                                    lesion_slices_only=True, progress=False)
    assert counts == dict(train=2, test=1)


def test_cli(tmp_path):
    """The tool is argument parsing over the library: run it as a script."""
    raw = str(tmp_path / 'raw')
    make_covid19_1(raw, num=4)
    out = str(tmp_path / 'cli')
    tool = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
                    'medseg_covid.py')
    proc = subprocess.run([sys.executable, tool, 'covid19_1', raw, '-o', out, '--hr-size', '16',
                           '--no-progress', '--split', 'random', '--seed', '1'],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert '3 train and 1 test' in proc.stdout
    assert len(os.listdir(osp.join(out, 'images_lr', 'train'))) == 3
    ns = runpy.run_path(tool)  # parse-only: the library's options are all reachable
    args = ns['parse_args'](['covid19_2', raw, '--split', 'slice', '--no-lung-masks',
                             '--no-hu-check'])
    assert args.split == 'slice' and args.no_lung_masks and args.no_hu_check


def test_lung_masks_are_kept(tmp_path):
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    make_covid19_1(raw, num=4, lung=True)
    conv.convert_covid19_1(raw, out, hr_size=16, progress=False)
    lung = np.array(Image.open(osp.join(out, 'lung_masks', 'train', 'covid19_1_000.png')))
    assert lung.shape == (16, 16) and lung.dtype == np.uint8
    # both lung labels (1, 2) become 1, on the displayed left half (nearest x2)
    assert (lung[:, :8] == 1).all() and (lung[:, 8:] == 0).all()
    conv.convert_covid19_1(raw, str(tmp_path / 'none'), hr_size=16, progress=False,
                           lung_masks=False)
    assert not osp.exists(str(tmp_path / 'none' / 'lung_masks'))
    with pytest.raises(FileNotFoundError, match='tr_lungmasks_updated'):
        make_covid19_1(str(tmp_path / 'nolung'), num=4)
        conv.convert_covid19_1(str(tmp_path / 'nolung'), str(tmp_path / 'o'), progress=False,
                               lung_masks=True)


def test_split_options(tmp_path):
    raw = str(tmp_path / 'raw')
    make_covid19_1(raw, num=10)
    out = str(tmp_path / 'rand')
    counts = conv.convert_covid19_1(raw, out, hr_size=8, split='random', seed=0, progress=False)
    assert counts == dict(train=7, test=3)
    test_names = sorted(os.listdir(osp.join(out, 'images', 'test')))
    expected = sorted(f'covid19_1_{k:03d}.png' for k in np.random.default_rng(0).permutation(10)[7:])
    assert test_names == expected
    with pytest.raises(ValueError, match='patient'):
        conv.convert_covid19_1(raw, out, split='volume', progress=False)
    # the paper's 11 versions of every slice before a random split: warns that it leaks
    with pytest.warns(UserWarning, match='leak|copies of test slices'):
        counts = conv.convert_covid19_1(raw, str(tmp_path / 'aug'), hr_size=8,
                                        augment_before_split=True, progress=False)
    assert counts == dict(train=77, test=33)
    names = os.listdir(osp.join(str(tmp_path / 'aug'), 'images', 'train')) + \
        os.listdir(osp.join(str(tmp_path / 'aug'), 'images', 'test'))
    assert sorted(names) == sorted(f'covid19_1_{k:03d}_{v:02d}.png' for k in range(10)
                                   for v in range(11))
    # version 02 is the 90-degree rotation of the windowed slice (a pixel permutation)
    src = np.array(Image.open(osp.join(str(tmp_path / 'rand'), 'images',
                                       'train' if 'covid19_1_000.png' not in test_names
                                       else 'test', 'covid19_1_000.png')))
    find = [p for p in (osp.join(str(tmp_path / 'aug'), 'images', s, 'covid19_1_000_02.png')
                        for s in ('train', 'test')) if osp.isfile(p)]
    np.testing.assert_array_equal(np.array(Image.open(find[0])), np.rot90(src, k=-1))


def test_hu_check(tmp_path):
    hu = np.full((8, 8, 2), -1000.0)
    conv.check_hu(hu, 'ok.nii.gz')
    for bad in (np.full((8, 8, 2), 0.5), np.linspace(0, 255, 128).reshape(8, 8, 2)):
        with pytest.raises(ValueError, match='bad.nii.gz.*Hounsfield'):
            conv.check_hu(bad, 'bad.nii.gz')
    raw = str(tmp_path / 'raw')
    save(osp.join(raw, 'tr_im.nii.gz'), np.full((8, 8, 3), 128.0, np.float32))  # 0-255 PNG-like
    save(osp.join(raw, 'tr_mask.nii.gz'), np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match='tr_im.nii.gz.*Hounsfield'):
        conv.convert_covid19_1(raw, str(tmp_path / 'o'), progress=False)
    counts = conv.convert_covid19_1(raw, str(tmp_path / 'o'), hr_size=8, progress=False,
                                    check_hu_range=False)
    assert counts['train'] + counts['test'] == 3


def test_air_value():
    # -1000 HU in the [-1350, 150] window: 350 / 1500 * 255 = 59.5 -> 60
    assert conv.air_value() == 60 == conv.hu_to_uint8(np.array([-1000.0]))[0]
    assert conv.air_value((-1000, 400)) == 0


def test_covid19_2_slice_split_warns(tmp_path):
    raw = str(tmp_path / 'raw')
    for name, n in (('1', 4), ('2', 6)):
        save(osp.join(raw, 'rp_im', f'{name}.nii.gz'), np.full((8, 8, n), -800, np.int16))
        save(osp.join(raw, 'rp_msk', f'{name}.nii.gz'), np.zeros((8, 8, n), np.uint8))
    with pytest.warns(UserWarning, match='both'):
        counts = conv.convert_covid19_2(raw, str(tmp_path / 'o'), hr_size=8, split='slice',
                                        progress=False)
    assert counts == dict(train=7, test=3)
    assert sorted(os.listdir(osp.join(str(tmp_path / 'o'), 'images', 'test'))) == [
        '2_003.png', '2_004.png', '2_005.png']


def test_bad_inputs_name_the_file(tmp_path):
    raw = str(tmp_path / 'raw')
    with pytest.raises(FileNotFoundError, match='tr_im.nii.gz'):
        conv.convert_covid19_1(raw, str(tmp_path / 'o'), progress=False)
    save(osp.join(raw, 'tr_im.nii.gz'), np.full((8, 8, 3), -1000.0, np.float32))
    save(osp.join(raw, 'tr_mask.nii.gz'), np.zeros((8, 8, 4), np.float32))
    with pytest.raises(ValueError, match='tr_mask.nii.gz'):
        conv.convert_covid19_1(raw, str(tmp_path / 'o'), progress=False)
    bad = np.zeros((8, 8, 3), np.float32)
    bad[0, 0, 1] = 5
    save(osp.join(raw, 'tr_mask.nii.gz'), bad)
    with pytest.raises(ValueError, match=r'tr_mask.nii.gz \(slice 1\).*unknown mask values \[5\]'):
        conv.convert_covid19_1(raw, str(tmp_path / 'o'), progress=False)
    bad[0, 0, 1] = 1.5
    save(osp.join(raw, 'tr_mask.nii.gz'), bad)
    with pytest.raises(ValueError, match='integers'):
        conv.convert_covid19_1(raw, str(tmp_path / 'o'), progress=False)
    with open(osp.join(raw, 'tr_mask.nii.gz'), 'wb') as f:
        f.write(gzip.compress(b'not a nifti'))
    with pytest.raises(ValueError, match='cannot read'):
        conv.convert_covid19_1(raw, str(tmp_path / 'o'), progress=False)
    os.makedirs(osp.join(raw, 'rp_im'))
    os.makedirs(osp.join(raw, 'rp_msk'))
    save(osp.join(raw, 'rp_im', '1.nii.gz'), np.full((8, 8, 2), -1000, np.int16))
    with pytest.raises(FileNotFoundError, match='rp_msk/1.nii.gz'):
        conv.convert_covid19_2(raw, str(tmp_path / 'o'), progress=False)
