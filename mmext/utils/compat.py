"""Every fix the supported OpenMMLab stacks need on Python 3.11 / torch 2.13, in one place.

Two stacks are supported (README, "Tested versions"; ``make install STACK=pinned|onedl``):

- **pinned**: mmengine 0.10.7, mmcv 2.0.1, mmdet 3.1.0, mmrotate 1.0.0rc1, mmsegmentation 1.2.2,
  mmpretrain 1.2.0 (the 2023 OpenMMLab releases).
- **onedl**: the maintained fork by OneDL/VBTI, onedl-mmengine 0.10.12, onedl-mmcv 2.3.6,
  onedl-mmdetection 3.5.1, onedl-mmrotate 1.2.1, onedl-mmsegmentation 1.4.2, onedl-mmpretrain
  1.3.6 (same import names).

:func:`apply_all` runs on ``import mmext`` and is idempotent. Each fix is applied by **feature
detection** (what the installed code does), never by comparing version strings, and names the
upstream bug it covers and the stacks that have it; remove a fix when no supported stack needs it.

1. ``collections.Sequence`` (pinned only: mmrotate 1.0.0rc1
   ``models/detectors/refine_single_stage.py``; open-mmlab/mmrotate#859, fixed on dev-1.x by
   #742): Python 3.10 removed the alias. Applied only when that module's source still imports it,
   so on OneDL it is a no-op.
2. Strict checkpoint loading (both stacks). torch >= 2.6 loads with ``weights_only=True`` by
   default. mmengine 0.10.7 calls ``torch.load`` without ``weights_only`` and has no allowlist for
   what its own checkpoints hold (open-mmlab/mmengine#1655), so ``resume`` fails; onedl-mmengine
   0.10.12 adds ``_safe_torch_load``, which loads inside ``torch.serialization.safe_globals([...,
   getattr, ...])`` (the *unrestricted* ``builtins.getattr``) and, on an ``UnpicklingError``,
   **falls back to ``weights_only=False``**: a malicious checkpoint runs its payload. On torch 2.13
   that context also *removes* its entries from the global allowlist on exit, so after the first
   checkpoint load a plain ``torch.load`` of a checkpoint fails on ``HistoryBuffer`` (resume, DDP).
   Both stacks' ``torch.hub.load_state_dict_from_url`` (``http(s)://``, ``torchvision://``,
   ``open-mmlab://`` checkpoints) defaults to ``weights_only=False``. mmext therefore loads every
   checkpoint that ``mmengine.runner.checkpoint`` loads through one function,
   :func:`strict_torch_load`: ``weights_only=True`` always (no fallback; an explicit
   ``weights_only=False`` from a caller is that caller's decision), against the global allowlist
   :data:`CHECKPOINT_SAFE_GLOBALS` (exactly the non-tensor types an mmengine checkpoint holds, with
   a ``getattr`` limited to ``HistoryBuffer`` methods), added once with ``add_safe_globals`` and
   re-added if anything removed it, never a context that shrinks it. It is bound in that one
   module, where each stack's loaders look it up: as ``_safe_torch_load`` where the module has one
   (onedl), as ``torch.load`` of the module's ``torch`` name (pinned calls ``torch.load`` directly)
   and as its ``load_url``.
3. ``mmseg::`` config inheritance (onedl): ``MODULE2PACKAGE['mmseg']`` is ``'mmsegmentation'``,
   the distribution is ``onedl-mmsegmentation``, so every config with an ``mmseg::`` base fails.
   A scope whose mapped distribution is not installed but whose module is importable maps to the
   module (``'mmseg'``), which mmengine resolves through ``importlib`` on both stacks.
4. Distributed training without CUDA (both: mmengine 0.10.7 and onedl-mmengine 0.10.12
   ``dist/utils.py`` call ``torch.cuda.set_device`` unconditionally and configs default to NCCL;
   ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules):
   on a machine without CUDA, ``nccl`` becomes ``gloo``, ``set_device`` is skipped and DDP gets
   ``device_ids=None``. With CUDA present nothing changes.
5. DOTA label parsing (both: mmrotate 1.0.0rc1 and onedl-mmrotate 1.2.1 ``datasets/dota.py``):
   lines are parsed with bare ``float()`` / dict look-ups, so the ``imagesource:``/``gsd:`` header
   of the raw DOTA releases or one malformed line fails with an error that names neither file nor
   line. ``DOTADataset`` (and its v1.5/v2.0 subclasses) read labels with
   :func:`mmext.datasets.dota_labels.parse_dota_label_file` instead: headers skipped, each bad line
   reported as ``file:line: what is wrong``. onedl-mmrotate dropped the ``img_shape`` argument
   (and the ``height``/``width`` it fills): where ``DOTADataset.__init__`` has no ``img_shape``,
   it accepts and keeps one again (default ``(1024, 1024)`` as mmrotate 1.0.0rc1), so the same
   configs work on both stacks.
6. HRSC2016 image height (both: ``datasets/hrsc.py``, ``parse_data_info``): the height is read
   from ``Img_SizeWidth``, so every non-square HRSC image gets a wrong ``height`` (used by
   aspect-ratio grouping and the metric's image sizes). Where the upstream source never reads
   ``Img_SizeHeight``, it is re-read from there.
7. Deformable conv on small maps (both: mmcv 2.0.1 and onedl-mmcv 2.3.6 ``ops/deform_conv.py``):
   ``DeformConv2dPack.forward`` (the ``'DCN'`` conv type, DCNv1) calls the op directly and skips
   the zero-padding that ``DeformConv2d.forward`` applies when the input is smaller than the
   kernel, so it fails with "input image is smaller than kernel" on e.g. P7 of a 256 px image.
   Where a 2x2 probe through the pack fails, it goes through ``DeformConv2d.forward``.
"""
import collections
import collections.abc
import contextlib
import functools
import importlib.util
import inspect
import os.path as osp
import pickle
import types

