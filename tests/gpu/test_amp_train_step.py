"""One training iteration of every demo config on the device, plain and with ``--amp``.

``--amp`` makes ``tools/train.py`` use ``AmpOptimWrapper`` (float16 autocast plus a loss scaler);
here the same wrapper runs one ``train_step`` of each ``configs/demo/*.py`` entry on a batch of
its own synthetic data. The losses must be finite and logged under the same names as in float32,
and inference after the step (on a batch of the test pipeline) must give outputs of the same
shapes with and without autocast.
"""
import glob

import pytest
import torch
from mmengine.config import Config

from mmext.testing.train_step import build_for_step, first_batch, train_step


def demo_entries():
    entries = []
    for path in sorted(glob.glob('configs/demo/*.py')):
        for entry in Config.fromfile(path).entries:
            entries.append(pytest.param(entry, id=entry['config'].split('/')[-1][:-3]))
    return entries


def _shapes(outputs):
    """Keys and per-item trailing shapes of the tensors in a list of data samples."""
    found = []
    for sample in outputs:
        for key in sorted(sample.keys()):
            value = sample.get(key)
            items = value.items() if hasattr(value, 'items') else [(key, value)]
            for sub, tensor in items:
                if isinstance(tensor, torch.Tensor):
                    found.append((key, sub, tuple(tensor.shape[1:]) if tensor.dim() else ()))
                elif hasattr(tensor, 'tensor'):
                    found.append((key, sub, tuple(tensor.tensor.shape[1:])))
    return found


@pytest.mark.parametrize('entry', demo_entries())
def test_one_iteration_fp32_and_amp(entry, device):
    amp_modes = [False, True] if device.type == 'cuda' else [False]
    logged, shapes = {}, {}
    for amp in amp_modes:
        model, batch, cfg = build_for_step(entry['config'], synthetic=entry['data'],
                                           synthetic_options=entry.get('data_options'),
                                           device=device)
        log_vars = train_step(model, batch, cfg.optim_wrapper, amp=amp)
        for key, value in log_vars.items():
            assert torch.isfinite(torch.tensor(value)), f'{key}={value} (amp={amp})'
        logged[amp] = sorted(log_vars)
        model.eval()
        with torch.no_grad(), torch.autocast('cuda', dtype=torch.float16, enabled=amp):
            shapes[amp] = _shapes(model.test_step(first_batch(cfg, 'test_dataloader')))
    assert all(keys == logged[False] for keys in logged.values())
    assert all(s == shapes[False] for s in shapes.values())
