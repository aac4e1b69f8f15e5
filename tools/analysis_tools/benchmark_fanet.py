"""Benchmark the FANet backbone against FocalNet-T and ResNet-50 in one run.

    python tools/analysis_tools/benchmark_fanet.py [--size 512] [--repeat 10] [--warmup 3]
        [--batch 1] [--device cpu|cuda] [--threads N] [--models fanet-t focalnet-t resnet-50]

For each backbone (as the segmentation configs build it: four feature maps, no head) it reports
the parameters, the FLOPs (multiply-accumulates of convolutions, linears and matmuls, counted by
mmengine's ``FlopAnalyzer``) at ``--size``, the median forward latency over ``--repeat`` runs
after ``--warmup`` runs, and the peak memory of one forward pass beyond the weights (CUDA:
peak allocated; CPU: the largest total of live tensors created during the pass, tracked op by
op). Ratios are against ResNet-50 measured in the same run. It also prints the parameters and FLOPs of the
ImageNet classifiers at 224x224 (paper Table 4: FANet 36.7 M / 5.8 G, FocalNet-T 28.6 M / 4.5 G).
Latency on a shared CPU varies run to run; compare ratios, not absolute numbers, across machines.
"""
import argparse
import statistics
import sys
import time
import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode

BACKBONES = {
    'fanet-t': dict(type='FANet', arch='tiny', drop_path_rate=0.),
    'focalnet-t': dict(type='FocalNet', arch='tiny', drop_path_rate=0.),
    'focalnet-b': dict(type='FocalNet', arch='base', drop_path_rate=0.),
    'resnet-50': dict(type='ResNetV1c', depth=50, norm_cfg=dict(type='BN', requires_grad=True)),
}
CLASSIFIERS = {
    'fanet-t': (dict(type='FANet', arch='tiny', out_indices=(3, ), out_norm=True,
                     gap_before_final_norm=True), None, 768),
    'focalnet-t': (dict(type='FocalNet', arch='tiny', out_indices=(3, ), out_norm=True),
                   dict(type='GlobalAveragePooling'), 768),
    'focalnet-b': (dict(type='FocalNet', arch='base', out_indices=(3, ), out_norm=True),
                   dict(type='GlobalAveragePooling'), 1024),
    'resnet-50': (dict(type='ResNet', depth=50), dict(type='GlobalAveragePooling'), 2048),
}


def build_backbone(name: str):
    import mmext  # noqa: F401
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    model = MODELS.build(BACKBONES[name])
    model.eval()  # some upstream train() overrides return None
    return model


def build_classifier(name: str):
    import mmext  # noqa: F401
    from mmpretrain.registry import MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    backbone, neck, channels = CLASSIFIERS[name]
    model = MODELS.build(dict(type='ImageClassifier', backbone=backbone, neck=neck,
                              head=dict(type='LinearClsHead', num_classes=1000,
                                        in_channels=channels)))
    model.eval()
    return model


class _Features(torch.nn.Module):
    """The classifier up to the logits, for FLOP counting."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, x):
        return self.classifier(x, mode='tensor')


def count_flops(model, size: int) -> float:
    from mmengine.analysis import FlopAnalyzer
    x = torch.zeros(1, 3, size, size)
    analyzer = FlopAnalyzer(model, (x, ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return float(analyzer.total())


def num_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def latency(model, size: int, batch: int, device: str, warmup: int, repeat: int) -> float:
    model = model.to(device)
    x = torch.randn(batch, 3, size, size, device=device)
    times = []
    with torch.no_grad():
        for i in range(warmup + repeat):
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(x)
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


class _PeakTensorMemory(TorchDispatchMode):
    """Peak bytes of the tensors created while active (live storages, each counted once).

    Every op's output storage is counted when it first appears and released when the last
    tensor using it is garbage-collected, so the peak is the largest set of activations alive
    at once, without the weights; on CPU this stands in for CUDA's ``max_memory_allocated``.
    """

    def __init__(self):
        super().__init__()
        self.live = self.peak = 0
        self._refs = {}

    def _release(self, key, nbytes):
        self._refs[key] -= 1
        if not self._refs[key]:
            del self._refs[key]
            self.live -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in (out if isinstance(out, (tuple, list)) else [out]):
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            key, nbytes = storage.data_ptr(), storage.nbytes()
            if key not in self._refs:
                self._refs[key] = 0
                self.live += nbytes
                self.peak = max(self.peak, self.live)
            self._refs[key] += 1
            weakref.finalize(t, self._release, key, nbytes)
        return out


def peak_memory_mib(model, size: int, batch: int, device: str) -> float:
    """Peak memory of one forward pass beyond the weights, in MiB."""
    model = model.to(device)
    x = torch.randn(batch, 3, size, size, device=device)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        with torch.no_grad():
            model(x)
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated(device) - base) / 2**20
    with torch.no_grad(), _PeakTensorMemory() as tracker:
        model(x)
    return tracker.peak / 2**20


def run(args) -> str:
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    rows = {}
    for name in args.models:
        model = build_backbone(name)
        rows[name] = dict(
            params=num_params(model) / 1e6,
            flops=count_flops(model, args.size) / 1e9,
            latency=latency(model, args.size, args.batch, args.device, args.warmup, args.repeat),
            memory=peak_memory_mib(model, args.size, args.batch, args.device))
        cls = build_classifier(name)
        rows[name].update(cls_params=num_params(cls) / 1e6,
                          cls_flops=count_flops(_Features(cls), 224) / 1e9)
        del model, cls
    ref = rows.get('resnet-50')
    dev = torch.cuda.get_device_name() if args.device.startswith('cuda') else \
        f'CPU, {threads} threads'
    lines = [
        f'Backbones at {args.size}x{args.size}, batch {args.batch}, {dev}; median of '
        f'{args.repeat} runs after {args.warmup} warm-up runs.', '',
        '| backbone | params (M) | GFLOPs | latency (ms) | x ResNet-50 | peak memory (MiB) '
        '| x ResNet-50 | classifier params (M) | classifier GFLOPs @224 |',
        '|---|---|---|---|---|---|---|---|---|'
    ]
    for name, r in rows.items():
        lat_ratio = f'{r["latency"] / ref["latency"]:.2f}' if ref else '-'
        mem_ratio = f'{r["memory"] / ref["memory"]:.2f}' if ref and ref['memory'] > 0 else '-'
        lines.append(f'| {name} | {r["params"]:.2f} | {r["flops"]:.2f} | {r["latency"]:.1f} | '
                     f'{lat_ratio} | {r["memory"]:.0f} | {mem_ratio} | {r["cls_params"]:.2f} | '
                     f'{r["cls_flops"]:.2f} |')
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--repeat', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=0, help='CPU threads (0: torch default)')
    parser.add_argument('--models', nargs='+', default=['fanet-t', 'focalnet-t', 'resnet-50'],
                        choices=sorted(BACKBONES))
    return parser.parse_args(argv)


if __name__ == '__main__':
    print(run(parse_args()))
    sys.exit(0)
