"""Benchmark mmext's pure-PyTorch rotated IoU against mmcv's ``box_iou_rotated`` (CPU).

Both run in the same process on the same random boxes; the table prints the median time of each,
their ratio and the largest value difference. mmcv's op has no gradient, so the forward+backward
time of the PyTorch version (what a training step pays for ``RotatedIoULoss``) is listed next to
mmcv's forward only.

    python tools/analysis_tools/benchmark_rotated_iou.py [--repeat 5] [--threads 1]
"""
import argparse
import math
import statistics
import time

import torch
from mmcv.ops import box_iou_rotated

from mmext.structures import rotated_box_iou


def random_boxes(n, generator, extent=800.0):
    xy = extent * torch.rand(n, 2, generator=generator)
    wh = 4 + 120 * torch.rand(n, 2, generator=generator)
    theta = (torch.rand(n, 1, generator=generator) - 0.5) * math.pi
    return torch.cat([xy, wh, theta], dim=1)


def timeit(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    cases = [('pairwise', 100, 100), ('pairwise', 500, 1000), ('pairwise', 1000, 3000),
             ('aligned', 1000, 1000), ('aligned', 20000, 20000), ('aligned', 200000, 200000)]
    header = (f"{'case':<24}{'mmcv fwd (ms)':>15}{'torch fwd (ms)':>16}{'ratio':>8}"
              f"{'torch fwd+bwd (ms)':>20}{'max |diff|':>12}")
    print(f'torch threads: {args.threads}; median of {args.repeat} runs; ratio = torch / mmcv')
    print(header)
    print('-' * len(header))
    for kind, n, m in cases:
        aligned = kind == 'aligned'
        b1, b2 = random_boxes(n, g), random_boxes(m, g)
        if aligned:  # overlapping pairs, as in a loss
            b2 = b1 + torch.cat([4 * torch.randn(n, 2, generator=g),
                                 torch.randn(n, 2, generator=g),
                                 0.2 * torch.randn(n, 1, generator=g)], 1)
            b2[:, 2:4] = b2[:, 2:4].abs() + 1
        t_mmcv = timeit(lambda: box_iou_rotated(b1, b2, aligned=aligned), args.repeat)
        with torch.no_grad():
            t_torch = timeit(lambda: rotated_box_iou(b1, b2, aligned=aligned), args.repeat)
        diff = (rotated_box_iou(b1, b2, aligned=aligned) -
                box_iou_rotated(b1, b2, aligned=aligned)).abs().max().item()

        def fwd_bwd():
            x = b1.clone().requires_grad_()
            rotated_box_iou(x, b2, aligned=aligned).sum().backward()

        t_bwd = timeit(fwd_bwd, args.repeat) if aligned or n * m <= 1e6 else float("nan")
        name = f'{kind} {n}x{m}' if not aligned else f'{kind} {n}'
        print(f'{name:<24}{1e3 * t_mmcv:>15.2f}{1e3 * t_torch:>16.2f}{t_torch / t_mmcv:>8.2f}'
              f'{1e3 * t_bwd:>20.2f}{diff:>12.2e}')


if __name__ == '__main__':
    main()
