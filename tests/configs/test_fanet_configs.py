"""configs/fanet: every config builds, the ablation configs change only their row, the tables
point at real configs, and two short end-to-end runs (UperNet + FANet on synthetic ZeroWaste-f,
an mmpretrain FANet classifier on a synthetic ImageNet folder)."""
import copy
import functools
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

import mmext  # noqa: F401
from mmext.testing import run_config, synthetic_root

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'fanet')
MAIN = osp.join(CFG, 'upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py')
SEG_DEMO = osp.join(CFG, 'demo', 'upernet_fanet-mini_1xb4-400iter_synthetic-zerowaste-f.py')
CLS_DEMO = osp.join(CFG, 'demo', 'fanet-mini_1xb8-12e_synthetic-imagenet.py')
CONFIGS = sorted(glob.glob(osp.join(CFG, '*.py')) + glob.glob(osp.join(CFG, 'demo', '*.py')))
TABLE2 = {  # row -> (config suffix, use_scm, use_frm_high, use_frm_low)
    1: ('-ce-baseline', False, False, False),
    2: ('-scm', True, False, False),
    3: ('-frm-high', False, True, False),
    4: ('-frm-low', False, False, True),
    5: ('-frm', False, True, True),
}


def _build_model(cfg):
    """Build ``cfg.model`` on the meta device (structure and sizes only, no memory)."""
    import torch
    from mmengine.registry import DefaultScope
    if cfg.default_scope == 'mmseg':
        from mmseg.registry import MODELS
    else:
        from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope), torch.device('meta'):
        return MODELS.build(cfg.model)


@functools.lru_cache(maxsize=None)
def _main_cfg_dict():
    return Config.fromfile(MAIN).to_dict()


