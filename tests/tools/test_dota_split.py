"""DOTA image splitter: windows, IoF rule, naming, resume, multi-scale, workers, loading."""
import filecmp
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from shapely.geometry import Polygon, box

import mmext  # noqa: F401
from mmext.datasets.converters import dota_split
from mmext.datasets.synthetic import generate
from mmext.testing.tool_loader import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REAL = os.environ.get('MMEXT_REAL_SAMPLES', osp.join(ROOT, 'tests', 'data', 'real_samples'))


@pytest.fixture(scope='module')
def raw_dota(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('raw_dota'))
    generate('dota', root, seed=1, num_train=4, num_val=1, img_size=256, max_objects=10)
    return root


def _split(raw, out, **kwargs):
    kwargs.setdefault('sizes', (128, ))
    kwargs.setdefault('gaps', (32, ))
    return dota_split.split_dataset([osp.join(raw, 'train', 'images')], out,
                                    ann_dirs=[osp.join(raw, 'train', 'labelTxt')],
                                    progress=False, **kwargs)


def test_sliding_windows_by_hand():
    win = dota_split.sliding_windows(2000, 1100, [1024], [200])
    # step 824; the last column/row is shifted back to end at the border
    assert win.tolist() == [[0, 0, 1024, 1024], [0, 76, 1024, 1100], [824, 0, 1848, 1024],
                            [824, 76, 1848, 1100], [976, 0, 2000, 1024], [976, 76, 2000, 1100]]
    # an image smaller than the window: one padded window even though it is mostly empty
    assert dota_split.sliding_windows(500, 300, [1024], [200]).tolist() == [[0, 0, 1024, 1024]]
    # a 700 px high strip: windows covering 68% of image pass the 0.6 image-rate threshold
    assert len(dota_split.sliding_windows(3000, 700, [1024], [200])) == 4
    with pytest.raises(ValueError, match='gap'):
        dota_split.sliding_windows(100, 100, [200], [200])


def test_iof_against_shapely():
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 300, (60, 2))
    polys = []
    for cx, cy in centres:  # random convex quads: rotated rectangles with jittered corners
        w, h, t = rng.uniform(5, 80), rng.uniform(5, 80), rng.uniform(-np.pi, np.pi)
        c, s = np.cos(t), np.sin(t)
        pts = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2 @ np.array([[c, s], [-s, c]])
        polys.append((pts + [cx, cy]).reshape(-1))
    polys = np.array(polys)
    windows = np.array([[0, 0, 128, 128], [96, 0, 224, 128], [96, 96, 224, 224],
                        [200, 150, 300, 300]])
    got = dota_split.polygon_window_iof(polys, windows)
    for i, p in enumerate(polys):
        poly = Polygon(p.reshape(4, 2))
        for j, w in enumerate(windows):
            ref = poly.intersection(box(*w)).area / poly.area
            assert got[i, j] == pytest.approx(ref, abs=1e-9)
    # by hand: an axis-aligned square half inside; a diamond with one quarter inside
    square = np.array([[-10, 0, 10, 0, 10, 20, -10, 20]], float)
    diamond = np.array([[0, -10, 10, 0, 0, 10, -10, 0]], float)
    win = np.array([[0, 0, 100, 100]])
    assert dota_split.polygon_window_iof(square, win)[0, 0] == pytest.approx(0.5)
    assert dota_split.polygon_window_iof(diamond, win)[0, 0] == pytest.approx(0.25)


