"""One training step of a config, in-process, on a chosen device (for the CUDA and AMP tests).

:func:`build_for_step` builds a config's model and takes one batch from its own training
dataloader, exactly as the runner would (same pipeline, same data preprocessor), without a runner
or a work dir; :func:`train_step` runs ``model.train_step`` with the config's optimizer, plain or
through ``AmpOptimWrapper``; :func:`record_assignments` wraps every assigner of a model so that
its inputs and results can be replayed and compared, e.g. on another device.
"""
import copy
import uuid
from contextlib import contextmanager
from typing import Dict, List, Optional, Tuple

import torch


def retarget_synthetic(cfg, fmt: str, root: str) -> None:
    """Point every dataset of ``cfg``'s dataloaders whose ``data_root`` lies under
    ``data/synthetic/<fmt>`` at the same place under ``root`` (e.g. a test-suite cache)."""
    prefix = f'data/synthetic/{fmt}'

    def visit(node):
        if isinstance(node, dict):
            value = node.get('data_root', None)
            if isinstance(value, str) and value.rstrip('/').startswith(prefix):
                node['data_root'] = root.rstrip('/') + value.rstrip('/')[len(prefix):] + '/'
            for child in node.values():
                visit(child)
        elif isinstance(node, (list, tuple)):
            for child in node:
                visit(child)

    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key, None) is not None:
            visit(cfg[key])


def build_for_step(config_path: str, cfg_options: Optional[dict] = None,
                   device: str = 'cpu', seed: int = 0, synthetic: Optional[str] = None,
                   synthetic_options: Optional[dict] = None) -> Tuple[torch.nn.Module, dict, object]:
    """Return ``(model, data_batch, cfg)``: the config's model on ``device`` in train mode and
    one batch of its ``train_dataloader`` (``num_workers=0``, not shuffled).

    With ``synthetic='<format>'`` the config's ``data/synthetic/<format>`` data roots are pointed
    at :func:`mmext.testing.synthetic_root` (generated once, cached). Pretrained ``init_cfg`` of
    the backbone is dropped (nothing is downloaded); the model keeps its constructor
    initialisation, seeded with ``seed``.
    """
    from mmengine.registry import MODELS, DefaultScope

    from mmext import apis
    cfg = apis.load_config(config_path, cfg_options)
    if synthetic is not None:
        from .helpers import synthetic_root
        retarget_synthetic(cfg, synthetic, synthetic_root(synthetic, **(synthetic_options or {})))
    scope = cfg.default_scope
    # a new instance becomes the current default scope (an existing one, fetched again, does not)
    DefaultScope.get_instance(f'train_step_{uuid.uuid4().hex}', scope_name=scope)
    backbone = cfg.model.get('backbone', None)
    if backbone is not None and backbone.get('init_cfg', None) is not None:
        backbone.init_cfg = None
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    if hasattr(model, 'init_weights'):
        model.init_weights()
    model = model.to(device).train()
    return model, first_batch(cfg, 'train_dataloader', seed), cfg


def first_batch(cfg, loader: str = 'train_dataloader', seed: int = 0) -> dict:
    """The first batch of ``cfg[loader]`` (``num_workers=0``, not shuffled)."""
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(cfg[loader])
    loader_cfg.num_workers = 0
    loader_cfg.persistent_workers = False
    loader_cfg.sampler = dict(type='DefaultSampler', shuffle=False)
    loader_cfg.pop('batch_sampler', None)
    return next(iter(Runner.build_dataloader(loader_cfg, seed=seed)))


def train_step(model: torch.nn.Module, data_batch: dict, optim_cfg: dict,
               amp: bool = False) -> Dict[str, float]:
    """``model.train_step`` with an optimizer wrapper built from ``optim_cfg`` (the config's
    ``optim_wrapper``), ``AmpOptimWrapper`` (float16) when ``amp``. Returns the logged losses."""
    from mmengine.optim import build_optim_wrapper
    optim_cfg = copy.deepcopy(optim_cfg)
    if amp:
        optim_cfg['type'] = 'AmpOptimWrapper'
        optim_cfg.setdefault('dtype', 'float16')
    optim_cfg.pop('accumulative_counts', None)
    wrapper = build_optim_wrapper(model, optim_cfg)
    log_vars = model.train_step(data_batch, wrapper)
    return {k: float(v) for k, v in log_vars.items()}


def _assigners(model: torch.nn.Module) -> List[object]:
    found = []
    for module in model.modules():
        assigner = getattr(module, 'assigner', None)
        if assigner is not None and hasattr(assigner, 'assign') and assigner not in found:
            found.append(assigner)
    return found


@contextmanager
def record_assignments(model: torch.nn.Module):
    """Record every ``assigner.assign`` call inside the block: yields a list that receives
    ``(assigner, args, kwargs, result)`` per call (inputs deep-copied before the call)."""
    calls: list = []
    originals = []
    for assigner in _assigners(model):
        real = assigner.assign

        def wrapped(*args, _real=real, _assigner=assigner, **kwargs):
            saved = copy.deepcopy((args, kwargs))
            result = _real(*args, **kwargs)
            calls.append((_assigner, saved[0], saved[1], result))
            return result

        assigner.assign = wrapped
        originals.append(assigner)
    try:
        yield calls
    finally:
        for assigner in originals:
            del assigner.assign  # back to the class's method


def move_to(obj, device, float_dtype: Optional[torch.dtype] = None):
    """``obj`` (tensors, ``InstanceData``, modules, lists, dicts, boxes) on ``device``, floating
    tensors cast to ``float_dtype`` when given."""
    from mmengine.structures import BaseDataElement
    if isinstance(obj, torch.Tensor):
        obj = obj.to(device)
        return obj.to(float_dtype) if float_dtype is not None and obj.is_floating_point() else obj
    if isinstance(obj, BaseDataElement):
        out = obj.new()
        for key, value in obj.items():
            out[key] = move_to(value, device, float_dtype)
        return out
    if isinstance(obj, torch.nn.Module):
        return copy.deepcopy(obj).to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(o, device, float_dtype) for o in obj)
    if isinstance(obj, dict):
        return {k: move_to(v, device, float_dtype) for k, v in obj.items()}
    if hasattr(obj, 'tensor') and hasattr(obj, 'to'):  # mmdet/mmrotate box structures
        moved = obj.to(device)
        if float_dtype is not None:
            moved = type(moved)(moved.tensor.to(float_dtype))
        return moved
    return obj
