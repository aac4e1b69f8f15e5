"""Refined-GFL configs: every config loads with real paths, each size / loss config changes only
its fields, the tables are well formed (the paper's F1 = 2PR/(P+R)), the real recipe's pipeline
produces training-size mosaics with aligned masks, and short detection and segmentation runs on
the synthetic road assets reach clearly non-zero mAP."""
import argparse
import glob
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config, DictAction

import mmext  # noqa: F401
from mmext.apis import tables
from mmext.testing import run_config, synthetic_root

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RGFL = 'configs/rgfl/'
DET = RGFL + 'yolov8_{}_{}_1xb16-100e_road-assets.py'
SEG = RGFL + 'yolov8-seg_{}_{}_1xb16-100e_road-assets-seg.py'
DEMO_DET = RGFL + 'demo/yolov8_tiny_rgfl_synthetic-road-assets.py'
DEMO_SEG = RGFL + 'demo/yolov8-seg_tiny_rgfl_synthetic-road-assets.py'
TABLES = sorted(glob.glob(osp.join(ROOT, RGFL, 'tables', '*.py')))
SIZES = {'n': [64, 128, 256], 's': [128, 256, 512], 'm': [192, 384, 576],
         'l': [256, 512, 512], 'x': [320, 640, 640]}


def model_configs():
    paths = glob.glob(osp.join(ROOT, RGFL, '**', '*.py'), recursive=True)
    return sorted(osp.relpath(p, ROOT) for p in paths if '/tables/' not in p)


def load_table(path):
    return tables.load_table(path)


