"""Every fix the pinned OpenMMLab stack needs on Python 3.11 / torch 2.13, in one place.

Pinned: mmengine 0.10.7, mmcv 2.0.1, mmdet 3.1.0, mmrotate 1.0.0rc1, mmsegmentation 1.2.2,
mmpretrain 1.2.0 (see README, "Tested versions"). :func:`apply_all` runs on ``import mmext`` and is
idempotent. Each fix names the upstream bug it covers; remove a fix when the pin moves past it.

1. ``collections.Sequence`` (mmrotate 1.0.0rc1, ``models/detectors/refine_single_stage.py``;
   open-mmlab/mmrotate#859, fixed on dev-1.x by #742): Python 3.10 removed the alias.
2. Safe checkpoint loading on torch >= 2.6 (mmengine 0.10.x calls ``torch.load`` without
   ``weights_only``; open-mmlab/mmengine#1655, fixed only on main by #1670 by switching the
   protection off). We keep ``weights_only=True`` and allowlist exactly the non-tensor types an
   mmengine checkpoint holds (:data:`CHECKPOINT_SAFE_GLOBALS`), so ``resume`` and ``load_from``
   work and a checkpoint carrying a pickled callable is still refused.
3. Distributed training without CUDA (mmengine 0.10.7 ``dist/utils.py`` calls
   ``torch.cuda.set_device`` unconditionally and configs default to NCCL; ``Runner.wrap_model``
   passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules): on a machine without
   CUDA, ``nccl`` becomes ``gloo``, ``set_device`` is skipped and DDP gets ``device_ids=None``.
   With CUDA present nothing changes.
4. DOTA label parsing (mmrotate 1.0.0rc1 ``datasets/dota.py``): lines are parsed with bare
   ``float()`` / dict look-ups, so the ``imagesource:``/``gsd:`` header of the raw DOTA releases
   or one malformed line fails with an error that names neither file nor line. ``DOTADataset``
   (and its v1.5/v2.0 subclasses) read labels with :func:`mmext.datasets.dota_labels.parse_dota_label_file`
   instead: headers skipped, each bad line reported as ``file:line: what is wrong``.
5. HRSC2016 image height (mmrotate 1.0.0rc1 ``datasets/hrsc.py``, ``parse_data_info``): the height
   is read from ``Img_SizeWidth``, so every non-square HRSC image gets a wrong ``height`` (used by
   aspect-ratio grouping and the metric's image sizes). It is re-read from ``Img_SizeHeight``.
6. Deformable conv on small maps (mmcv 2.0.1 ``ops/deform_conv.py``): ``DeformConv2dPack.forward``
   (the ``'DCN'`` conv type, DCNv1) calls the op directly and skips the zero-padding that
   ``DeformConv2d.forward`` applies when the input is smaller than the kernel, so it fails with
   "input image is smaller than kernel" on e.g. P7 of a 256 px image. It now goes through
   ``DeformConv2d.forward``.
"""
import collections
import collections.abc
import contextlib
import functools
import pickle

import torch

_APPLIED = set()


def _once(fn):

    @functools.wraps(fn)
    def wrapper():
        if fn.__name__ not in _APPLIED:
            fn()
            _APPLIED.add(fn.__name__)

    return wrapper


@_once
def fix_collections_sequence():
    """mmrotate 1.0.0rc1 does ``from collections import Sequence`` (mmrotate#859)."""
    if not hasattr(collections, 'Sequence'):
        collections.Sequence = collections.abc.Sequence


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


CHECKPOINT_SAFE_GLOBALS = None  # filled by fix_checkpoint_loading()


@_once
def fix_checkpoint_loading():
    """Allowlist mmengine checkpoint contents for ``torch.load(weights_only=True)`` (mmengine#1655)."""
    global CHECKPOINT_SAFE_GLOBALS
    if not hasattr(torch.serialization, 'add_safe_globals'):  # torch < 2.4: nothing to do
        return
    CHECKPOINT_SAFE_GLOBALS = _checkpoint_safe_globals()
    torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)


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


@_once
def fix_dota_label_parsing():
    """Strict DOTA label parsing with file:line errors (mmrotate 1.0.0rc1 ``DOTADataset``)."""
    import glob
    import os.path as osp

    from mmrotate.datasets import DOTADataset

    from mmext.datasets.dota_labels import parse_dota_label_file
    upstream = DOTADataset.load_data_list

    @functools.wraps(upstream)
    def load_data_list(self):
        if self.ann_file == '':  # test set without labels: upstream behaviour
            return upstream(self)
        txt_files = sorted(glob.glob(osp.join(self.ann_file, '*.txt')))
        if not txt_files:
            raise FileNotFoundError(f'no DOTA label files (*.txt) in ann_file={self.ann_file!r}')
        cls_map = {c: i for i, c in enumerate(self.metainfo['classes'])}
        data_list = []
        for txt_file in txt_files:
            img_id = osp.splitext(osp.basename(txt_file))[0]
            img_name = img_id + '.png'
            data_list.append(dict(
                img_id=img_id, file_name=img_name,
                img_path=osp.join(self.data_prefix['img_path'], img_name),
                height=self.img_shape[0], width=self.img_shape[1],
                instances=parse_dota_label_file(txt_file, cls_map, self.diff_thr)))
        return data_list

    DOTADataset.load_data_list = load_data_list


@_once
def fix_hrsc_height():
    """Read the HRSC2016 image height from ``Img_SizeHeight`` (mmrotate 1.0.0rc1 reads the width)."""
    import xml.etree.ElementTree as ET

    from mmrotate.datasets import HRSCDataset
    upstream = HRSCDataset.parse_data_info

    @functools.wraps(upstream)
    def parse_data_info(self, img_info):
        data_info = upstream(self, img_info)
        height = ET.parse(img_info['xml_path']).getroot().find('Img_SizeHeight')
        if height is not None and height.text:
            data_info['height'] = int(height.text)
        return data_info

    HRSCDataset.parse_data_info = parse_data_info


@_once
def fix_deform_conv_pack_small_input():
    """Route ``DeformConv2dPack.forward`` through ``DeformConv2d.forward`` (pads small inputs)."""
    from mmcv.ops import DeformConv2d, DeformConv2dPack

    def forward(self, x):
        return DeformConv2d.forward(self, x, self.conv_offset(x))

    DeformConv2dPack.forward = forward


def apply_all():
    """Apply every fix (idempotent). Called by ``import mmext``."""
    fix_collections_sequence()
    fix_checkpoint_loading()
    fix_cpu_distributed()
    fix_dota_label_parsing()
    fix_hrsc_height()
    fix_deform_conv_pack_small_input()
