"""The assigners' CUDA branches give the CPU's assignment, and work under AMP.

The inputs are the real ones: each demo model (DCFL, MMMC/APS, YOLOv8) runs ``loss`` on a batch of
its own synthetic training data on the CPU, and every ``assigner.assign`` call is recorded
(:func:`mmext.testing.train_step.record_assignments`). Each recorded call is replayed on the
device, as is a crowded variant (300 ground truths of 2-12 px, below the smallest stride, DCFL's
regime) and an empty one (no ground truth). fp16: the model's ``loss`` runs under
``torch.autocast`` on the device, as ``--amp`` would, and every assignment it makes is checked for
validity.
"""
import math

import pytest
import torch
from mmengine.structures import InstanceData

from mmext.testing.train_step import build_for_step, move_to, record_assignments

CASES = {
    'dcfl': ('configs/dcfl/demo/dcfl-le135_r18_fpn_synthetic-dota.py', 'dota'),
    'mmmc': ('configs/mmmc/demo/mmmc_r18_fpn_gn-head_synthetic-coco.py', 'coco'),
    'yolov8': ('configs/rgfl/demo/yolov8_tiny_rgfl_synthetic-road-assets.py', 'yolo'),
}


def _gt_index(args, kwargs):
    """Position (int) or name (str) of the ground-truth ``InstanceData`` of an assign call."""
    if 'gt_instances' in kwargs:
        return 'gt_instances'
    for i, arg in enumerate(args):
        if isinstance(arg, InstanceData) and 'labels' in arg and 'priors' not in arg:
            return i
    raise AssertionError('no gt_instances in the recorded assign call')


def _with_gts(args, kwargs, gts):
    where = _gt_index(args, kwargs)
    args, kwargs = list(args), dict(kwargs)
    if isinstance(where, str):
        kwargs[where] = gts
    else:
        args[where] = gts
    return args, kwargs


def _get_gts(args, kwargs):
    where = _gt_index(args, kwargs)
    return kwargs[where] if isinstance(where, str) else args[where]


def crowded(gts: InstanceData, num: int, extent: float, seed: int) -> InstanceData:
    """``num`` tiny boxes (2-12 px) in ``[0, extent]²`` of the same box type and format."""
    g = torch.Generator().manual_seed(seed)
    boxes = gts.bboxes
    tensor = boxes.tensor if hasattr(boxes, 'tensor') else boxes
    xy = torch.rand(num, 2, generator=g) * extent
    wh = 2 + torch.rand(num, 2, generator=g) * 10
    if tensor.shape[-1] == 5:
        new = torch.cat([xy, wh, (torch.rand(num, 1, generator=g) - 0.5) * math.pi], 1)
    else:
        new = torch.cat([xy - wh / 2, xy + wh / 2], 1)
    new = new.to(tensor.dtype)
    out = InstanceData(metainfo=gts.metainfo)
    out.bboxes = type(boxes)(new) if hasattr(boxes, 'tensor') else new
    num_classes = int(gts.labels.max()) + 1 if len(gts) else 3
    out.labels = torch.randint(0, num_classes, (num, ), generator=g).to(gts.labels.dtype)
    return out


def _extent(args, kwargs) -> float:
    for arg in list(args) + list(kwargs.values()):
        if isinstance(arg, InstanceData) and 'priors' in arg:
            priors = arg.priors.tensor if hasattr(arg.priors, 'tensor') else arg.priors
            return float(priors[:, :2].max())
    return 256.


@pytest.fixture(scope='module', params=sorted(CASES))
def recorded(request):
    config, fmt = CASES[request.param]
    model, batch, _ = build_for_step(config, synthetic=fmt)
    data = model.data_preprocessor(batch, True)
    with record_assignments(model) as calls:
        model(**data, mode='loss')
    assert calls, f'{config}: no assigner call recorded'
    return request.param, config, fmt, calls


def _agreement(a, b) -> float:
    a, b = a.gt_inds.cpu(), b.gt_inds.cpu()
    assert a.shape == b.shape
    return float((a == b).float().mean()) if a.numel() else 1.0


def test_cuda_assignment_equals_cpu(recorded, device):
    name, config, _, calls = recorded
    positives = 0
    for i, (assigner, args, kwargs, cpu_result) in enumerate(calls):
        gts = _get_gts(args, kwargs)
        variants = [('recorded', args, kwargs),
                    ('crowded', *_with_gts(args, kwargs, crowded(gts, 300, _extent(args, kwargs), i))),
                    ('empty', *_with_gts(args, kwargs, crowded(gts, 0, 1., i)))]
        for label, a, k in variants:
            ref = cpu_result if label == 'recorded' else assigner.assign(*a, **k)
            dev = assigner.assign(*move_to(a, device), **move_to(k, device))
            agree = _agreement(ref, dev)
            assert agree >= 0.999, f'{name} ({label} scene, image {i}): {agree:.4%} of priors agree'
            if label != 'empty':
                pos = ref.gt_inds > 0
                assert torch.equal(ref.labels.cpu()[pos.cpu()], dev.labels.cpu()[pos.cpu()])
                positives += int(pos.sum())
            else:
                assert int((dev.gt_inds > 0).sum()) == 0
    assert positives > 0, f'{name}: the scenes gave no positive at all'


def test_assignment_under_autocast(recorded, device, needs_cuda):
    name, config, fmt, _ = recorded
    model, batch, _ = build_for_step(config, synthetic=fmt, device=device)
    data = model.data_preprocessor(batch, True)
    with record_assignments(model) as calls, torch.autocast('cuda', dtype=torch.float16):
        losses = model(**data, mode='loss')
    assert calls
    for _, args, kwargs, result in calls:
        num_gts = len(_get_gts(args, kwargs))
        inds = result.gt_inds
        assert int(inds.min()) >= -1 and int(inds.max()) <= num_gts
        if num_gts:
            assert int((inds > 0).sum()) > 0, f'{name}: no positive under autocast'
    for key, value in losses.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            assert torch.isfinite(v).all(), f'{name}: {key} is not finite under autocast'
