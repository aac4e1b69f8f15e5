"""Train and test any mmdet / mmrotate / mmseg / mmpretrain config: the code behind the tools.

``tools/train.py`` and ``tools/test.py`` are thin command-line faces over :func:`load_config`,
:func:`setup_train_cfg`, :func:`setup_test_cfg`, :func:`train` and :func:`test`; tests and the
table runner call the same functions, so what is tested is what users run.
"""
import difflib
import glob
import importlib
import json
import logging
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

# default_scope -> module whose register_all_modules() registers that toolbox
SCOPE_REGISTRARS = {
    'mmdet': 'mmdet.utils',
    'mmrotate': 'mmrotate.utils',
    'mmseg': 'mmseg.utils',
    'mmpretrain': 'mmpretrain.utils',
}

# data_prefix fields that name folders, relative to data_root
_PREFIX_FIELDS = ('img_path', 'img', 'seg_map_path', 'seg_path', 'lr_img_path')


class ConfigError(ValueError):
    """A config that cannot run as written: the message names the file and the field."""


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file, apply ``--cfg-options`` and register its toolbox.

    Raises:
        FileNotFoundError: the file does not exist; similar file names are suggested.
    """
    if not osp.isfile(path):
        folder = osp.dirname(path) or '.'
        hint = ''
        if osp.isdir(folder):
            close = difflib.get_close_matches(osp.basename(path), os.listdir(folder), n=3)
            if close:
                hint = ' Did you mean: ' + ', '.join(osp.join(folder, c) for c in close) + '?'
        else:
            hint = f' (the folder {folder} does not exist either)'
        raise FileNotFoundError(f'config file not found: {path}.{hint}')
    import mmext  # noqa: F401  (compat fixes and registration before the config is read)
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    register_scope(cfg, path)
    return cfg


def register_scope(cfg: Config, path: str = '<config>') -> str:
    """Register the modules of the toolbox named by ``cfg.default_scope``; returns the scope."""
    scope = cfg.get('default_scope', None)
    if scope is None:
        raise ConfigError(f'{path}: the config sets no default_scope; set one of '
                          f'{sorted(SCOPE_REGISTRARS)} (usually inherited from a _base_ runtime).')
    if scope not in SCOPE_REGISTRARS:
        raise ConfigError(f'{path}: default_scope={scope!r} is not one of {sorted(SCOPE_REGISTRARS)}.')
    importlib.import_module(SCOPE_REGISTRARS[scope]).register_all_modules(init_default_scope=False)
    return scope


def _dataset_cfgs(dataset_cfg):
    """Yield the leaf dataset configs of a (possibly wrapped / concatenated) dataset config."""
    if dataset_cfg is None:
        return
    if 'dataset' in dataset_cfg:  # RepeatDataset, ClassBalancedDataset, MultiImageMixDataset
        yield from _dataset_cfgs(dataset_cfg['dataset'])
    elif 'datasets' in dataset_cfg:  # ConcatDataset
        for sub in dataset_cfg['datasets']:
            yield from _dataset_cfgs(sub)
    else:
        yield dataset_cfg


def check_data_paths(cfg: Config, loaders: Sequence[str], config_path: str = '<config>') -> None:
    """Fail early, naming the field, when a dataloader's data root or annotation path is missing.

    Only plain local paths are checked (a URL or a custom file backend is left to the dataset).
    """
    for loader in loaders:
        loader_cfg = cfg.get(loader, None)
        if not loader_cfg or 'dataset' not in loader_cfg:
            continue
        for i, ds in enumerate(_dataset_cfgs(loader_cfg['dataset'])):
            where = f'{loader}.dataset' + (f' (dataset #{i})' if i else '')
            data_root = ds.get('data_root', None) or ''
            if data_root and '://' not in data_root and not osp.isdir(data_root):
                raise FileNotFoundError(
                    f'{config_path}: {where}.data_root {data_root!r} does not exist '
                    f'(relative paths are relative to {os.getcwd()}). Prepare the dataset as the '
                    f"config's README says, or point it elsewhere with --cfg-options "
                    f'{loader}.dataset.data_root=PATH')
            ann_file = ds.get('ann_file', None)
            if ann_file and '://' not in str(ann_file):
                full = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
                if not osp.exists(full):
                    raise FileNotFoundError(
                        f'{config_path}: {where}.ann_file {ann_file!r} not found at {full!r}.')
            prefix = ds.get('data_prefix', None) or {}
            for key in _PREFIX_FIELDS:
                value = prefix.get(key, None)
                if value and '://' not in str(value):
                    full = value if osp.isabs(value) else osp.join(data_root, value)
                    if not osp.isdir(full):
                        raise FileNotFoundError(
                            f'{config_path}: {where}.data_prefix.{key} {value!r} is not a '
                            f'folder ({full!r}).')


def setup_train_cfg(cfg: Config, config_path: str, work_dir: Optional[str] = None,
                    resume: Optional[str] = None, amp: bool = False,
                    auto_scale_lr: bool = False, launcher: str = 'none') -> Config:
    """Apply the standard ``tools/train.py`` options to ``cfg`` (upstream semantics)."""
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    if amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in the config.', logger='current',
                      level=logging.WARNING)
        elif wrapper != 'OptimWrapper':
            raise ConfigError(f'{config_path}: --amp needs optim_wrapper.type OptimWrapper, '
                              f'got {wrapper}.')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if auto_scale_lr:
        if not ('auto_scale_lr' in cfg and 'base_batch_size' in cfg.auto_scale_lr):
            raise ConfigError(f'{config_path}: --auto-scale-lr needs auto_scale_lr.base_batch_size '
                              'in the config.')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume: checkpoint not found: {resume}')
        cfg.resume = True
        cfg.load_from = resume
    check_data_paths(cfg, ['train_dataloader', 'val_dataloader'], config_path)
    return cfg


def _enable_visualisation(cfg: Config, show_dir: str) -> None:
    """Make the config's visualisation hook draw test predictions into ``show_dir``."""
    hooks = cfg.get('default_hooks', {})
    hook = hooks.get('visualization', None)
    if hook is None:
        raise ConfigError('--show-dir needs default_hooks.visualization in the config.')
    hook_type = hook['type'].split('.')[-1]
    if hook_type == 'DetVisualizationHook':  # mmdet and mmrotate
        hook['draw'] = True
        hook['test_out_dir'] = show_dir
    elif hook_type == 'SegVisualizationHook':  # mmseg writes under visualizer.save_dir
        hook['draw'] = True
        hook['interval'] = 1
        # relative to the work dir, like the detection hook (mmseg's own test.py uses the cwd)
        cfg.visualizer['save_dir'] = show_dir if osp.isabs(show_dir) else osp.join(
            cfg.work_dir, show_dir)
    elif hook_type == 'VisualizationHook':  # mmpretrain
        hook['enable'] = True
        hook['out_dir'] = show_dir if osp.isabs(show_dir) else osp.join(cfg.work_dir, show_dir)
    else:
        raise ConfigError(f'--show-dir: unknown visualisation hook {hook["type"]}.')