import torch

from .stacks import installed_stack  # noqa: F401 (re-exported: which stack is installed)

_APPLIED = set()


def _once(fn):

    @functools.wraps(fn)
    def wrapper():
        if fn.__name__ not in _APPLIED:
            fn()
            _APPLIED.add(fn.__name__)

    return wrapper


# 1. collections.Sequence ------------------------------------------------------------------------

@_once
def fix_collections_sequence():
    """mmrotate 1.0.0rc1 does ``from collections import Sequence`` (mmrotate#859). Pinned only."""
    if hasattr(collections, 'Sequence'):
        return
    spec = importlib.util.find_spec('mmrotate')
    if spec is None or not spec.submodule_search_locations:
        return
    path = osp.join(list(spec.submodule_search_locations)[0], 'models', 'detectors',
                    'refine_single_stage.py')
    try:
        with open(path) as f:
            needed = 'from collections import Sequence' in f.read()
    except OSError:
        return
    if needed:
        collections.Sequence = collections.abc.Sequence


# 2. strict checkpoint loading -------------------------------------------------------------------

def _checkpoint_safe_globals():
    """The non-tensor types found in checkpoints written by mmengine's Runner.

    ``message_hub`` holds :class:`HistoryBuffer` objects whose state is numpy arrays and scalars;
    ``meta`` holds plain Python values. Nothing here can execute code when unpickled.
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.float16, np.float32,
        np.float64)]
    return [HistoryBuffer, _reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes,
            (_history_buffer_getattr, 'builtins.getattr')]


def _history_buffer_getattr(obj, name, *default):
    """Stands in for ``builtins.getattr`` when a checkpoint is unpickled.

    ``HistoryBuffer`` keeps its statistics methods (``HistoryBuffer.mean``, ...) in a dict, and
    pickle protocol 2 stores each as ``getattr(HistoryBuffer, 'mean')``. Only that look-up is
    allowed: the public methods of ``HistoryBuffer``. Anything else is refused.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and isinstance(name, str) and not name.startswith('_') \
            and callable(getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint refused: it asks for getattr({obj!r}, {name!r}), which an mmengine '
        'checkpoint never does')


# the allowlist entries, filled in place by fix_checkpoint_loading() (so imports of the name see it)
CHECKPOINT_SAFE_GLOBALS = []


def _ensure_safe_globals():
    """(Re-)add :data:`CHECKPOINT_SAFE_GLOBALS` to torch's global allowlist where it is missing.

    A ``torch.serialization.safe_globals`` context entered by other code removes its entries from
    the global allowlist on exit (torch 2.13), ours included when they overlap.
    """
    if not CHECKPOINT_SAFE_GLOBALS:
        CHECKPOINT_SAFE_GLOBALS.extend(_checkpoint_safe_globals())
    current = torch.serialization.get_safe_globals()
    missing = [g for g in CHECKPOINT_SAFE_GLOBALS if g not in current]
    if missing:
        torch.serialization.add_safe_globals(missing)