def test_config_tree_is_complete():
    names = {osp.basename(p) for p in CONFIGS}
    for suffix, *_ in TABLE2.values():
        assert f'upernet_fanet-t{suffix}_1xb2-40k_zerowaste-f-512x512.py' in names
        assert f'fanet-t{suffix}_16xb80_in1k.py' in names
    assert len(CONFIGS) == 19  # 10 ZeroWaste-f, 7 ImageNet, 2 demo


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, CFG))
def test_config_parses_with_mmext_import_and_scope(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(imports=['mmext'], allow_failed_imports=False)
    assert cfg.default_scope == ('mmpretrain' if 'in1k' in path or 'imagenet' in path else 'mmseg')
    if cfg.default_scope == 'mmseg':
        assert cfg.model.decode_head.num_classes == 5
        assert cfg.test_dataloader.dataset.type == 'ZeroWasteDataset'
        assert 'test' in cfg.test_dataloader.dataset.data_prefix.img_path  # paper: test split
        if 'demo' not in path:
            assert cfg.train_dataloader.dataset.data_root == 'data/zerowaste-f/'


def test_paper_recipe():
    cfg = Config.fromfile(MAIN)
    assert cfg.optim_wrapper.optimizer.type == 'AdamW' and cfg.optim_wrapper.optimizer.lr == 9e-5
    assert cfg.param_scheduler == [dict(type='PolyLR', power=1.0, eta_min=0.0, begin=0,
                                        end=40000, by_epoch=False)]
    assert cfg.train_cfg.max_iters == 40000 and cfg.train_dataloader.batch_size == 2
    assert cfg.crop_size == (512, 512) and cfg.model.data_preprocessor.size == (512, 512)
    assert cfg.model.auxiliary_head.type == 'FCNHead' and cfg.model.auxiliary_head.in_index == 2
    assert cfg.model.decode_head.norm_cfg.type == 'BN'
    official = Config.fromfile(MAIN.replace('_1xb2-40k', '_1xb2-warmup-poly0.95-40k'))
    assert [s['type'] for s in official.param_scheduler] == ['LinearLR', 'PolyLR']
    assert official.param_scheduler[1]['power'] == 0.95
    cls = Config.fromfile(osp.join(CFG, 'fanet-t_16xb80_in1k.py'))
    assert cls.optim_wrapper.optimizer.lr == 1e-3
    assert cls.optim_wrapper.optimizer.weight_decay == 0.05
    assert cls.train_cfg.max_epochs == 300


@pytest.mark.parametrize('row', sorted(TABLE2))
def test_ablation_configs_change_only_their_row(row):
    suffix, scm, high, low = TABLE2[row]
    base = copy.deepcopy(_main_cfg_dict())
    cfg = Config.fromfile(MAIN.replace('fanet-t_', f'fanet-t{suffix}_'))
    abl = cfg.to_dict()
    assert abl['model']['backbone'].pop('afe_cfg') == dict(use_scm=scm, use_frm_high=high,
                                                           use_frm_low=low)
    assert abl['model']['backbone']['init_cfg'].pop('checkpoint') == \
        f'checkpoints/fanet-t{suffix}_in1k.pth'
    base['model']['backbone']['init_cfg'].pop('checkpoint')
    assert abl == base
    backbone = _build_model(cfg).backbone
    attn = backbone.stages[2][3].attn
    assert hasattr(attn, 'ctx_conv') == scm and hasattr(attn, 'enhance') == (high or low)
    pre = Config.fromfile(osp.join(CFG, f'fanet-t{suffix}_16xb80_in1k.py'))
    assert pre.model.backbone.afe_cfg == dict(use_scm=scm, use_frm_high=high, use_frm_low=low)


def test_models_build_with_expected_sizes():
    def count(m):
        return sum(p.numel() for p in m.parameters())

    cfg = Config.fromfile(MAIN)
    assert count(_build_model(cfg).backbone) == 35_951_328
    cls = _build_model(Config.fromfile(osp.join(CFG, 'fanet-t_16xb80_in1k.py')))
    assert count(cls) == 36_721_864  # paper Table 4: 36.7 M
    focal = _build_model(Config.fromfile(osp.join(CFG, 'focalnet-t_16xb80_in1k.py')))
    assert round(count(focal) / 1e6, 1) == 28.6
    seg_focal = _build_model(Config.fromfile(
        osp.join(CFG, 'upernet_focalnet-b_1xb2-40k_zerowaste-f-512x512.py')))
    assert seg_focal.backbone.embed_dims == [128, 256, 512, 1024]
    assert seg_focal.backbone.layers[0].blocks[0].modulation.kernel_sizes == [9, 11, 13]
    deeplab = Config.fromfile(
        osp.join(CFG, 'deeplabv3plus_r101-d16-mg124_2xb20-10k_zerowaste-f-512x1024.py'))
    assert deeplab.model.backbone.depth == 101 and deeplab.train_cfg.max_iters == 10000
    # matched to the ZeroWaste detectron2 run (header): no auxiliary head, 256-channel head,
    # last-stage dilations 2*(1, 2, 4), no decay on norms and 1e-4 on biases, test resize
    assert deeplab.model.auxiliary_head is None and deeplab.model.decode_head.channels == 256
    assert deeplab.model.backbone.multi_grid == (2, 4, 8)
    paramwise = deeplab.optim_wrapper.paramwise_cfg
    assert paramwise.norm_decay_mult == 0
    assert deeplab.optim_wrapper.optimizer.weight_decay * paramwise.bias_decay_mult == \
        pytest.approx(1e-4)
    assert deeplab.test_pipeline[1] == dict(type='Resize', scale=(2048, 1024), keep_ratio=False)
    assert [t['type'] for t in deeplab.train_pipeline].count('RandomRotate') == 1
    built = _build_model(deeplab)
    assert not built.with_auxiliary_head
    assert [b.conv2.dilation for b in built.backbone.layer4] == [(2, 2), (4, 4), (8, 8)]


def test_tables_point_at_configs_with_paper_numbers():
    from mmext.apis import tables as run_table
    tables = {osp.basename(p): run_table.load_table(p)
              for p in sorted(glob.glob(osp.join(CFG, 'tables', '*.py')))}
    assert len(tables) == 4
    for name, table in tables.items():
        for row in table.rows:
            assert row.get('config') or row.get('note'), (name, row['label'])
        if name not in ('table4_imagenet.py', 'table2_ablation.py'):
            fanet = [r for r in table.rows if r.get('config') == osp.relpath(MAIN, ROOT)][-1]
            assert fanet['paper'] == {'mIoU': 54.89, 'Pix. Acc.': 91.41}
            assert 'synthetic' in table and table.synthetic_data == ['zerowaste']
    t1 = tables['table1_zerowaste_sota.py']
    assert [r['config'] for r in t1.rows[:2]] == [None, None]  # CCT, ReCo: semi-supervised
    assert all('semi-supervised' in r['note'] for r in t1.rows[:2])
    t2 = tables['table2_ablation.py']
    seg = [r for r in t2.rows if r['key'].startswith('seg-')]
    assert [r['paper']['mIoU'] for r in seg] == [38.15, 47.66, 49.03, 43.99, 50.45, 54.89]
    assert seg[-1]['config'] == osp.relpath(MAIN, ROOT)
    assert sorted(t2.synthetic_data) == ['imagenet', 'zerowaste']
    t4 = tables['table4_imagenet.py']
    assert [r['paper']['Top-1'] for r in t4.rows] == [82.3, 82.5]
    assert t4.synthetic_data == ['imagenet']
    demo = Config.fromfile(osp.join(ROOT, 'configs', 'demo', 'fanet.py'))
    assert demo.entries[0]['config'] == osp.relpath(SEG_DEMO, ROOT)
    assert demo.entries[0]['data'] == 'zerowaste' and demo.entries[0]['metric'] == 'mIoU'


@pytest.fixture(scope='module', autouse=True)
def _one_torch_thread():
    """The training runs use one intra-op thread (2 cores are shared by the test workers)."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _data_roots(root):
    return {f'{loader}.dataset.data_root': root + '/'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}


@pytest.fixture(scope='module')
def seg_run(tmp_path_factory):
    """A short UperNet + reduced-width FANet training on synthetic ZeroWaste-f."""
    root = synthetic_root('zerowaste')
    work_dir = str(tmp_path_factory.mktemp('fanet_seg'))
    options = dict(_data_roots(root), **{'train_cfg.max_iters': 120})
    metrics = run_config(SEG_DEMO, work_dir, cfg_options=options)
    return root, work_dir, metrics


def test_segmentation_training_reaches_nonzero_miou(seg_run):
    _, work_dir, metrics = seg_run
    assert set(metrics) >= {'mIoU', 'aAcc'}
    # 5 classes; predicting only the majority class would give mIoU <= 20 (one class at best)
    assert metrics['mIoU'] > 30, metrics
    assert osp.isfile(osp.join(work_dir, 'test_metrics.json'))


def test_frm_visualiser_writes_fig6_panels(seg_run, tmp_path):
    root, work_dir, _ = seg_run
    from mmext.visualization import visualize_frm
    from mmext.apis import latest_checkpoint
    test_dir = osp.join(root, 'splits_final_deblurred', 'test')
    name = sorted(os.listdir(osp.join(test_dir, 'data')))[0]
    paths = visualize_frm(SEG_DEMO, latest_checkpoint(work_dir), osp.join(test_dir, 'data', name),
                          str(tmp_path / 'vis'), gt=osp.join(test_dir, 'sem_seg', name),
                          stage=2, cfg_options=_data_roots(root))
    assert sorted(paths) == ['a_image', 'b_frm_input', 'c_frm_R', 'd_frm_S', 'e_frm_output',
                             'f_prediction', 'g_ground_truth']
    image = cv2.imread(paths['a_image'])
    panels = {k: cv2.imread(p) for k, p in paths.items()}
    assert all(p.shape == image.shape for p in panels.values())
    assert not np.array_equal(panels['c_frm_R'], panels['d_frm_S'])


def test_mmpretrain_classification_on_imagenet_folder(tmp_path):
    root = synthetic_root('imagenet')
    metrics = run_config(CLS_DEMO, str(tmp_path), cfg_options=_data_roots(root))
    # 4 classes, 1000-way head: chance is 25 % at best
    assert metrics['accuracy/top1'] > 75, metrics


def test_table2_pretrains_each_ablation_backbone_before_its_upernet_row():
    """Table 2 (Sec. 4.5): every ablation backbone is pre-trained on ImageNet with its own
    switches, and its UperNet row starts from that checkpoint; with --synthetic each row trains
    on its own synthetic set and the UperNet row's backbone init comes from the parent only."""
    from mmext.apis import tables
    path = osp.join(CFG, 'tables', 'table2_ablation.py')
    table = tables.load_table(path)
    pre = {r['key']: r for r in table.rows if r['key'].startswith('in1k-')}
    seg = [r for r in table.rows if r['key'].startswith('seg-')]
    assert len(pre) == len(seg) == 6
    for row in seg:
        parent = pre[row['init_from']['row']]
        assert row['init_from']['field'] == 'model.backbone.init_cfg'
        # the same switches on both sides of the chain
        infix = row['config'].split('upernet_fanet-t')[1].split('_1xb2')[0]
        assert parent['config'] == f'configs/fanet/fanet-t{infix}_16xb80_in1k.py'
        a = Config.fromfile(osp.join(ROOT, parent['config'])).model.backbone
        b = Config.fromfile(osp.join(ROOT, row['config'])).model.backbone
        assert a.get('afe_cfg', {}) == b.get('afe_cfg', {}), row['label']
        afe = a.get('afe_cfg', {})
        switches = tuple(afe.get(k, True) for k in ('use_scm', 'use_frm_high', 'use_frm_low'))
        assert {'ce-baseline': (False, False, False), 'scm': (True, False, False),
                'frm-high': (False, True, False), 'frm-low': (False, False, True),
                'frm': (False, True, True), 'full': (True, True, True)}[row['key'][4:]] \
            == switches, row['key']
    plan = tables.plan_table(table, path, synthetic=True, work_dir_root='wd')
    runs = {table.rows[r.rows[0]]['key']: r for r in plan.runs}
    assert [table.rows[r.rows[0]]['key'] for r in plan.runs].index('in1k-full') < \
        [table.rows[r.rows[0]]['key'] for r in plan.runs].index('seg-full')
    pre_opts, seg_opts = runs['in1k-full'].options, runs['seg-full'].options
    assert 'train_dataloader.dataset.data_root=data/synthetic/imagenet/' in pre_opts
    assert 'train_dataloader.dataset.data_root=data/synthetic/zerowaste/' in seg_opts
    assert not any(o.startswith('model.backbone.init_cfg') for o in seg_opts)
    assert runs['seg-full'].parent is runs['in1k-full']
    assert runs['seg-full'].init_options('x.pth') == [
        'model.backbone.init_cfg.type=Pretrained', 'model.backbone.init_cfg.checkpoint=x.pth',
        'model.backbone.init_cfg.prefix=backbone.']
