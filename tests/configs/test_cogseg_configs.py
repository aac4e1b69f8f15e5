"""The CogSeg config tree: the paper's schedule and loss weights, ablation rows that change only
their fields, the table files and the demo entry."""
import copy
import functools
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import mmext  # noqa: F401
from mmext.apis import tables as run_table


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build with mmseg's registries, and leave the default scope as it was afterwards."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


CFG = 'configs/cogseg/{}_2xb4-250e_medseg-covid19-{}.py'
ROWS = ['cogseg_unet-s5-d16', 'cogseg-sr-4l1-ce_unet-s5-d16', 'cogseg-sr-1l1-ce_unet-s5-d16',
        'cogseg-rmi_unet-s5-d16', 'unet-s5-d16_up2', 'unetpp-s5-b32_up2',
        'attention-unet-s5-d16_up2', 'fcn_r50-d8', 'deeplabv3_r101-d8', 'fcn_hr18']


def flat(d, prefix=''):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(flat(v, f'{prefix}{k}.'))
        else:
            out[f'{prefix}{k}'] = v
    return out


def changed(a, b, fields=()):
    """The keys that differ between two configs, reported as the given field when under it."""
    fa, fb = flat(a.to_dict()), flat(b.to_dict())
    keys = {k for k in set(fa) | set(fb) if fa.get(k, '<absent>') != fb.get(k, '<absent>')}
    return {next((f for f in fields if k == f or k.startswith(f + '.')), k) for k in keys}


@functools.lru_cache(maxsize=None)
def load_path(path):
    return Config.fromfile(path)


def load(row, ds=1):
    return load_path(CFG.format(row, ds))


def test_every_config_file_exists_and_parses():
    files = sorted(glob.glob('configs/cogseg/*.py'))
    assert files == sorted(CFG.format(r, d) for r in ROWS for d in (1, 2))
    for path in glob.glob('configs/cogseg/demo/*.py'):
        cfg = Config.fromfile(path)
        assert cfg.default_scope == 'mmseg' and 'mmext' in cfg.custom_imports.imports, path
    for row in ROWS:
        for ds in (1, 2):
            cfg = load(row, ds)
            assert cfg.default_scope == 'mmseg' and 'mmext' in cfg.custom_imports.imports, row


def test_paper_schedule_and_loss_weights():
    cfg = load('cogseg_unet-s5-d16')
    assert cfg.optim_wrapper.optimizer.type == 'Adam' and cfg.optim_wrapper.optimizer.lr == 1e-4
    (sched, ) = cfg.param_scheduler
    assert (sched.type, sched.step_size, sched.gamma, sched.by_epoch) == ('StepLR', 50, 0.5, True)
    assert cfg.train_cfg.max_epochs == 250 and cfg.train_cfg.type == 'EpochBasedTrainLoop'
    m = cfg.model
    ce, edge = m.decode_head.loss_decode
    assert (ce.type, ce.loss_weight) == ('CrossEntropyLoss', 1.0)  # lambda_1
    assert (edge.type, edge.loss_weight) == ('EdgeRMILoss', 0.5)  # lambda_4
    assert m.sr_head.loss_weight == 0.5 and m.loss_feat_weight == 0.5  # lambda_2, lambda_3
    assert m.feat_l1_levels == (1, 2, 3, 4) and m.backbone.in_channels == 1
    assert m.decode_head.upscale == m.sr_head.upscale == 2
    # COVID-19_1: 11 versions of each slice (itself, 6 rotations, 4 scalings) per epoch
    assert cfg.train_dataloader.dataset.times == 11
    choice = cfg.train_dataloader.dataset.dataset.pipeline[2]
    angles = sorted(t[0].angle for t in choice.transforms if t and t[0].type == 'PairedRotate')
    scales = sorted(t[0].scale for t in choice.transforms if t and t[0].type == 'PairedRescale')
    assert angles == [45, 90, 135, 180, 270, 360] and scales == [0.5, 0.75, 1.25, 1.5]


