"""MMMC configs: every config builds, each ablation changes its row's fields, the tables are
well formed, and the demo config trains to a clearly non-zero mAP on the synthetic COCO set."""
import glob
import json
import math
import os.path as osp

import pytest
from mmengine.config import Config, DictAction

import mmext  # noqa: F401
from mmext.apis import tables
from mmext.testing import run_config, synthetic_root

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMMC = 'configs/mmmc/'
BASE = MMMC + 'mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
DEMO = MMMC + 'demo/mmmc_r18_fpn_gn-head_synthetic-coco.py'
TABLES = sorted(glob.glob(osp.join(ROOT, MMMC, 'tables', '*.py')))


def model_configs():
    paths = glob.glob(osp.join(ROOT, MMMC, '**', '*.py'), recursive=True)
    return sorted(osp.relpath(p, ROOT) for p in paths if '/tables/' not in p)


def build(cfg):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    return MODELS.build(cfg.model)


def load_table(path):
    return tables.load_table(path)


@pytest.mark.parametrize('path', model_configs())
def test_config_loads_with_real_paths(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet'
    assert cfg.custom_imports['imports'] == ['mmext']
    if '/demo/' not in path:  # real data at its real place, ImageNet init
        assert cfg.train_dataloader.dataset.data_root == 'data/coco/'
        assert cfg.model.backbone.init_cfg.type == 'Pretrained'


def test_rows_change_only_their_fields():
    base = Config.fromfile(BASE)
    head, assigner = base.model.bbox_head, base.model.train_cfg.assigner
    assert (head.type, head.rfa_position, head.quality) == ('RFAFCOSHead', 1, 'giou')
    assert (assigner.type, assigner.topk, assigner.num_levels) == ('APSAssigner', 9, 2)
    assert base.optim_wrapper.optimizer.lr == 0.01 and base.train_cfg.max_epochs == 12

    def row(name):
        return Config.fromfile(MMMC + name + '_r50-caffe_fpn_gn-head_1x_coco.py').model

    centerness = row('mmmc-fcos-centerness')
    assert centerness.train_cfg is None and centerness.bbox_head.rfa_position is None
    assert centerness.bbox_head.quality == 'centerness'
    giou = row('mmmc-fcos-giou')
    assert giou.train_cfg is None and giou.bbox_head.rfa_position is None
    assert giou.bbox_head.quality == 'giou'
    assert row('mmmc-rfa').train_cfg is None and row('mmmc-rfa').bbox_head.rfa_position == 1
    assert row('mmmc-aps').bbox_head.rfa_position is None
    assert row('mmmc-aps').train_cfg.assigner.type == 'APSAssigner'
    for p in (2, 3, 4):
        assert row(f'mmmc-rfa-pos{p}').bbox_head.rfa_position == p
    for standard in ('cls', 'reg', 'comb'):  # Table 1: FCOS* with APS's scale step alone
        fcos = row(f'mmmc-fcos-scale-{standard}')
        assert fcos.bbox_head.rfa_position is None and fcos.bbox_head.quality == 'centerness'
        assert fcos.train_cfg.assigner.scale_standard == standard
        assert fcos.train_cfg.assigner.use_spatial is False
    official = row('mmmc-official')
    assert official.train_cfg.assigner.official is True and official.bbox_head.rfa_position == 4
    assert row('mmmc-scale-only').train_cfg.assigner.use_spatial is False
    assert row('mmmc-spatial-only').train_cfg.assigner.use_scale is False
    r101 = Config.fromfile(MMMC + 'mmmc_r101-caffe_fpn_gn-head_ms-480-960-2x_coco.py')
    assert r101.model.backbone.depth == 101 and r101.train_cfg.max_epochs == 24
    resize = [t for t in r101.train_pipeline if 'Resize' in t['type']]  # released 480-960
    assert resize == [dict(type='RandomResize', scale=[(1333, 480), (1333, 960)], keep_ratio=True)]
    assert r101.model.train_cfg.assigner.type == 'APSAssigner'


def test_models_build():
    from mmcv.ops import ModulatedDeformConv2dPack
    model = build(Config.fromfile(BASE))
    head = model.bbox_head
    assert type(head).__name__ == 'RFAFCOSHead' and head.assigner is not None
    assert isinstance(head.cls_convs[0].conv, ModulatedDeformConv2dPack)
    fcos = build(Config.fromfile(MMMC + 'mmmc-fcos-centerness_r50-caffe_fpn_gn-head_1x_coco.py'))
    assert fcos.bbox_head.assigner is None and not fcos.bbox_head.rfa_convs()


@pytest.mark.parametrize('path', TABLES, ids=osp.basename)
def test_tables_and_their_synthetic_options(path):
    table = load_table(path)  # run_table's own checks: configs exist, metric names match
    assert table.synthetic_data == ['coco'] and table.rows
    names = [m['name'] for m in table.metrics]
    for row in table.rows:
        assert row.get('paper') and set(row['paper']) == set(names)
        assert row.get('config') or row.get('note')
    # the synthetic options parse as tools/train.py parses them and apply to every row config
    parser = __import__('argparse').ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options'] + list(table.synthetic)
                                + list(table.get('synthetic_extra', []))).cfg_options
    assert options['model.backbone.init_cfg'] is None
    assert options['train_dataloader.dataset.metainfo.classes'] == [
        'disc', 'square', 'triangle', 'hexagon']
    for config in {r['config'] for r in table.rows if r.get('config')}:
        cfg = Config.fromfile(config)
        cfg.merge_from_dict(options)
        assert cfg.model.bbox_head.num_classes == 4 and cfg.model.backbone.depth == 18
        assert cfg.test_dataloader.dataset.data_root == 'data/synthetic/coco/'


