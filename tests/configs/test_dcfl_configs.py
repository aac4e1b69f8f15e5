"""DCFL configs: every config parses and builds its model, each ablation row changes only its
fields, the tables are well formed and their synthetic options apply, and the demo config trains
to a clearly non-zero DOTA mAP on the synthetic DOTA set."""
import argparse
import copy
import functools
import glob
import inspect
import os.path as osp
import re

import pytest
from mmengine.config import Config, DictAction

import mmext  # noqa: F401
from mmext.apis import tables

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DCFL = 'configs/dcfl/'
BASE = DCFL + 'dcfl-le135_r50_fpn_1x_dotav2.py'
DEMO = DCFL + 'demo/dcfl-le135_r18_fpn_synthetic-dota.py'
TABLES = sorted(glob.glob(osp.join(ROOT, DCFL, 'tables', '*.py')))


@functools.lru_cache(maxsize=None)
def _parse(path):
    return Config.fromfile(path)


def parse(path):
    """Config.fromfile, parsed once per test session (a copy is returned)."""
    return copy.deepcopy(_parse(path))


def configs():
    paths = glob.glob(osp.join(ROOT, DCFL, '**', '*.py'), recursive=True)
    return sorted(osp.relpath(p, ROOT) for p in paths
                  if '/tables/' not in p and '/_base_/' not in p)


def flatten(d, prefix=''):
    out = {}
    for k, v in d.items():
        key = f'{prefix}{k}'
        if isinstance(v, dict):
            out.update(flatten(v, key + '.'))
        else:
            out[key] = v
    return out


def parent_of(path):
    """The local config a config inherits from (its `_base_ = './x.py'` line), if any."""
    m = re.search(r"^_base_ = '\./([^']+)'", open(osp.join(ROOT, path)).read(), re.M)
    return osp.join(osp.dirname(path), m.group(1)) if m else None


def load_table(path):
    return tables.load_table(path)


@pytest.mark.parametrize('path', configs())
def test_config_loads_with_real_paths(path):
    cfg = parse(path)
    assert cfg.default_scope == 'mmrotate'
    assert cfg.custom_imports['imports'] == ['mmext']
    head = cfg.model.bbox_head
    assert head.anchor_generator.angle_version == 'le135'
    assert head.bbox_coder.angle_version == 'le135'
    if '/demo/' in path:
        assert cfg.train_dataloader.dataset.data_root == 'data/synthetic/dota/'
        return
    assert 'synthetic' not in cfg.train_dataloader.dataset.get('data_root', '')
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    if head.type == 'DCFLHead':
        assigner = cfg.model.train_cfg.assigner
        assert assigner.type == 'DCFLAssigner' and assigner.neg_sim_thr == 0.8
        assert head.reg_decoded_bbox and head.loss_bbox.type == 'RotatedIoULoss'
        assert head.loss_cls.type == 'mmdet.FocalLoss' and head.loss_cls.loss_weight == 1.0
        assert head.loss_bbox.loss_weight == 1.0 and head.loss_bbox.mode == 'log'
        gen = head.anchor_generator
        assert (gen.scales_per_octave, gen.ratios, gen.octave_base_scale) == (1, [1.0], 4)


