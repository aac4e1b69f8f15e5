"""Short YOLOv8 and YOLOv8-seg train + test runs (tools' code path) on synthetic road assets
like real ones: 16:9 (det) and portrait (seg) frames, boxes below the smallest stride,
zero-area labels (skipped), empty images and a crowded scene; the run trains at a non-square
img_scale set on the command line. Losses stay finite and the test metrics come out."""
import json
import math
import os.path as osp

import pytest

import mmext  # noqa: F401
from mmext.testing import run_config, synthetic_root

DEMO_DET = 'configs/rgfl/demo/yolov8_tiny_rgfl_synthetic-road-assets.py'
DEMO_SEG = 'configs/rgfl/demo/yolov8-seg_tiny_rgfl_synthetic-road-assets.py'


def options(root, img_scale):
    opts = {'img_scale': img_scale, 'train_cfg.max_epochs': 2,
            'custom_hooks.1.close_mosaic_epochs': 1,  # epoch 0 mosaic, epoch 1 letterbox
            'train_dataloader.batch_size': 2, 'val_dataloader.batch_size': 2,
            'test_dataloader.batch_size': 2, 'randomness.seed': 0,
            'default_hooks.logger.interval': 1}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts[f'{loader}.dataset.data_root'] = root + '/'
        opts[f'{loader}.dataset.degenerate_labels'] = 'skip'
    return opts


def logged_losses(work_dir):
    import glob
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    rows = [json.loads(line) for line in open(path)]
    return [{k: v for k, v in r.items() if k.startswith('loss')} for r in rows if 'loss' in r]


@pytest.mark.parametrize('config,fmt,size,img_scale', [
    (DEMO_DET, 'yolo', (192, 108), (192, 128)),
    (DEMO_SEG, 'yolo_seg', (108, 192), (128, 192)),
], ids=['det-16:9', 'seg-portrait'])
def test_short_run_on_realistic_data(tmp_path, config, fmt, size, img_scale):
    root = synthetic_root(fmt, seed=2, num_train=6, num_val=3, img_size=size, tiny_objects=2,
                          zero_area_objects=1, empty_images=1)
    with pytest.warns(UserWarning, match='zero-area'):
        metrics = run_config(config, str(tmp_path), cfg_options=options(root, img_scale))
    losses = logged_losses(str(tmp_path))
    assert len(losses) >= 4  # 3 iterations x 2 epochs, logged each
    assert all(math.isfinite(v) and v >= 0 for row in losses for v in row.values()), losses
    key = 'prf1/segm_mAP50' if fmt == 'yolo_seg' else 'prf1/bbox_mAP50'
    assert key in metrics and 0 <= metrics[key] <= 1 and math.isfinite(metrics[key])


def test_crowded_scene_trains(tmp_path):
    root = synthetic_root('yolo', seed=0, num_train=2, num_val=1, img_size=(320, 180),
                          min_objects=150, max_objects=250, object_area=(1e-4, 5e-4))
    opts = options(root, (320, 192))
    opts['train_cfg.max_epochs'] = 1
    run_config(DEMO_DET, str(tmp_path), cfg_options=opts, test=False)
    losses = logged_losses(str(tmp_path))
    assert losses and all(math.isfinite(v) for row in losses for v in row.values())