@pytest.mark.parametrize('row, base, fields', [
    ('unet-s5-d16_up2', 'cogseg_unet-s5-d16',
     {'sr_head', 'feat_l1_levels', 'decode_head.loss_decode'}),
    ('cogseg-sr-4l1-ce_unet-s5-d16', 'cogseg_unet-s5-d16', {'decode_head.loss_decode'}),
    ('cogseg-sr-1l1-ce_unet-s5-d16', 'cogseg_unet-s5-d16',
     {'feat_l1_levels', 'decode_head.loss_decode'}),
    ('cogseg-rmi_unet-s5-d16', 'cogseg_unet-s5-d16', {'decode_head.loss_decode'}),
    ('attention-unet-s5-d16_up2', 'unet-s5-d16_up2', {'backbone.type',
                                                      'backbone.attention_ratio'}),
])
def test_ablation_rows_change_only_their_fields(row, base, fields):
    for ds in (1, 2):
        assert changed(load(row, ds).model, load(base, ds).model, fields) == fields
        assert changed(load(row, ds), load(base, ds), [f'model.{f}' for f in fields]) == \
            {f'model.{f}' for f in fields}
    if row == 'cogseg-sr-1l1-ce_unet-s5-d16':
        assert load(row).model.feat_l1_levels == (4, )


def test_covid19_2_configs_differ_only_in_data():
    for row in ROWS:
        one, two = load(row, 1), load(row, 2)
        assert not changed(one.model, two.model), row
        assert two.train_dataloader.dataset.data_root == 'data/medseg_covid19_2/'
        assert 'RandomChoice' not in str(two.train_dataloader.dataset.pipeline)  # no augmentation
        assert one.train_dataloader.dataset.dataset.data_root == 'data/medseg_covid19_1/'


def test_model_of_every_row_builds():
    seen = set()
    for row in ROWS:
        model_cfg = copy.deepcopy(load(row).model)
        if 'base_channels' in model_cfg.backbone:  # the U-Net family at width 8: quicker
            model_cfg.backbone.base_channels = 8
            model_cfg.decode_head.update(in_channels=8, channels=8)
        model = MODELS.build(model_cfg)
        name = type(model.backbone).__name__
        seen.add(name)
        assert model.decode_head.num_classes == 4, row
        first_conv = next(m for m in model.backbone.modules() if hasattr(m, 'in_channels'))
        assert first_conv.in_channels == 1, row
        assert (getattr(model, 'sr_head', None) is not None) == row.startswith('cogseg'), row
    assert seen == {'UNet', 'UNetPlusPlus', 'AttentionUNet', 'ResNetV1c', 'HRNet'}


def key_exists(cfg, dotted):
    node = cfg.to_dict()
    for part in dotted.split('.'):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_table_files():
    tables = sorted(glob.glob('configs/cogseg/tables/*.py'))
    assert [osp.basename(t) for t in tables] == [
        f'table{n}_{k}_covid19-{d}.py' for n, k in ((1, 'sr'), (2, 'losses'), (3, 'sota'))
        for d in (1, 2)]
    for path in tables:
        table = run_table.load_table(path)  # checks configs exist and metric names
        assert [m['key'] for m in table.metrics] == ['mIoU', 'mDice_fg', 'mSens_fg', 'mSpec_fg']
        assert table.synthetic_data == ['medseg']
        for row in table.rows:
            assert set(row['paper']) == {'mIoU', 'DSC', 'Sens', 'Spec'}, row['label']
            if row['config'] is None:
                assert row['label'] == 'H-DenseUNet' and row['note']
                continue
            cfg = load_path(row['config'])
            for option in table.synthetic:
                key = option.split('=', 1)[0]
                assert key_exists(cfg, key), f'{path}: {key} not in {row["config"]}'
    t3 = run_table.load_table('configs/cogseg/tables/table3_sota_covid19-1.py')
    cogseg = t3.rows[-1]
    assert cogseg['paper'] == dict(mIoU=89.75, DSC=83.04, Sens=86.98, Spec=98.09)
    t1 = run_table.load_table('configs/cogseg/tables/table1_sr_covid19-2.py')
    assert [r['paper']['mIoU'] for r in t1.rows] == [60.44, 67.81, 69.96]


def test_demo_entry():
    entries = Config.fromfile('configs/demo/cogseg.py').entries
    (entry, ) = entries
    assert entry['data'] == 'medseg' and osp.isfile(entry['config'])
    cfg = Config.fromfile(entry['config'])
    assert cfg.train_dataloader.dataset.dataset.data_root == \
        'data/synthetic/medseg/medseg_covid19_1/'
