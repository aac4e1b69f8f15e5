"""Speed of the refined-GFL YOLOv8 models, as ratios measured in one run.

    python tools/analysis_tools/benchmark_yolov8.py [--sizes n s m l x] [--img-size 640]
        [--repeat 5] [--train-size n] [--batch 4] [--threads N] [--device cpu]

1. Inference latency (batch 1, ``img-size`` square input, eval mode, no grad, post-processing
   included) of the detection configs of each size, and its ratio to the first size.
2. Time of one training step (forward, losses with task-aligned assignment, backward, AdamW step)
   of one size with the refined GFL (QFL on IoU targets) and with YOLOv8's BCE, on the same
   random batch with a few boxes per image, and the ratio QFL / BCE.

Each time is the minimum over ``--repeat`` runs after one warm-up run (the minimum is the least
disturbed by other processes on a shared machine); the two training variants run alternately, step
by step, so that both see the same load. Only the ratios are meant to be compared across machines.
"""
import argparse
import sys
import time

import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', nargs='+', default=['n', 's', 'm', 'l', 'x'])
    parser.add_argument('--img-size', type=int, default=640)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--train-size', default='n', help='size for the QFL vs BCE step')
    parser.add_argument('--train-img-size', type=int, default=None,
                        help='input size of the training step (default: --img-size)')
    parser.add_argument('--batch', type=int, default=4, help='batch of the training step')
    parser.add_argument('--threads', type=int, default=None, help='torch threads')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--skip-inference', action='store_true')
    parser.add_argument('--skip-train', action='store_true')
    return parser.parse_args(argv)


def build(size, loss, device):
    from mmdet.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile(f'configs/rgfl/yolov8_{size}_{loss}_1xb16-100e_road-assets.py')
    model = MODELS.build(cfg.model).to(device)
    model.init_weights()
    return model


def batch(n, img_size, device, seed=0):
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(seed)
    inputs = torch.rand(n, 3, img_size, img_size, generator=g).to(device)
    samples = []
    for _ in range(n):
        k = 4
        xy = torch.rand(k, 2, generator=g) * img_size * 0.7
        wh = 16 + torch.rand(k, 2, generator=g) * img_size * 0.25
        sample = DetDataSample(metainfo=dict(
            img_shape=(img_size, img_size), ori_shape=(img_size, img_size), scale_factor=(1., 1.),
            batch_input_shape=(img_size, img_size), pad_shape=(img_size, img_size)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, (xy + wh).clamp(max=img_size)], 1).to(device),
            labels=torch.randint(0, 7, (k, ), generator=g).to(device))
        samples.append(sample)
    return inputs, samples


def run_once(fn, device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def timed(fns, repeat, device):
    """Minimum time of each function over ``repeat`` rounds (one warm-up round first); the
    functions run alternately within a round."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for t, fn in zip(times, fns):
            t.append(run_once(fn, device))
    return [min(t) for t in times]


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    import logging

    from mmdet.utils import register_all_modules
    from mmengine.logging import MMLogger

    import mmext  # noqa: F401
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
    register_all_modules(init_default_scope=True)
    print(f'device {args.device}, torch threads {torch.get_num_threads()}, '
          f'minimum of {args.repeat} runs')

    if not args.skip_inference:
        inputs, samples = batch(1, args.img_size, args.device)
        rows = []
        for size in args.sizes:
            model = build(size, 'rgfl', args.device).eval()
            params = sum(p.numel() for p in model.parameters()) / 1e6

            def infer():
                with torch.no_grad():
                    model.predict(inputs, samples)

            rows.append((size, params, timed([infer], args.repeat, args.device)[0]))
            del model
        print(f'\nInference, batch 1, {args.img_size}x{args.img_size}, '
              f'relative to YOLOv8{args.sizes[0]}')
        print('| model | params (M, 7 classes) | latency (ms) | ratio |')
        print('|---|---|---|---|')
        for size, params, t in rows:
            print(f'| YOLOv8{size} | {params:.2f} | {t * 1e3:.1f} | {t / rows[0][2]:.2f} |')

    if not args.skip_train:
        img_size = args.train_img_size or args.img_size
        inputs, samples = batch(args.batch, img_size, args.device, seed=1)
        models, steps = {}, []
        for loss in ('bce', 'rgfl'):
            torch.manual_seed(0)
            model = build(args.train_size, loss, args.device).train()
            optim = torch.optim.AdamW(model.parameters(), lr=1e-4)
            models[loss] = (model, optim)

            def step(model=model, optim=optim):
                losses = model.loss(inputs, samples)
                total = sum(v for v in losses.values())
                optim.zero_grad()
                total.backward()
                optim.step()

            steps.append(step)
        results = dict(zip(('bce', 'rgfl'), timed(steps, args.repeat, args.device)))
        print(f'\nTraining step, YOLOv8{args.train_size}, batch {args.batch}, '
              f'{img_size}x{img_size}')
        print('| classification loss | step (ms) | ratio to BCE |')
        print('|---|---|---|')
        print(f'| BCE (YOLOv8) | {results["bce"] * 1e3:.1f} | 1.00 |')
        print(f'| QFL (refined GFL) | {results["rgfl"] * 1e3:.1f} | '
              f'{results["rgfl"] / results["bce"]:.2f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