def strict_torch_load(f, map_location=None, *args, weights_only=None, **kwargs):
    """``torch.load`` with ``weights_only=True`` against mmext's checkpoint allowlist, no fallback.

    Every checkpoint that ``mmengine.runner.checkpoint`` loads (``load_from``, ``resume``,
    ``init_cfg=dict(type='Pretrained')``, ``load_checkpoint``) comes through here on both stacks.
    A checkpoint holding anything but tensors, plain Python values and what an mmengine checkpoint
    holds (:data:`CHECKPOINT_SAFE_GLOBALS`) raises :class:`pickle.UnpicklingError` before any of it
    runs. Only a caller that passes ``weights_only=False`` itself gets an unrestricted load.
    """
    if weights_only is False:
        return torch.load(f, map_location, *args, weights_only=False, **kwargs)
    _ensure_safe_globals()
    try:
        return torch.load(f, map_location, *args, weights_only=True, **kwargs)
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(
            f'checkpoint refused by mmext (weights_only=True, no unsafe fallback): {e}') from e


def strict_load_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                    file_name=None, weights_only=None):
    """mmengine's ``load_url`` (``torch.hub.load_state_dict_from_url``) loading strictly.

    torch's own default there is ``weights_only=False``; here it is the same strict load as
    :func:`strict_torch_load`.
    """
    if weights_only is not False:
        _ensure_safe_globals()
    try:
        return torch.hub.load_state_dict_from_url(
            url, model_dir=model_dir, map_location=map_location, progress=progress,
            check_hash=check_hash, file_name=file_name, weights_only=weights_only is not False)
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(
            f'checkpoint refused by mmext (weights_only=True, no unsafe fallback): {e}') from e


class _TorchWithStrictLoad(types.ModuleType):
    """Stands in for ``torch`` inside ``mmengine.runner.checkpoint``: ``load`` is strict, every
    other attribute is torch's own."""

    def __init__(self):
        super().__init__('torch')
        self.load = strict_torch_load

    def __getattr__(self, name):
        return getattr(torch, name)


@_once
def fix_checkpoint_loading():
    """Route mmengine's checkpoint loading through :func:`strict_torch_load` (both stacks)."""
    if not hasattr(torch.serialization, 'add_safe_globals'):  # torch < 2.4: nothing to do
        return
    _ensure_safe_globals()
    from mmengine.runner import checkpoint
    if hasattr(checkpoint, '_safe_torch_load'):  # onedl-mmengine: loads with an unsafe fallback
        checkpoint._safe_torch_load = strict_torch_load
    if getattr(checkpoint, 'torch', None) is torch:  # mmengine 0.10.7 calls torch.load directly
        checkpoint.torch = _TorchWithStrictLoad()
    if hasattr(checkpoint, 'load_url'):  # http(s)://, torchvision://, open-mmlab://, ...
        checkpoint.load_url = strict_load_url


# 3. mmseg:: config inheritance ------------------------------------------------------------------

@_once
def fix_config_scope_packages():
    """Map a scope to its module where the mapped distribution is absent (onedl: ``mmseg``)."""
    from importlib.metadata import PackageNotFoundError, distribution

    from mmengine.config.utils import MODULE2PACKAGE
    for scope in ('mmdet', 'mmrotate', 'mmseg', 'mmpretrain'):
        package = MODULE2PACKAGE.get(scope)
        if package is None or package == scope:
            continue
        try:
            distribution(package)
        except PackageNotFoundError:
            if importlib.util.find_spec(scope) is not None:
                MODULE2PACKAGE[scope] = scope


# 4. distributed training without CUDA -----------------------------------------------------------

@contextlib.contextmanager
def _skip_cuda_set_device():
    original = torch.cuda.set_device
    torch.cuda.set_device = lambda *args, **kwargs: None
    try:
        yield
    finally:
        torch.cuda.set_device = original


def _cpu_aware_init(init_fn):
    """Wrap mmengine's ``_init_dist_{pytorch,slurm}`` so they work without CUDA."""

    @functools.wraps(init_fn)
    def wrapper(backend, *args, **kwargs):
        if torch.cuda.is_available():
            return init_fn(backend, *args, **kwargs)
        if backend == 'nccl':
            backend = 'gloo'
        with _skip_cuda_set_device():
            return init_fn(backend, *args, **kwargs)

    wrapper.__mmext_cpu_aware__ = True
    return wrapper