@pytest.mark.parametrize('path', model_configs())
def test_config_loads_with_real_paths(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet' and cfg.custom_imports['imports'] == ['mmext']
    seg = 'seg' in osp.basename(path)
    assert cfg.model.bbox_head.num_classes == (5 if seg else 7)
    assert cfg.test_evaluator.type == 'DetPRF1Metric'
    if '/demo/' not in path:
        assert cfg.train_dataloader.dataset.data_root == ('data/road_assets_seg/' if seg
                                                          else 'data/road_assets/')
        assert cfg.train_dataloader.dataset.type == ('RoadAssetInsSegDataset' if seg
                                                     else 'RoadAssetDataset')
        # the YOLOv8 recipe
        types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
        assert types[2:6] == ['YOLOv8CachedMosaic', 'YOLOv8RandomAffine', 'YOLOXHSVRandomAug',
                              'RandomFlip']
        hooks = {h['type']: h for h in cfg.custom_hooks}
        assert hooks['EMAHook']['ema_type'] == 'ExpMomentumEMA'
        assert hooks['YOLOv8CloseMosaicHook']['close_mosaic_epochs'] == 10  # of max_epochs
        assert cfg.optim_wrapper.optimizer.type == 'AdamW'
        assert cfg.optim_wrapper.optimizer.lr == round(0.002 * 5 / (4 + (5 if seg else 7)), 6)
        assert cfg.optim_wrapper.accumulative_counts == 4  # nominal batch 64


def test_sizes_and_losses_change_only_their_fields():
    base = Config.fromfile(DET.format('s', 'rgfl'))
    head = base.model.bbox_head
    assert (head.loss_cls.type, head.loss_cls.beta, head.cls_target) == (
        'RefinedQualityFocalLoss', 2.0, 'iou')
    assert (head.loss_bbox.type, head.loss_dfl.type, head.reg_max) == (
        'YOLOv8CIoULoss', 'DistributionFocalLoss', 16)
    assert head.loss_bbox.aspect_iou_gate is None  # Ultralytics: no IoU gate on the aspect term
    assert head.monitor_cls.cls_bce.type == 'CrossEntropyLoss'
    # Ultralytics clips at 10 a gradient 16 (batch) x 4 (accumulation) times mmengine's
    assert base.optim_wrapper.clip_grad.max_norm == pytest.approx(10 / 64)
    assert base.default_hooks.checkpoint.save_best == 'prf1/fitness'

    def without(cfg, *keys):
        d = cfg.to_dict()
        for key in keys:
            parent = d
            *path, last = key.split('.')
            for p in path:
                parent = parent[p]
            parent.pop(last)
        return d

    size_keys = ('model.backbone.arch', 'model.neck.in_channels', 'model.neck.num_csp_blocks',
                 'model.bbox_head.in_channels')
    loss_keys = ('model.bbox_head.loss_cls', 'model.bbox_head.cls_target',
                 'model.bbox_head.monitor_cls')
    for size, channels in SIZES.items():
        rgfl = Config.fromfile(DET.format(size, 'rgfl'))
        assert rgfl.model.backbone.arch == size and rgfl.model.neck.in_channels == channels
        assert rgfl.model.bbox_head.in_channels == channels
        assert without(rgfl, *size_keys) == without(base, *size_keys)
        bce = Config.fromfile(DET.format(size, 'bce'))
        assert (bce.model.bbox_head.loss_cls.type, bce.model.bbox_head.cls_target) == (
            'CrossEntropyLoss', 'assigned')
        assert bce.model.bbox_head.loss_cls.loss_weight == 0.5
        assert without(bce, *loss_keys) == without(rgfl, *loss_keys)
        # each row logs the other loss on one scale (no gradient)
        assert set(bce.model.bbox_head.monitor_cls) == {'cls_qfl'}
        focal = Config.fromfile(DET.format(size, 'focal'))  # Formula 1 as printed
        assert (focal.model.bbox_head.cls_target, focal.model.bbox_head.loss_cls.alpha) == (
            'hard', 0.25)
        assert without(focal, *loss_keys) == without(rgfl, *loss_keys)
        seg = Config.fromfile(SEG.format(size, 'rgfl'))
        assert seg.model.bbox_head.type == 'YOLOv8InsHead'
        assert seg.model.bbox_head.proto_channels == channels[0]
        assert seg.model.bbox_head.loss_mask.type == 'FocalLoss'


def test_models_build_from_configs():
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    det = MODELS.build(Config.fromfile(DET.format('n', 'rgfl')).model)
    assert type(det.bbox_head).__name__ == 'YOLOv8Head' and det.bbox_head.assigner.topk == 10
    seg = MODELS.build(Config.fromfile(SEG.format('n', 'rgfl')).model)
    assert type(seg.bbox_head).__name__ == 'YOLOv8InsHead' and seg.bbox_head.num_protos == 32


@pytest.mark.parametrize('path', TABLES, ids=osp.basename)
def test_tables(path):
    table = load_table(path)  # run_table's checks: configs exist, metric names match
    for row in table.rows:
        paper = row.get('paper')
        if paper:  # the paper's F1 column is 2PR / (P + R)
            p, r = paper['Precision'], paper['Recall']
            assert abs(2 * p * r / (p + r) - paper['F1-Score']) < 0.01
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options'] + list(table.synthetic)).cfg_options
    fmt = table.synthetic_data[0]
    for config in {r['config'] for r in table.rows}:
        cfg = Config.fromfile(osp.join(ROOT, config))
        cfg.merge_from_dict(options)
        assert cfg.test_dataloader.dataset.data_root == f'data/synthetic/{fmt}/'
        assert cfg.train_dataloader.dataset.ann_file == 'labels/train/'
    if 'variants' in path:
        assert [r['label'] for r in table.rows] == [f'YOLOv8{s}' for s in 'nsmlx']
        assert table.rows[-1]['paper']['mAP50-95'] == 60.84


def test_real_recipe_pipeline_makes_training_size_mosaics():
    """The paper config's train pipeline on YOLO polygons: 640 x 640 mosaics whose boxes are
    the tight boxes of their masks."""
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(SEG.format('s', 'rgfl'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=synthetic_root('yolo_seg'), ann_file='labels/train/')
    dataset = DATASETS.build(ds_cfg)
    for i in range(6):  # the first samples too (no cache-filling pass-through)
        out = dataset[i]
        assert tuple(out['inputs'].shape) == (3, 640, 640)
        gt = out['data_samples'].gt_instances
        masks = gt.masks.masks
        assert masks.shape[1:] == (640, 640) and len(masks) == len(gt.bboxes)
        for box, mask in zip(gt.bboxes.tensor.numpy(), masks):
            ys, xs = np.nonzero(mask)
            assert np.allclose(box, [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], atol=1)


def short(options, data_root):
    options = dict(options)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.dataset.data_root'] = data_root + '/'
    options.update({'train_cfg.max_epochs': 10, 'train_cfg.val_interval': 10,
                    'custom_hooks.1.switch_epoch': 2, 'param_scheduler.1.end': 10,
                    'default_hooks.checkpoint.interval': 10, 'randomness.seed': 0})
    return options


def test_short_detection_run_reaches_non_zero_map(tmp_path):
    metrics = run_config(DEMO_DET, str(tmp_path), cfg_options=short({}, synthetic_root('yolo')))
    assert metrics['prf1/bbox_mAP50'] > 0.1, metrics
    assert 0 < metrics['prf1/bbox_F1'] <= 1


def test_short_segmentation_run_reaches_non_zero_mask_map(tmp_path):
    metrics = run_config(DEMO_SEG, str(tmp_path),
                         cfg_options=short({}, synthetic_root('yolo_seg')))
    assert metrics['prf1/segm_mAP50'] > 0.1, metrics
    assert metrics['prf1/bbox_mAP50'] > 0.1, metrics


def test_every_config_clips_where_ultralytics_clips():
    """Ultralytics clips at 10 a gradient batch x accumulation times mmengine's, so each config's
    threshold times its own batch and accumulation is 10 (the tiny demos: batch 4, no
    accumulation, 2.5; inheriting the paper's 10 / 64 would clip 16 times harder)."""
    for path in model_configs():
        cfg = Config.fromfile(path)
        ow = cfg.optim_wrapper
        product = (ow.clip_grad.max_norm * cfg.train_dataloader.batch_size
                   * ow.get('accumulative_counts', 1))
        assert product == pytest.approx(10.0), path