def test_split_synthetic_dota_follows_the_official_rules(raw_dota, tmp_path):
    out = str(tmp_path / 'split')
    totals = _split(raw_dota, out)
    img_dir, ann_dir = osp.join(out, 'images'), osp.join(out, 'annfiles')
    names = sorted(os.listdir(img_dir))
    # 256 px images, 128 px windows with step 96: x/y starts 0, 96, 128 -> 9 patches each
    assert totals['images'] == 4 and totals['patches'] == 36 == len(names)
    assert names[0] == 'P0000__128__0___0.png' and 'P0000__128__128___96.png' in names
    assert sorted(os.listdir(ann_dir)) == [n.replace('.png', '.txt') for n in names]
    kept_somewhere = set()
    for name in names:
        pid = name[:-4]
        src_id, size, x0, y0 = re.fullmatch(r'(.+)__(\d+)__(\d+)___(\d+)', pid).groups()
        x0, y0 = int(x0), int(y0)
        assert size == '128'
        patch = cv2.imread(osp.join(img_dir, name))
        full = cv2.imread(osp.join(raw_dota, 'train', 'images', src_id + '.png'))
        assert np.array_equal(patch, full[y0:y0 + 128, x0:x0 + 128])  # pixels are a plain crop
        raw = dota_split.load_dota_txt(osp.join(raw_dota, 'train', 'labelTxt', src_id + '.txt'))
        expected = []
        for k, poly in enumerate(raw['polys']):
            p = Polygon(poly.reshape(4, 2))
            iof = p.intersection(box(x0, y0, x0 + 128, y0 + 128)).area / p.area
            if iof >= 0.7:
                shifted = (poly.reshape(4, 2) - [x0, y0]).reshape(-1)
                diff = 2 if iof < 1 - 1e-6 else raw['difficult'][k]
                expected.append((tuple(np.round(shifted, 3)), raw['labels'][k], int(diff)))
                kept_somewhere.add((src_id, k))
        lines = open(osp.join(ann_dir, pid + '.txt')).read().splitlines()
        got = [(tuple(np.round(np.array(l.split()[:8], float), 3)), l.split()[8], int(l.split()[9]))
               for l in lines]
        assert got == expected, pid
    n_objects = sum(len(dota_split.load_dota_txt(
        osp.join(raw_dota, 'train', 'labelTxt', f)).get('labels'))
        for f in os.listdir(osp.join(raw_dota, 'train', 'labelTxt')))
    assert len(kept_somewhere) == n_objects  # objects are small enough to fit one patch
    assert any(int(l.split()[9]) == 2 for f in os.listdir(ann_dir)
               for l in open(osp.join(ann_dir, f)))  # some truncated objects


def test_mmrotate_dota_dataset_reads_the_patches(raw_dota, tmp_path):
    out = str(tmp_path / 'split')
    _split(raw_dota, out)
    from mmengine.registry import init_default_scope
    from mmrotate.registry import DATASETS
    init_default_scope('mmrotate')
    ds = DATASETS.build(
        dict(type='DOTADataset', data_root=out, ann_file='annfiles/',
             data_prefix=dict(img_path='images/'), img_shape=(128, 128), pipeline=[
                 dict(type='mmdet.LoadImageFromFile'),
                 dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
                 dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
                 dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                                             'img_shape'))
             ]))
    assert len(ds) == 36
    n_lines = sum(len(open(osp.join(out, 'annfiles', f)).read().splitlines())
                  for f in os.listdir(osp.join(out, 'annfiles')))
    assert sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds))) == n_lines > 0
    assert tuple(ds[0]['inputs'].shape) == (3, 128, 128)


def test_resume_skips_finished_patches(raw_dota, tmp_path):
    out = str(tmp_path / 'split')
    first = _split(raw_dota, out)
    assert first['written'] == 36 and first['skipped'] == 0
    stamp = os.path.getmtime(osp.join(out, 'images', 'P0001__128__96___96.png'))
    second = _split(raw_dota, out)
    assert second['written'] == 0 and second['skipped'] == 36
    os.remove(osp.join(out, 'annfiles', 'P0002__128__0___128.txt'))  # an interrupted patch
    third = _split(raw_dota, out)
    assert third['written'] == 1 and third['skipped'] == 35
    assert os.path.getmtime(osp.join(out, 'images', 'P0001__128__96___96.png')) == stamp
    assert not [f for d in ('images', 'annfiles') for f in os.listdir(osp.join(out, d))
                if '.tmp' in f]