def setup_test_cfg(cfg: Config, config_path: str, checkpoint: str,
                   work_dir: Optional[str] = None, out: Optional[str] = None,
                   show_dir: Optional[str] = None, launcher: str = 'none') -> Config:
    """Apply the standard ``tools/test.py`` options to ``cfg`` (upstream semantics)."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    cfg.load_from = checkpoint
    if show_dir:
        _enable_visualisation(cfg, show_dir)
    if out is not None:
        if not out.endswith(('.pkl', '.pickle')):
            raise ConfigError(f'--out must be a .pkl or .pickle file, got {out}')
        scope = cfg.get('default_scope')
        dump = dict(type='mmdet.DumpDetResults' if scope in ('mmdet', 'mmrotate') else
                    'mmengine.DumpResults', out_file_path=out)
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = list(evaluator) + [dump] if isinstance(evaluator, (list, tuple)) \
            else [evaluator, dump]
    check_data_paths(cfg, ['test_dataloader'], config_path)
    return cfg


def latest_checkpoint(work_dir: str) -> str:
    """Path of the checkpoint the last training run in ``work_dir`` saved."""
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            return f.read().strip()
    ckpts = sorted(glob.glob(osp.join(work_dir, '*.pth')), key=osp.getmtime)
    if not ckpts:
        raise FileNotFoundError(f'no checkpoint in {work_dir}')
    return ckpts[-1]


def build_runner(cfg: Config) -> Runner:
    """Build the config's runner (``runner_type`` or mmengine's default)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def train(cfg: Config) -> Runner:
    """Train with ``cfg``; returns the runner (its ``work_dir`` holds logs and checkpoints)."""
    runner = build_runner(cfg)
    runner.train()
    return runner


def test(cfg: Config) -> Dict[str, float]:
    """Test with ``cfg`` and return the metrics; also writes ``<work_dir>/test_metrics.json``."""
    runner = build_runner(cfg)
    metrics = runner.test()
    metrics = {k: (float(v) if isinstance(v, (int, float)) or hasattr(v, 'item') else v)
               for k, v in (metrics or {}).items()}
    if runner.rank == 0:
        os.makedirs(runner.work_dir, exist_ok=True)
        with open(osp.join(runner.work_dir, 'test_metrics.json'), 'w') as f:
            json.dump(dict(metrics=metrics, checkpoint=cfg.load_from), f, indent=2, default=str)
    return metrics


def format_metrics(metrics: Dict[str, float]) -> str:
    """Metrics as aligned ``name: value`` lines."""
    if not metrics:
        return '(no metrics)'
    width = max(len(k) for k in metrics)
    lines = []
    for k, v in metrics.items():
        value = f'{v:.4f}' if isinstance(v, float) else str(v)
        lines.append(f'{k:<{width}} : {value}')
    return '\n'.join(lines)
