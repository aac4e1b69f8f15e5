"""The CogSeg config tree: the paper's schedule and loss weights, ablation rows that change only
their fields, the table files (and which metric convention admits the paper's numbers), seeds and
the demo entry."""
import copy
import functools
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import mmext  # noqa: F401
from mmext.apis.tables import load_table


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build with mmseg's registries, and leave the default scope as it was afterwards."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


CFG = 'configs/cogseg/{}_2xb4-250e_medseg-covid19-{}.py'
ROWS = ['cogseg_unet-s5-d16', 'cogseg-sr-4l1-ce_unet-s5-d16', 'cogseg-sr-1l1-ce_unet-s5-d16',
        'cogseg-rmi_unet-s5-d16', 'unet-s5-d16_up2', 'unetpp-s5-b32_up2',
        'attention-unet-s5-d16_up2', 'fcn_r50-d8', 'deeplabv3_r101-d8', 'fcn_hr18']
# the baselines as CogSeg Sec. 3.2 describes them: labels down-sampled, logits rescaled x2 at test
SUBSAMPLED = {'unet-s5-d16_ds2': 'unet-s5-d16_up2', 'unetpp-s5-b32_ds2': 'unetpp-s5-b32_up2',
              'attention-unet-s5-d16_ds2': 'attention-unet-s5-d16_up2',
              'fcn_r50-d8_ds2': 'fcn_r50-d8', 'deeplabv3_r101-d8_ds2': 'deeplabv3_r101-d8',
              'fcn_hr18_ds2': 'fcn_hr18'}


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
    assert files == sorted(CFG.format(r, d) for r in ROWS + list(SUBSAMPLED) for d in (1, 2))
    for path in glob.glob('configs/cogseg/demo/*.py'):
        cfg = Config.fromfile(path)
        assert cfg.default_scope == 'mmseg' and 'mmext' in cfg.custom_imports.imports, path
    for row in ROWS + list(SUBSAMPLED):
        for ds in (1, 2):
            cfg = load(row, ds)
            assert cfg.default_scope == 'mmseg' and 'mmext' in cfg.custom_imports.imports, row
            assert isinstance(cfg.randomness.seed, int), row  # every config is seeded


@pytest.mark.parametrize('row', sorted(SUBSAMPLED))
def test_subsampled_label_baselines(row):
    """Table 1/3 baselines of Sec. 3.2: the same network, no learned x2 (the logits are resized
    to the 512 label map at test, mmseg's post-processing), trained on down-sampled labels."""
    for ds in (1, 2):
        cfg, base = load(row, ds), load(SUBSAMPLED[row], ds)
        train = cfg.train_dataloader.dataset
        train = train.dataset if ds == 1 else train
        derive = [t for t in train.pipeline if t.type == 'DeriveLRInput']
        assert len(derive) == 1 and derive[0].resize_seg, row
        test_derive = [t for t in cfg.test_dataloader.dataset.pipeline
                       if t.type == 'DeriveLRInput']
        assert not test_derive[0].get('resize_seg', False)  # tested on the 512 label maps
        fields = {'decode_head.upscale'} if 'unet' in row else set()
        assert changed(cfg.model, base.model, fields) == fields
        assert cfg.model.decode_head.get('upscale', 1) == 1

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
    pipeline = cfg.train_dataloader.dataset.dataset.pipeline
    choice = pipeline[2]
    # augment the HR slice and its label, then derive the LR input (DeriveLRInput after it)
    assert [t.type for t in pipeline] == ['LoadImageFromFile', 'LoadAnnotations', 'RandomChoice',
                                          'DeriveLRInput', 'PackSRSegInputs']
    fills = {t[0].get('img_border_value', t[0].get('img_pad_val')) for t in choice.transforms if t}
    assert fills == {60}  # air (-1000 HU) in the [-1350, 150] window, not 0
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
    for row in ROWS + list(SUBSAMPLED):
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


PAPER_COLUMNS = ('mIoU', 'DSC', 'Sens', 'Spec')


def iou_of_dice(dice):
    """IoU = Dice / (2 - Dice) (percent): per class, and an upper bound of a mean IoU given the
    mean Dice over the same classes (x -> x / (2 - x) is concave)."""
    d = dice / 100
    return 100 * d / (2 - d)


def violations(mapping, paper, num_fg=3):
    """The necessary conditions a row's paper numbers break under ``mapping`` (paper column ->
    DiceSensSpecMetric key). ``loose`` uses IoU <= Dice per class, the bound the issue states;
    ``tight`` the concave bound. Only the pairings below link the columns; others are free."""
    miou, dsc, sens = paper['mIoU'], paper['DSC'], paper['Sens']
    out = []
    for value in paper.values():
        if not 0 <= value <= 100:
            out.append(f'{value} outside [0, 100]')
    k_miou, k_dsc, k_sens = mapping['mIoU'], mapping['DSC'], mapping['Sens']
    if (k_miou, k_dsc) == ('mIoU', 'mDice_fg'):  # 4 classes: background IoU <= 100
        if miou > (100 + num_fg * dsc) / (num_fg + 1):
            out.append('loose: mIoU > (100 + 3 DSC) / 4')
        if miou > (100 + num_fg * iou_of_dice(dsc)) / (num_fg + 1):
            out.append('tight: mIoU > (100 + 3 f(DSC)) / 4')
    if (k_miou, k_dsc) in (('mIoU', 'mDice'), ('mIoU_fg', 'mDice_fg'), ('mIoU_inf', 'mDice_inf')):
        if miou > dsc:
            out.append('loose: mIoU > DSC over the same classes')
        if miou > iou_of_dice(dsc):
            out.append('tight: mIoU > f(DSC)')
    if (k_miou, k_dsc) == ('mIoU_bin', 'mDice_inf'):
        if miou > (100 + dsc) / 2:
            out.append('loose: mIoU_bin > (100 + DSC) / 2')
        if miou > (100 + iou_of_dice(dsc)) / 2:
            out.append('tight: mIoU_bin > (100 + f(DSC)) / 2')
    # Dice = 2TP / (P + L) <= 2TP / (TP + L) = 2 Sens / (1 + Sens), concave: over the same classes
    if k_dsc.replace('mDice', '') == k_sens.replace('mSens', '') and \
            dsc > 100 * 2 * (sens / 100) / (1 + sens / 100):
        out.append('DSC > 2 Sens / (1 + Sens)')
    return out