def test_multi_scale_and_workers_give_identical_files(raw_dota, tmp_path):
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    t1 = _split(raw_dota, one, scales=(1.0, 2.0), nproc=1)
    t2 = _split(raw_dota, two, scales=(1.0, 2.0), nproc=2)
    assert t1 == t2
    names = os.listdir(osp.join(one, 'images'))
    # scale 2 halves the window (64 px, gap 16): 256 px -> starts 0,48,...,192 -> 25 per image
    assert sum('__64__' in n for n in names) == 4 * 25
    assert sum('__128__' in n for n in names) == 36
    for sub in ('images', 'annfiles'):
        cmp = filecmp.dircmp(osp.join(one, sub), osp.join(two, sub))
        assert not cmp.left_only and not cmp.right_only
        assert all(filecmp.cmp(osp.join(one, sub, f), osp.join(two, sub, f), shallow=False)
                   for f in cmp.common_files)


def test_real_sample_patch(tmp_path):
    """The real DOTA file (a 170 px thumbnail labelled in a 1024 px frame): one padded patch."""
    out = str(tmp_path / 'real')
    tool = load_tool('dataset_converters', 'dota_split')  # the command line, as users run it
    tool.main(['--img-dirs', osp.join(REAL, 'dota', 'images'), '--ann-dirs',
               osp.join(REAL, 'dota', 'labelTxt'), '--save-dir', out, '--nproc', '1'])
    assert os.listdir(osp.join(out, 'images')) == ['P2805__1024__0___0__1024__0___0.png']
    patch = cv2.imread(osp.join(out, 'images', 'P2805__1024__0___0__1024__0___0.png'))
    src = cv2.imread(osp.join(REAL, 'dota', 'images', 'P2805__1024__0___0.png'))
    assert patch.shape == (1024, 1024, 3)
    assert np.array_equal(patch[:170, :170], src)
    assert (patch[500, 500] == [104, 116, 124]).all()  # BGR padding, the ImageNet mean
    src_label = osp.join(REAL, 'dota', 'labelTxt', 'P2805__1024__0___0.txt')
    src_lines = open(src_label).read().split('\n')
    got = open(osp.join(out, 'annfiles', 'P2805__1024__0___0__1024__0___0.txt')).read().split('\n')
    assert [l.split() for l in got if l] == [l.split() for l in src_lines if l]


def test_bad_input_names_the_file(tmp_path):
    img_dir, ann_dir = tmp_path / 'images', tmp_path / 'labelTxt'
    img_dir.mkdir()
    ann_dir.mkdir()
    cv2.imwrite(str(img_dir / 'P9.png'), np.zeros((50, 50, 3), np.uint8))
    (ann_dir / 'P9.txt').write_text('imagesource:x\ngsd:1\n1 2 3 4 5 6 7 plane 0\n')
    with pytest.raises(ValueError, match=r'P9.txt:3'):
        dota_split.split_dataset([str(img_dir)], str(tmp_path / 'o'), ann_dirs=[str(ann_dir)],
                                 progress=False)
    (ann_dir / 'P9.txt').write_text('1 2 3 4 5 6 7 x plane 0\n')
    with pytest.raises(ValueError, match=r'P9.txt:1: bad number'):
        dota_split.split_dataset([str(img_dir)], str(tmp_path / 'o'), ann_dirs=[str(ann_dir)],
                                 progress=False)
    (img_dir / 'P8.png').write_bytes(b'not an image')
    (ann_dir / 'P9.txt').write_text('')
    with pytest.raises(ValueError, match='P8.png'):
        dota_split.split_dataset([str(img_dir)], str(tmp_path / 'o'), ann_dirs=[str(ann_dir)],
                                 progress=False)
    with pytest.raises(FileNotFoundError, match='nowhere'):
        dota_split.split_dataset([str(tmp_path / 'nowhere')], str(tmp_path / 'o'), progress=False)