def test_paper_defaults_and_dataset_settings():
    base = parse(BASE)
    a = base.model.train_cfg.assigner
    assert (a.topk, a.topq, a.gauss_thr, a.measure, a.cls_score_mode) == (
        16, 12, 0.8, 'gjsd', 'gt_class')
    assert base.model.bbox_head.num_classes == 18 and base.model.bbox_head.dilation == 3
    assert base.train_dataloader.dataset.ann_file == 'train/annfiles/'
    assert base.val_dataloader.dataset.ann_file == 'val/annfiles/'
    assert base.train_dataloader.dataset.data_root == 'data/split_ss_dota2_0/'
    assert base.optim_wrapper.optimizer.lr == 0.0025 and base.train_cfg.max_epochs == 12
    assert base.model.test_cfg.nms.iou_threshold == 0.4
    off = parse(DCFL + 'dcfl-le135_r50_fpn_1x_dotav2_g0.6.py')
    assert off.model.train_cfg.assigner.gauss_thr == 0.6
    v1 = parse(DCFL + 'dcfl-le135_r50_fpn_3x_dotav1.py')
    assert v1.model.bbox_head.dilation == 4 and v1.train_cfg.max_epochs == 36
    assert v1.model.bbox_head.num_classes == 15 and v1.test_evaluator.format_only
    v15 = parse(DCFL + 'dcfl-le135_r50_fpn_40e_dotav15.py')
    assert v15.model.bbox_head.num_classes == 16 and v15.train_cfg.max_epochs == 40
    assert v15.train_dataloader.dataset.type == 'DOTAv15Dataset'
    assert v15.test_dataloader.dataset.data_root == 'data/split_ss_dota1_5/'
    dior = parse(DCFL + 'dcfl-le135_rer101_refpn_40e_dior.py')
    assert (dior.model.train_cfg.assigner.topk, dior.model.train_cfg.assigner.topq) == (15, 13)
    assert dior.model.backbone.type == 'ReResNet' and dior.model.backbone.depth == 101
    assert dior.model.bbox_head.num_classes == 20 and dior.optim_wrapper.optimizer.lr == 0.005
    hrsc = parse(DCFL + 'dcfl-le135_r50_fpn_6x_hrsc.py')
    assert hrsc.model.bbox_head.num_classes == 1 and hrsc.train_cfg.max_epochs == 72
    assert hrsc.train_dataloader.dataset.type == 'HRSCDataset'
    for name in ('rotated-retinanet-rbox-le135_r50_fpn_6x_hrsc.py',
                 'rotated-atss-le135_r50_fpn_6x_hrsc.py'):
        b = parse(DCFL + name)
        assert b.train_dataloader.dataset.type == 'HRSCDataset'
        assert [t.type for t in b.train_dataloader.dataset.pipeline] == [
            t.type for t in hrsc.train_dataloader.dataset.pipeline]  # same augmentation
        assert b.train_cfg.max_epochs == 72
    atss = parse(DCFL + 'rotated-atss-le135_r50_fpn_6x_hrsc.py').model
    assert atss.bbox_head.type == 'RotatedATSSHead'
    assert atss.train_cfg.assigner.type == 'RotatedATSSAssigner'


# the fields each kind of row may change relative to the config it inherits from
ROW_FIELDS = [
    (r'_lsknet-s_', None),  # checked below
    (r'_r1[05][12]_fpn', {'model.backbone.depth', 'model.backbone.init_cfg.checkpoint'}),
    (r'_(kld|gwd)\.py$', {'model.train_cfg.assigner.measure'}),
    (r'_k16q\d+\.py$', {'model.train_cfg.assigner.topq'}),
    (r'_g[\d.]+\.py$', {'model.train_cfg.assigner.gauss_thr'}),
]


@pytest.mark.parametrize('path', [p for p in configs() if parent_of(p) and any(
    re.search(pat, p) for pat, _ in ROW_FIELDS)])
def test_rows_change_only_their_fields(path):
    cfg = flatten(parse(path).to_dict())
    base = flatten(parse(parent_of(path)).to_dict())
    changed = {k for k in set(cfg) | set(base) if cfg.get(k, '<missing>') != base.get(k,
                                                                                   '<missing>')}
    fields = next(f for pat, f in ROW_FIELDS if re.search(pat, path))
    if fields is None:
        assert changed and all(k.startswith('model.backbone.') or k == 'model.neck.in_channels'
                               for k in changed), changed
        assert cfg['model.backbone.type'] == 'LSKNet' and cfg['model.backbone.arch'] == 's'
    else:
        assert changed == fields, changed
    assert re.search(r'Tables? \d', open(osp.join(ROOT, path)).read())  # names its table


