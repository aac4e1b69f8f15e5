"""CogSeg costs nothing at inference: the SR branch never runs, so on any device a CogSeg
prediction executes exactly the modules (and parameters) of its segmentation network.

Latency itself is measured in ``tools/analysis_tools/benchmark_cogseg.py --device cuda`` (run by
``tools/misc/gpu_check.sh``), not in a timed test.
"""
import torch

from mmext.testing.train_step import build_for_step, first_batch

CONFIG = 'configs/cogseg/demo/cogseg_unet-s5-b8_1xb4-20e_synthetic-medseg-covid19-1.py'


def _executed(model, run):
    seen = []
    handles = [m.register_forward_hook(lambda mod, i, o: seen.append(mod))
               for m in model.modules() if not list(m.children())]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return seen


def test_sr_branch_does_not_run_at_inference(device):
    model, _, cfg = build_for_step(CONFIG, synthetic='medseg', device=device)
    batch = first_batch(cfg, 'test_dataloader')
    assert getattr(model, 'sr_head', None) is not None, 'the demo config must have an SR head'
    model.eval()
    with torch.no_grad():
        ran = _executed(model, lambda: model.test_step(batch))
    sr_modules = set(model.sr_head.modules())
    assert ran and not any(m in sr_modules for m in ran)
    seg_params = sum(p.numel() for m in set(ran) for p in m.parameters(recurse=False))
    total = sum(p.numel() for p in model.parameters())
    sr = sum(p.numel() for p in model.sr_head.parameters())
    assert seg_params == total - sr
