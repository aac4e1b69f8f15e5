"""Refined-GFL configs define max_epochs, img_scale and the classes once: an override on the
command line carries what is derived from it (lr schedule end, close-mosaic epoch, validation
interval, every pipeline's size, the class check), read when the run starts."""
import json
import os.path as osp
import shutil

import pytest

import mmext  # noqa: F401
from mmext import apis
from mmext.testing import synthetic_root

DET = 'configs/rgfl/yolov8_n_rgfl_1xb16-100e_road-assets.py'
SEG = 'configs/rgfl/yolov8-seg_n_rgfl_1xb16-100e_road-assets-seg.py'


def data_options(root):
    opts = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        split = 'train' if loader.startswith('train') else 'val'
        opts.update({f'{loader}.dataset.data_root': root + '/',
                     f'{loader}.dataset.ann_file': f'labels/{split}/',
                     f'{loader}.dataset.data_prefix.img': f'images/{split}/',
                     f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False})
    return opts


def started_runner(config, options, work_dir):
    """A runner of ``config`` built as tools/train.py builds it, with its loops, optimizer and
    schedulers built and the before_run / before_train hooks called (no iteration)."""
    from mmengine.runner import Runner
    cfg = apis.load_config(config, options)
    cfg = apis.setup_train_cfg(cfg, config, work_dir=str(work_dir))
    runner = Runner.from_cfg(cfg)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(runner.param_schedulers)
    runner._val_loop = runner.build_val_loop(runner._val_loop)
    runner.call_hook('before_run')
    runner.call_hook('before_train')
    return runner


def transforms(runner, loop):
    return {type(t).__name__: t for t in getattr(runner, loop).dataloader.dataset.pipeline.transforms}


@pytest.mark.parametrize('config', [DET, SEG], ids=['det', 'seg'])
def test_overrides_carry_their_derived_fields(tmp_path, config):
    fmt = 'yolo' if config == DET else 'yolo_seg'
    root = synthetic_root(fmt, num_train=4, num_val=2, img_size=(160, 96))
    options = data_options(root)
    options.update({'train_cfg.max_epochs': 30, 'img_scale': (320, 192)})
    runner = started_runner(config, options, tmp_path)
    # the lr decay ends at the new max_epochs; mosaic closes 10 epochs before it, and from then
    # on validation runs every epoch
    decay = runner.param_schedulers[1]
    assert (decay.begin, decay.end) == (0, 30)
    hooks = {type(h).__name__: h for h in runner.hooks}
    assert hooks['YOLOv8CloseMosaicHook'].switch_epoch == 20
    loop = runner.train_loop
    assert (loop.dynamic_milestones, loop.dynamic_intervals) == ([0, 20], [10, 1])
    # every pipeline at the new size
    train = transforms(runner, '_train_loop')
    assert train['YOLOv8CachedMosaic'].img_scale == (320, 192)
    assert train['YOLOv8RandomAffine'].border == (-160, -96)
    val = transforms(runner, '_val_loop')
    assert val['Resize'].scale == (320, 192) and val['Pad'].size == (320, 192)
    stage2 = {t['type']: t for t in hooks['YOLOv8CloseMosaicHook'].switch_pipeline}
    assert stage2['Resize']['scale'] == (320, 192) and stage2['Pad']['size'] == (320, 192)
    assert stage2['YOLOv8RandomAffine'].get('border', (0, 0)) == (0, 0)  # no mosaic there
    out = runner.train_dataloader.dataset[0]
    assert tuple(out['inputs'].shape[-2:]) == (192, 320)


def test_defaults_unchanged_and_short_runs(tmp_path):
    root = synthetic_root('yolo', num_train=4, num_val=2, img_size=(160, 96))
    runner = started_runner(DET, data_options(root), tmp_path / 'a')
    assert runner.param_schedulers[1].end == 100
    hooks = {type(h).__name__: h for h in runner.hooks}
    assert hooks['YOLOv8CloseMosaicHook'].switch_epoch == 90
    assert transforms(runner, '_val_loop')['Pad'].size == (640, 640)
    # fewer epochs than close-mosaic epochs: mosaic is off from the start (Ultralytics)
    options = dict(data_options(root), **{'train_cfg.max_epochs': 4})
    runner = started_runner(DET, options, tmp_path / 'b')
    hooks = {type(h).__name__: h for h in runner.hooks}
    assert hooks['YOLOv8CloseMosaicHook'].switch_epoch == 0
    assert runner.train_loop.dynamic_intervals == [1]


def test_dataset_with_other_classes_than_the_head_stops(tmp_path):
    src = synthetic_root('yolo', num_train=4, num_val=2, img_size=(160, 96))
    root = str(tmp_path / 'data')
    shutil.copytree(src, root)
    names = ['Pavilion', 'pedestrian_bridge', 'information sign', 'single-arm pole', 'bus stop',
             'warning sign', 'concrete guardrail', 'lamp post']
    with open(osp.join(root, 'data.yaml'), 'w') as f:
        f.write('train: images/train\nval: images/val\nnames: ' + json.dumps(names) + '\n')
    with pytest.raises(ValueError, match=r"model.bbox_head.num_classes is 7 but the train dataset "
                                         r"RoadAssetDataset\(.*\) has 8 classes \['Pavilion'"):
        started_runner(DET, data_options(root), tmp_path / 'w')
    # the head follows with num_classes (and the run starts)
    options = dict(data_options(root), **{'model.bbox_head.num_classes': 8, 'num_classes': 8})
    runner = started_runner(DET, options, tmp_path / 'w2')
    assert runner.model.bbox_head.num_classes == 8
    # a top-level num_classes that does not reach the model is refused, not ignored
    options = dict(data_options(root), **{'num_classes': 8})
    with pytest.raises(ValueError, match='num_classes'):
        started_runner(DET, options, tmp_path / 'w3')