def _build_model(cfg):
    from mmengine.registry import init_default_scope
    from mmrotate.registry import MODELS
    init_default_scope('mmrotate')
    return MODELS.build(cfg)


def test_every_config_builds_its_model():
    """Configs whose models differ only in the assigner share one build; each assigner is
    built. DIOR-R: ReResNet-101's e2cnn bases take about 2 minutes to build on 2 cores, so its
    neck and head are built and the backbone arguments are bound to ReResNet's signature."""
    from mmrotate.models.backbones import ReResNet
    from mmrotate.registry import TASK_UTILS
    built = {}
    for path in configs():
        model_cfg = parse(path).model
        key_cfg = copy.deepcopy(model_cfg.to_dict())
        assigner = key_cfg.get('train_cfg', {}).pop('assigner', None)
        if assigner is not None:
            assert TASK_UTILS.build(assigner) is not None
        if model_cfg.backbone.type == 'ReResNet':
            bb = dict(model_cfg.backbone)
            bb.pop('type')
            inspect.signature(ReResNet).bind(**bb)
            neck = _build_model(model_cfg.neck)
            head = _build_model(dict(model_cfg.bbox_head, train_cfg=model_cfg.train_cfg,
                                     test_cfg=model_cfg.test_cfg))
            assert type(neck).__name__ == 'ReFPN' and type(head).__name__ == 'DCFLHead'
            continue
        key = repr(sorted(flatten(key_cfg).items()))
        if key not in built:
            built[key] = _build_model(model_cfg)
        model = built[key]
        assert type(model.bbox_head).__name__ == model_cfg.bbox_head.type.split('.')[-1]
    assert len(built) >= 8


@pytest.mark.parametrize('path', TABLES, ids=osp.basename)
def test_tables_and_their_synthetic_options(path):
    table = load_table(path)  # run_table's own checks: configs exist, metric names match
    assert table.metrics[0]['key'] == 'dota/mAP' and table.rows
    fmt = table.synthetic_data[0]
    assert table.synthetic_data in (['dota'], ['hrsc'])
    for row in table.rows:
        assert row.get('config') and (row.get('paper') or row.get('note'))
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options'] + list(table.synthetic)).cfg_options
    assert options['model.backbone.init_cfg'] is None
    for config in {r['config'] for r in table.rows}:
        cfg = parse(config)
        cfg.merge_from_dict(options)
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            assert cfg[loader].dataset.data_root == f'data/synthetic/{fmt}/'
            resize = [t for t in cfg[loader].dataset.pipeline if t.type == 'mmdet.Resize']
            assert len(resize) == 1 and max(resize[0].scale) <= 320, (loader, resize)
        if fmt == 'dota':
            assert cfg.train_dataloader.dataset.ann_file == 'train/labelTxt/'
            assert cfg.test_dataloader.dataset.data_prefix.img_path == 'val/images/'
        assert cfg.train_cfg.max_epochs == 1


@pytest.fixture
def one_thread():
    """One torch thread, as under xdist: on a busy 2-core machine two OpenMP threads make this
    run about 5x slower (each small operation waits for the other thread)."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_demo_trains_to_non_zero_map(tmp_path, one_thread):
    from mmext.testing import run_config, synthetic_root
    root = synthetic_root('dota') + '/'
    options = {f'{loader}.dataset.data_root': root
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    metrics = run_config(DEMO, str(tmp_path), cfg_options=options)
    assert metrics['dota/mAP'] > 0.05, metrics


def test_demo_entry():
    demo = parse('configs/demo/dcfl.py')
    (entry, ) = demo.entries
    assert entry.config == DEMO and entry.data == 'dota' and entry.metric == 'dota/mAP'
    assert osp.isfile(osp.join(ROOT, entry.config))