def test_demo_trains_to_non_zero_map_and_records_loss_gap(tmp_path):
    root = synthetic_root('coco') + '/'
    options = {f'{loader}.dataset.data_root': root
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    options['val_evaluator.ann_file'] = root + 'annotations/instances_val2017.json'
    options['test_evaluator.ann_file'] = root + 'annotations/instances_val2017.json'
    options['custom_hooks'] = [dict(type='LossGapHook', record_iters=[0, 40], window=8)]
    metrics = run_config(DEMO, str(tmp_path), cfg_options=options)
    assert metrics['coco/bbox_mAP'] > 0.15, metrics
    records = json.load(open(tmp_path / 'loss_gap.json'))
    assert [r['iter'] for r in records] == [0, 40]
    for r in records:
        assert r['num_instances'] > 0 and math.isfinite(r['loss_gap'])
        assert 0 <= r['loss_gap'] <= r['loss_sum']


REALISTIC_COCO = dict(num_train=8, num_val=4, img_size=(192, 108), tiny_objects=4, zero_area=1,
                      out_of_image=1, crowded_images=1, crowd_size=200, empty_images=1)


def test_trains_and_tests_on_realistic_synthetic_coco(tmp_path):
    """MMMC end to end on 16:9 images with objects below the smallest stride, zero-area and
    out-of-image annotations, a crowded image (200 tiny objects) and an empty image: one epoch
    trains with finite losses and the test evaluates (issue 11). The official mode's head and
    assigner on such gts: tests/models/test_rfa_fcos_head.py and test_mmmc_fuzz.py."""
    root = synthetic_root('coco', **REALISTIC_COCO) + '/'
    options = {f'{loader}.dataset.data_root': root
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    options['val_evaluator.ann_file'] = root + 'annotations/instances_val2017.json'
    options['test_evaluator.ann_file'] = root + 'annotations/instances_val2017.json'
    options['train_cfg.max_epochs'] = 1
    options['train_cfg.val_interval'] = 2  # no validation: the test follows
    options['default_hooks.checkpoint.interval'] = 1
    options['train_dataloader.dataset.filter_cfg'] = dict(filter_empty_gt=False)
    options['model.test_cfg.score_thr'] = 0.0  # one epoch scores below 0.05: keep its boxes
    metrics = run_config(DEMO, str(tmp_path), cfg_options=options)
    assert math.isfinite(metrics['coco/bbox_mAP']) and metrics['coco/bbox_mAP'] >= 0
    logs = glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))
    losses = [json.loads(line) for line in open(logs[0])]
    assert losses and all(math.isfinite(r['loss']) for r in losses if 'loss' in r)


def test_realistic_generator_options():
    import numpy as np
    root = synthetic_root('coco', **REALISTIC_COCO)
    ann = json.load(open(osp.join(root, 'annotations', 'instances_train2017.json')))
    assert {(i['width'], i['height']) for i in ann['images']} == {(192, 108)}
    per_image = np.bincount([a['image_id'] for a in ann['annotations']], minlength=9)
    assert per_image[2] >= 200 and per_image[8] == 0  # crowded second image, empty last one
    boxes = np.array([a['bbox'] for a in ann['annotations']])
    assert (boxes[:, 2] * boxes[:, 3] == 0).sum() >= 6  # zero-area annotations
    assert ((np.maximum(boxes[:, 2], boxes[:, 3]) < 8) & (boxes[:, 2] > 0)).sum() >= 200
    outside = (boxes[:, 0] < 0) | (boxes[:, 1] < 0) | (boxes[:, 0] + boxes[:, 2] > 192) | (
        boxes[:, 1] + boxes[:, 3] > 108)
    assert outside.sum() >= 6


def test_loss_gap_tables_read_the_hook_records_of_their_rows():
    """Tables 4-5: both rows train with LossGapHook at the paper's iterations (one epoch each),
    the columns are the hook's records in order, and the two tables share their runs."""
    t4, t5 = (load_table(osp.join(MMMC, 'tables', f'table{i}.py')) for i in (4, 5))
    assert [r['config'] for r in t4.rows] == [r['config'] for r in t5.rows]
    for table, key in ((t4, 'loss_gap'), (t5, 'loss_sum')):
        assert [(m['name'], m['key'], m['file'], m['index']) for m in table.metrics] == [
            (f'{k}k', key, 'loss_gap.json', i) for i, k in enumerate((15, 30, 45, 60, 75))]
    base, rfa = (Config.fromfile(r['config']) for r in t4.rows)
    for cfg in (base, rfa):
        assert cfg.model.train_cfg is None  # FCOS assignment, as Table 2's rows
        assert cfg.custom_hooks == [dict(type='LossGapHook',
                                         record_iters=[15000, 30000, 45000, 60000, 75000])]
        # the last window (one epoch of 117266 / 16 images) ends before 12 epochs do
        assert 75000 + math.ceil(117266 / 16) <= cfg.train_cfg.max_epochs * (117266 // 16)
    assert base.model.bbox_head.rfa_position is None and rfa.model.bbox_head.rfa_position == 1
    assert base.model.bbox_head.quality == rfa.model.bbox_head.quality == 'giou'
    # --synthetic: 5 one-iteration windows inside 2 epochs of 8 images at batch 2
    parser = __import__('argparse').ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options'] + list(t4.synthetic)
                                + list(t4.synthetic_extra)).cfg_options
    rfa.merge_from_dict(options)
    hook = rfa.custom_hooks[0]
    assert (hook.record_iters, hook.window) == ([0, 1, 2, 3, 4], 1)
    iters = rfa.train_cfg.max_epochs * 8 // rfa.train_dataloader.batch_size
    assert max(hook.record_iters) + hook.window <= iters
