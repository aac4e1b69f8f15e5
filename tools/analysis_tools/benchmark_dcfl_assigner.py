"""Benchmark DCFL's assigner against the literal reference, and against one training step.

    python tools/analysis_tools/benchmark_dcfl_assigner.py [--num-gts 10 100 500 2000]
        [--img-size 1024] [--repeat 3] [--ref-max-gts 2000] [--threads N] [--skip-step]
        [--step-gts 500] [--device cpu|cuda]

1. **Assigner vs literal reference.** One 1024 x 1024 image, P3-P7 priors (one square prior of
   4 x stride per location: 128² + 64² + 32² + 16² + 8² = 21,824), moved by random dynamic-prior
   offsets, random DOTA-like ground truths (4-100 px, any angle, 18 classes), random predicted
   boxes and class scores. Two modes (``--modes``), each against its slow literal reference in
   ``mmext/testing/dcfl_reference.py`` (Python loops over the ground truths and their
   candidates): ``paper``, ``DCFLAssigner()`` (K=16, Q=12, g=0.8, GJSD) against
   ``paper_reference_assign``; ``official``, ``DCFLAssigner(official=True)`` (same K, Q, g)
   against ``c2f_reference_assign``, the port of the released ``C2FAssigner``. Both run in a fresh subprocess per measurement so that
   the peak memory of each is its own: on CUDA ``torch.cuda.max_memory_allocated``, on CPU the
   growth of the process's peak resident set (``ru_maxrss``) over its size before the call.
   Reported: median time, speed-up, peak memory, and whether both assignments are identical.
2. **Assignment vs one training step** at ``--step-gts`` ground truths: one forward + backward of
   the DCFL R50-FPN model (``configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py``, batch 1, 1024 x 1024)
   with the time spent inside the assigner measured within the same step.

Times on a shared CPU vary from run to run: compare the ratios, which come from one run. With
several threads on a busy machine every small operation waits for the other threads, so the
default is one thread.
"""
import argparse
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STRIDES = (8, 16, 32, 64, 128)
ASSIGNER_CFG = dict(topk=16, topq=12, gauss_thr=0.8, measure='gjsd')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--num-gts', type=int, nargs='+', default=[10, 100, 500, 2000])
    parser.add_argument('--img-size', type=int, default=1024)
    parser.add_argument('--repeat', type=int, default=3, help='timed runs of the assigner')
    parser.add_argument('--ref-repeat', type=int, default=1, help='timed runs of the reference')
    parser.add_argument('--ref-max-gts', type=int, default=2000,
                        help='skip the reference above this many ground truths')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (default 1: stable timings on a shared CPU)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--modes', nargs='+', choices=['paper', 'official'],
                        default=['paper', 'official'], help='assigner modes to run')
    parser.add_argument('--skip-step', action='store_true', help='skip the training-step part')
    parser.add_argument('--step-gts', type=int, default=500)
    parser.add_argument('--child', nargs=2, metavar=('METHOD', 'GTS'), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def make_scene(num_gts, img_size=1024, num_classes=18, seed=0, device='cpu'):
    """Dynamic priors [A, 5], predicted boxes [A, 5], scores [A, C], gts [G, 5], labels [G]."""
    import math

    import torch
    gen = torch.Generator().manual_seed(seed)
    priors = []
    for s in STRIDES:
        n = max(img_size // s, 1)
        ys, xs = torch.meshgrid(torch.arange(n), torch.arange(n), indexing='ij')
        c = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).float() * s
        c += (torch.rand(c.shape, generator=gen) * 2 - 1) * 0.3 * s  # dynamic-prior offsets
        priors.append(torch.cat([c, torch.full((n * n, 2), 4.0 * s), torch.zeros(n * n, 1)], 1))
    priors = torch.cat(priors)
    a = priors.shape[0]
    bboxes = priors.clone()
    bboxes[:, :2] += torch.randn(a, 2, generator=gen) * priors[:, 2:3] / 4
    bboxes[:, 2:4] *= torch.exp(torch.randn(a, 2, generator=gen) * 0.5) / 3
    bboxes[:, 4] = torch.rand(a, generator=gen) * math.pi - math.pi / 4
    scores = torch.rand(a, num_classes, generator=gen)
    gts = torch.rand(num_gts, 5, generator=gen)
    gts[:, :2] *= img_size
    long_side = 4 + gts[:, 2] * 96
    gts[:, 2], gts[:, 3] = long_side, long_side / (1 + gts[:, 3] * 5)
    gts[:, 4] = gts[:, 4] * math.pi - math.pi / 4
    labels = torch.randint(0, num_classes, (num_gts, ), generator=gen)
    return [t.to(device) for t in (priors, bboxes, scores, gts, labels)]


def _rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


class _RSSSampler:
    """Samples the resident set size every millisecond in a thread (CPU peak memory)."""

    def __init__(self):
        import threading
        self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            self._stop.wait(0.001)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


def child(method, num_gts, args):
    """One measurement in this (fresh) process; prints a JSON line."""
    import torch
    from mmengine.structures import InstanceData

    import mmext  # noqa: F401
    from mmext.models.task_modules.assigners import DCFLAssigner
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    from mmext.testing.dcfl_reference import c2f_reference_assign, paper_reference_assign
    priors, bboxes, scores, gts, labels = make_scene(num_gts, args.img_size, device=device)
    mode, which = method.split('-')  # paper|official, mmext|reference
    official = mode == 'official'
    if which == 'mmext':
        assigner = DCFLAssigner(official=official, **ASSIGNER_CFG)
        pred = InstanceData(priors=priors, bboxes=bboxes, scores=scores)
        gt = InstanceData(bboxes=gts, labels=labels)

        def run():
            return assigner.assign(pred, gt).gt_inds
        repeat = args.repeat
    else:
        cpu = [t.cpu() for t in (priors, bboxes, scores, gts, labels)]
        if official:  # the released layout: logits [C, A]; sigmoid(logit) = the scores here
            logits = torch.logit(cpu[2].clamp(1e-6, 1 - 1e-6)).t().contiguous()

            def run():
                return c2f_reference_assign(
                    logits, cpu[1], cpu[0], cpu[3], None, cpu[4], topk=ASSIGNER_CFG['topk'],
                    topq=ASSIGNER_CFG['topq'], gauss_thr=ASSIGNER_CFG['gauss_thr'],
                    assign_metric=ASSIGNER_CFG['measure'])[0]
        else:
            def run():
                return paper_reference_assign(*cpu, **ASSIGNER_CFG)
        repeat = args.ref_repeat
    if device.type == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = _rss_bytes()
        maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        sampler = _RSSSampler()
        sampler.start()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = run()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated() - base
    else:
        sampler.stop()
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        peak = max(sampler.peak, maxrss if maxrss > maxrss_before else 0) - base
    out = out.cpu()
    print(json.dumps(dict(time=statistics.median(times), peak=max(peak, 0),
                          num_pos=int((out > 0).sum()), gt_inds=out.tolist())))


def measure(method, num_gts, args):
    cmd = [sys.executable, osp.abspath(__file__), '--child', method, str(num_gts),
           '--img-size', str(args.img_size), '--repeat', str(args.repeat),
           '--ref-repeat', str(args.ref_repeat), '--device', args.device]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f'{method} with {num_gts} gts failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def training_step(args):
    """Seconds of one forward+backward of DCFL R50-FPN at 1024 px, and of its assignment."""
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData
    from mmrotate.registry import MODELS
    from mmrotate.structures.bbox import RotatedBoxes

    import mmext  # noqa: F401
    from mmext.models.task_modules.assigners import DCFLAssigner
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mmrotate')
    cfg = Config.fromfile(osp.join(ROOT, 'configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py'))
    cfg.model.backbone.init_cfg = None
    device = torch.device(args.device)
    model = MODELS.build(cfg.model).to(device)  # constructor init: enough for timing
    model.train()
    _, _, _, gts, labels = make_scene(args.step_gts, args.img_size, device=device)
    sample = DetDataSample(metainfo=dict(img_shape=(args.img_size, ) * 2,
                                         pad_shape=(args.img_size, ) * 2,
                                         scale_factor=(1., 1.), batch_input_shape=(
                                             args.img_size, ) * 2))
    sample.gt_instances = InstanceData(bboxes=RotatedBoxes(gts), labels=labels)
    imgs = torch.randn(1, 3, args.img_size, args.img_size, device=device)
    spent = []
    real = DCFLAssigner.assign

    def timed(self, *a, **k):
        t = time.perf_counter()
        res = real(self, *a, **k)
        if device.type == 'cuda':
            torch.cuda.synchronize()
        spent.append(time.perf_counter() - t)
        return res

    DCFLAssigner.assign = timed
    steps = []
    for _ in range(2):  # the first is a warm-up
        spent.clear()
        model.zero_grad()
        t = time.perf_counter()
        losses = model.loss(imgs, [sample])
        loss = sum(sum(v) if isinstance(v, list) else v for v in losses.values())
        loss.backward()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        steps.append((time.perf_counter() - t, sum(spent)))
    DCFLAssigner.assign = real
    return steps[-1]


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), args)
        return
    print(f'DCFLAssigner vs literal reference: {args.img_size} x {args.img_size} image, '
          f'P3-P7 priors, device {args.device}, K/Q/g = 16/12/0.8, GJSD')
    print('| mode | gts | mmext (s) | reference (s) | speed-up | mmext peak (MiB) | '
          'reference peak (MiB) | identical | positives |')
    print('|---|---|---|---|---|---|---|---|---|')
    for mode in args.modes:
        for g in args.num_gts:
            ours = measure(f'{mode}-mmext', g, args)
            if g <= args.ref_max_gts:
                ref = measure(f'{mode}-reference', g, args)
                same = ours['gt_inds'] == ref['gt_inds']
                cells = [f'{ref["time"]:.3f}', f'{ref["time"] / ours["time"]:.1f}x',
                         f'{ours["peak"] / 2**20:.0f}', f'{ref["peak"] / 2**20:.0f}',
                         'yes' if same else 'NO']
            else:
                cells = ['-', '-', f'{ours["peak"] / 2**20:.0f}', '-', '-']
            print(f'| {mode} | {g} | {ours["time"]:.3f} | ' + ' | '.join(cells)
                  + f' | {ours["num_pos"]} |', flush=True)
    if not args.skip_step:
        step, assign = training_step(args)
        print(f'\nOne training step of DCFL R50-FPN (batch 1, {args.img_size} px, '
              f'{args.step_gts} gts, {args.device}): {step:.2f} s, of which assignment '
              f'{assign:.3f} s = {100 * assign / step:.1f}%')


if __name__ == '__main__':
    main()
