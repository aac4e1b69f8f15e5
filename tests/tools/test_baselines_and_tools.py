"""Baselines end to end through the tools' code, then test.py / run_table.py on their results."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from mmext.testing import run_config, synthetic_root

BASELINES = {
    'dota': ('configs/baselines/rotated-retinanet-rbox-le90_r18_fpn_synthetic-dota.py',
             'dota/mAP', 0.15),
    'coco': ('configs/baselines/fcos_r18_fpn_gn-head_synthetic-coco.py', 'coco/bbox_mAP', 0.15),
    'seg': ('configs/baselines/upernet_r18_synthetic-seg.py', 'mIoU', 40.0),
}


def data_options(fmt):
    root = synthetic_root(fmt) + '/'
    opts = {f'{loader}.dataset.data_root': root
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    if fmt == 'coco':
        opts['val_evaluator.ann_file'] = root + 'annotations/instances_val2017.json'
        opts['test_evaluator.ann_file'] = root + 'annotations/instances_val2017.json'
    return opts


# The Rotated RetinaNet baseline's 24 epochs are the longest run of the suite (about 2 minutes on
# two idle cores): its learning is what `make demo` reports (every seed, README table); here it
# trains and tests through the tools in test_show_dir_writes_prediction_images, and DCFL's demo
# test learns on the same synthetic DOTA set.
@pytest.mark.parametrize('fmt', ['coco', 'seg'])
def test_baseline_trains_above_chance(tmp_path, fmt):
    config, key, threshold = BASELINES[fmt]
    metrics = run_config(config, str(tmp_path), cfg_options=data_options(fmt))
    # chance: a detector that learned nothing scores ~0 mAP; a segmenter predicting background
    # everywhere scores ~25 mIoU on these 4 classes
    assert metrics[key] > threshold, metrics
    saved = json.load(open(tmp_path / 'test_metrics.json'))
    assert saved['metrics'][key] == pytest.approx(metrics[key])


def test_test_tool_prints_metrics_dumps_and_draws(tmp_path):
    config = 'configs/baselines/toy/toy-linear_synthetic.py'
    run_config(config, str(tmp_path), test=False)
    out = tmp_path / 'preds.pkl'
    proc = subprocess.run([sys.executable, 'tools/test.py', config, str(tmp_path / 'epoch_2.pth'),
                           '--work-dir', str(tmp_path), '--out', str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'toy/mse' in proc.stdout
    assert out.exists()


def test_show_dir_writes_prediction_images(tmp_path):
    config, _, _ = BASELINES['dota']
    options = data_options('dota')
    options.update({'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
                    'train_dataloader.dataset.indices': 4,
                    'default_hooks.checkpoint.interval': 1})
    run_config(config, str(tmp_path), cfg_options=options, show_dir='predictions')
    images = list(tmp_path.glob('*/predictions/*.png'))
    assert len(images) == 8  # every validation image, drawn


def test_run_table_dry_run_and_collect(tmp_path):
    table = 'configs/baselines/tables/synthetic.py'
    proc = subprocess.run([sys.executable, 'tools/run_table.py', table, '--dry-run', '--synthetic',
                           '--work-dir-root', str(tmp_path), '--cfg-options',
                           'train_cfg.max_epochs=1'],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count('tools/train.py') == 3 and proc.stdout.count('tools/test.py') == 3
    assert proc.stdout.count('train_cfg.max_epochs=1 randomness.seed=0') == 6
    # collect-only reads test_metrics.json from the rows' work dirs
    work = tmp_path / 'synthetic' / 'fcos_r18_fpn_gn-head_synthetic-coco'
    work.mkdir(parents=True)
    (work / 'test_metrics.json').write_text(json.dumps({'metrics': {'coco/bbox_mAP': 0.4321}}))
    proc = subprocess.run([sys.executable, 'tools/run_table.py', table, '--collect-only',
                           '--synthetic', '--no-complexity', '--work-dir-root', str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '| FCOS R18 (mmdet) | - | - | - | 43.21 | - | - | - |  |' in proc.stdout
    assert (tmp_path / 'synthetic' / 'tables' / 'baselines_synthetic.md').exists()