@_once
def fix_cpu_distributed():
    """gloo instead of nccl, no ``torch.cuda.set_device`` and ``device_ids=None`` without CUDA."""
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel

    for name in ('_init_dist_pytorch', '_init_dist_slurm'):
        fn = getattr(dist_utils, name)
        if not getattr(fn, '__mmext_cpu_aware__', False):
            setattr(dist_utils, name, _cpu_aware_init(fn))

    original_init = MMDistributedDataParallel.__init__

    @functools.wraps(original_init)
    def ddp_init(self, module, *args, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu and not torch.cuda.is_available():
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
        original_init(self, module, *args, **kwargs)

    MMDistributedDataParallel.__init__ = ddp_init


# 5. DOTA label parsing (and img_shape where upstream dropped it) --------------------------------

DOTA_DEFAULT_IMG_SHAPE = (1024, 1024)  # mmrotate 1.0.0rc1's default


@_once
def fix_dota_label_parsing():
    """Strict DOTA label parsing with file:line errors; ``img_shape`` accepted on both stacks."""
    import glob

    from mmrotate.datasets import DOTADataset

    from mmext.datasets.dota_labels import parse_dota_label_file

    if 'img_shape' not in inspect.signature(DOTADataset.__init__).parameters:
        upstream_init = DOTADataset.__init__  # onedl-mmrotate: no img_shape

        @functools.wraps(upstream_init)
        def __init__(self, *args, img_shape=DOTA_DEFAULT_IMG_SHAPE, **kwargs):
            self.img_shape = tuple(img_shape)
            upstream_init(self, *args, **kwargs)

        DOTADataset.__init__ = __init__

    upstream = DOTADataset.load_data_list

    @functools.wraps(upstream)
    def load_data_list(self):
        if self.ann_file == '':  # test set without labels: upstream behaviour
            return upstream(self)
        txt_files = sorted(glob.glob(osp.join(self.ann_file, '*.txt')))
        if not txt_files:
            raise FileNotFoundError(f'no DOTA label files (*.txt) in ann_file={self.ann_file!r}')
        cls_map = {c: i for i, c in enumerate(self.metainfo['classes'])}
        suffix = getattr(self, 'img_suffix', 'png')
        data_list = []
        for txt_file in txt_files:
            img_id = osp.splitext(osp.basename(txt_file))[0]
            img_name = f'{img_id}.{suffix}'
            data_list.append(dict(
                img_id=img_id, file_name=img_name,
                img_path=osp.join(self.data_prefix['img_path'], img_name),
                height=self.img_shape[0], width=self.img_shape[1],
                instances=parse_dota_label_file(txt_file, cls_map, self.diff_thr)))
        return data_list

    DOTADataset.load_data_list = load_data_list


# 6. HRSC height ---------------------------------------------------------------------------------

@_once
def fix_hrsc_height():
    """Read the HRSC2016 image height from ``Img_SizeHeight`` (upstream reads the width)."""
    import xml.etree.ElementTree as ET

    from mmrotate.datasets import HRSCDataset
    upstream = HRSCDataset.parse_data_info
    try:
        if 'Img_SizeHeight' in inspect.getsource(upstream):
            return  # upstream reads the height itself
    except (OSError, TypeError):
        pass

    @functools.wraps(upstream)
    def parse_data_info(self, img_info):
        data_info = upstream(self, img_info)
        height = ET.parse(img_info['xml_path']).getroot().find('Img_SizeHeight')
        if height is not None and height.text:
            data_info['height'] = int(height.text)
        return data_info

    HRSCDataset.parse_data_info = parse_data_info


# 7. DCNv1 on small maps -------------------------------------------------------------------------

def _deform_conv_pack_handles_small_input(pack_cls):
    try:
        with torch.no_grad():
            pack_cls(1, 1, 3, padding=1)(torch.zeros(1, 1, 2, 2))
        return True
    except Exception:  # "input image is smaller than kernel" (a RuntimeError from the C++ op)
        return False


@_once
def fix_deform_conv_pack_small_input():
    """Route ``DeformConv2dPack.forward`` through ``DeformConv2d.forward`` (pads small inputs)."""
    from mmcv.ops import DeformConv2d, DeformConv2dPack
    if _deform_conv_pack_handles_small_input(DeformConv2dPack):
        return

    def forward(self, x):
        return DeformConv2d.forward(self, x, self.conv_offset(x))

    DeformConv2dPack.forward = forward


def apply_all():
    """Apply every fix (idempotent). Called by ``import mmext``."""
    fix_collections_sequence()
    fix_checkpoint_loading()
    fix_config_scope_packages()
    fix_cpu_distributed()
    fix_dota_label_parsing()
    fix_hrsc_height()
    fix_deform_conv_pack_small_input()