def paper_rows(dataset):
    """The distinct (label, paper numbers) rows of the three tables of one dataset."""
    seen = {}
    for path in sorted(glob.glob(f'configs/cogseg/tables/table*_covid19-{dataset}.py')):
        for row in load_table(path).rows:
            if row.get('paper'):
                seen[tuple(sorted(row['paper'].items()))] = row['label']
    return [(label, dict(numbers)) for numbers, label in seen.items()]


def test_four_class_miou_cannot_give_the_paper_numbers():
    """The issue's arithmetic, from the table files: under 'mIoU over all 4 classes, DSC over the
    3 lesion classes' 10 of the 11 distinct COVID-19_1 rows are impossible (IoU <= Dice per
    class); the concave bound rules out all 11. The binary Dice with the binary mIoU fails too."""
    rows = paper_rows(1)
    assert len(rows) == 11
    old = dict(mIoU='mIoU', DSC='mDice_fg', Sens='mSens_fg', Spec='mSpec_fg')
    loose = [label for label, p in rows if any(v.startswith('loose: mIoU >') for v in
                                               violations(old, p))]
    assert len(loose) == 10 and 'U-Net (Baseline)' not in loose
    assert all(any(v.startswith('tight') for v in violations(old, p)) for _, p in rows)
    binary_dice = dict(old, mIoU='mIoU_bin', DSC='mDice_inf', Sens='mSens_inf')
    assert sum(bool(violations(binary_dice, p)) for _, p in rows) == 11


def test_table_files():
    tables = sorted(glob.glob('configs/cogseg/tables/*.py'))
    assert [osp.basename(t) for t in tables] == [
        f'table{n}_{k}_covid19-{d}.py' for n, k in ((1, 'sr'), (2, 'losses'), (3, 'sota'))
        for d in (1, 2)]
    for path in tables:
        table = load_table(path)  # checks configs exist and metric names
        mapping = {m['name']: m['key'] for m in table.metrics if m['name'] in PAPER_COLUMNS}
        # the reading under which the paper's numbers are possible, every row of every table
        assert mapping == dict(mIoU='mIoU_bin', DSC='mDice_fg', Sens='mSens_fg',
                               Spec='mSpec_fg'), path
        for row in table.rows:
            if row.get('paper'):
                assert not violations(mapping, row['paper']), (path, row['label'])
        # the other readings are printed beside it
        others = {m['key'] for m in table.metrics} - set(mapping.values())
        assert {'mIoU', 'mDice_inf', 'mIoU_bin_img', 'mDice_fg_img', 'mIoU_bin_lung'} <= others
        assert table.synthetic_data == ['medseg']
        for row in table.rows:
            if row.get('paper'):
                assert set(row['paper']) == set(PAPER_COLUMNS), row['label']
            else:
                assert row['note'] and row['label'].endswith('512 labels'), row['label']
            if row['config'] is None:
                assert row['label'] == 'H-DenseUNet' and row['note']
                continue
            cfg = load_path(row['config'])
            for option in table.synthetic:
                key = option.split('=', 1)[0]
                assert key_exists(cfg, key), f'{path}: {key} not in {row["config"]}'
    t3 = load_table('configs/cogseg/tables/table3_sota_covid19-1.py')
    cogseg = t3.rows[-1]
    assert cogseg['paper'] == dict(mIoU=89.75, DSC=83.04, Sens=86.98, Spec=98.09)
    t1 = load_table('configs/cogseg/tables/table1_sr_covid19-2.py')
    assert [r['paper']['mIoU'] for r in t1.rows if r.get('paper')] == [60.44, 67.81, 69.96]
    # Table 1's baseline is the subsampled-label one; the learned-x2 U-Net is printed beside
    assert '_ds2_' in t1.rows[0]['config'] and '_up2_' in t1.rows[1]['config']
    # every Table 3 network with a paper row and a config has its 512-label version beside it
    labels = [r['label'] for r in t3.rows]
    for row in t3.rows:
        if row.get('paper') and row['config'] and 'cogseg_' not in row['config']:
            assert '_ds2_' in row['config'] and f'{row["label"]}, 512 labels' in labels


def test_demo_entry():
    entries = Config.fromfile('configs/demo/cogseg.py').entries
    (entry, ) = entries
    assert entry['data'] == 'medseg' and osp.isfile(entry['config'])
    cfg = Config.fromfile(entry['config'])
    assert cfg.train_dataloader.dataset.dataset.data_root == \
        'data/synthetic/medseg/medseg_covid19_1/'
