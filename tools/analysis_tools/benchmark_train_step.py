"""Time one training step of detector configs, and the share of it spent in their assigners.

    python tools/analysis_tools/benchmark_train_step.py CONFIG [CONFIG ...] [--img-size H W]
        [--num-gts 100] [--batch 2] [--steps 5] [--warmup 2] [--device cpu|cuda] [--amp]
        [--threads N] [--out results.json]

Each config's model is built as in training (its pretrained ``init_cfg`` dropped: nothing is
downloaded) and trained for ``--warmup`` + ``--steps`` SGD steps on one fixed random batch of
``--batch`` images of ``H x W`` with ``--num-gts`` random ground truths each: rotated boxes of
4-100 px at any angle for mmrotate configs (DOTA-like), axis-aligned boxes of 8-300 px for mmdet
configs (COCO-like). A step is forward, losses, backward and the optimizer update, synchronised
on CUDA. Reported per config: the median step time; the median time inside ``assigner.assign``
(measured in a second set of steps in which every assign call is synchronised and timed, so the
first set stays unperturbed) and its share of those steps; and the step time relative to the
first config, all from one run. With ``--amp`` the steps run under float16 autocast with a
gradient scaler, as ``tools/train.py --amp`` does.

Examples (the paper's pairs, same backbone and image size):

    # DCFL vs Rotated RetinaNet, R50-FPN, DOTA patches
    python tools/analysis_tools/benchmark_train_step.py \\
        configs/dcfl/rotated-retinanet-rbox-le135_r50_fpn_1x_dotav2.py \\
        configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py --img-size 1024 1024 --num-gts 200
    # MMMC (RFA + APS) vs FCOS, R50-FPN, COCO size
    python tools/analysis_tools/benchmark_train_step.py \\
        configs/mmmc/mmmc-fcos-giou_r50-caffe_fpn_gn-head_1x_coco.py \\
        configs/mmmc/mmmc_r50-caffe_fpn_gn-head_1x_coco.py --img-size 800 1216 --num-gts 20
"""
import argparse
import json
import math
import statistics
import sys
import time
import uuid
from contextlib import contextmanager


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', nargs='+', help='detector configs; the first is the baseline')
    parser.add_argument('--img-size', type=int, nargs=2, default=[1024, 1024], metavar=('H', 'W'))
    parser.add_argument('--num-gts', type=int, default=100, help='ground truths per image')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--steps', type=int, default=5, help='timed steps (median reported)')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--amp', action='store_true', help='float16 autocast + gradient scaler')
    parser.add_argument('--threads', type=int, help='torch.set_num_threads (CPU)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the results as JSON to this file')
    return parser.parse_args(argv)


def build_model(config, device):
    """The config's detector in train mode on ``device``, and its toolbox scope."""
    from mmengine.registry import MODELS, DefaultScope

    from mmext import apis
    cfg = apis.load_config(config)
    scope = cfg.default_scope
    # a new instance becomes the current default scope (an existing one, fetched again, does not)
    DefaultScope.get_instance(f'benchmark_{uuid.uuid4().hex}', scope_name=scope)
    if cfg.model.get('backbone', {}).get('init_cfg', None) is not None:
        cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device).train(), scope


def num_classes_of(model):
    for module in model.modules():
        for attr in ('num_classes', 'cls_out_channels'):
            value = getattr(module, attr, None)
            if isinstance(value, int) and value > 0 and module is not model:
                return value
    return 80


def random_batch(scope, batch, img_size, num_gts, num_classes, device, seed, as_tensor=False):
    """``(inputs, data_samples)`` of random images with random ground truths; boxes as plain
    tensors with ``as_tensor`` (what a data preprocessor with ``boxtype2tensor`` hands on)."""
    import torch
    from mmdet.structures import DetDataSample
    from mmdet.structures.bbox import HorizontalBoxes
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(seed)
    h, w = img_size
    inputs = torch.randn(batch, 3, h, w, generator=g).to(device)
    samples = []
    for _ in range(batch):
        centre = torch.rand(num_gts, 2, generator=g) * torch.tensor([w, h])
        if scope == 'mmrotate':
            from mmrotate.structures.bbox import RotatedBoxes
            size = 4 + torch.rand(num_gts, 2, generator=g) * 96
            angle = (torch.rand(num_gts, 1, generator=g) - 0.5) * math.pi
            boxes = RotatedBoxes(torch.cat([centre, size, angle], 1))
        else:
            size = 8 + torch.rand(num_gts, 2, generator=g) * 292
            xyxy = torch.cat([centre - size / 2, centre + size / 2], 1)
            xyxy[:, 0::2] = xyxy[:, 0::2].clamp(0, w)
            xyxy[:, 1::2] = xyxy[:, 1::2].clamp(0, h)
            boxes = HorizontalBoxes(xyxy)
        sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                                             batch_input_shape=(h, w), scale_factor=(1., 1.)))
        if as_tensor:
            boxes = boxes.tensor
        sample.gt_instances = InstanceData(
            bboxes=boxes.to(device),
            labels=torch.randint(0, num_classes, (num_gts, ), generator=g).to(device))
        sample.ignored_instances = InstanceData(bboxes=boxes[:0].to(device),
                                                labels=torch.zeros(0, dtype=torch.long,
                                                                   device=device))
        samples.append(sample)
    return inputs, samples


def _sync(device):
    import torch
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


@contextmanager
def timed_assigners(model, device, spent):
    """Time every ``assigner.assign`` call of ``model`` (synchronised) into the list ``spent``."""
    assigners = []
    for module in model.modules():
        assigner = getattr(module, 'assigner', None)
        if assigner is not None and hasattr(assigner, 'assign') and assigner not in assigners:
            assigners.append(assigner)
    for assigner in assigners:
        real = assigner.assign

        def wrapped(*args, _real=real, **kwargs):
            _sync(device)
            start = time.perf_counter()
            result = _real(*args, **kwargs)
            _sync(device)
            spent.append(time.perf_counter() - start)
            return result

        assigner.assign = wrapped
    try:
        yield len(assigners)
    finally:
        for assigner in assigners:
            del assigner.assign


def time_steps(model, inputs, samples, steps, warmup, device, amp):
    """Seconds of each of ``steps`` training steps (after ``warmup`` untimed ones)."""
    import torch
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    scaler = torch.amp.GradScaler('cuda', enabled=amp)
    times = []
    for i in range(warmup + steps):
        _sync(device)
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            losses = model.loss(inputs, samples)
            loss, _ = model.parse_losses(losses)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def benchmark(config, args, device):
    model, scope = build_model(config, device)
    as_tensor = bool(getattr(model.data_preprocessor, 'boxtype2tensor', False))
    inputs, samples = random_batch(scope, args.batch, args.img_size, args.num_gts,
                                   num_classes_of(model), device, args.seed, as_tensor)
    plain = time_steps(model, inputs, samples, args.steps, args.warmup, device, args.amp)
    spent = []
    with timed_assigners(model, device, spent) as num_assigners:
        timed = []
        for _ in range(args.steps):
            spent_before = len(spent)
            step = time_steps(model, inputs, samples, 1, 0, device, args.amp)[0]
            timed.append((step, sum(spent[spent_before:])))
    step_med = statistics.median(plain)
    assign_med = statistics.median(a for _, a in timed) if num_assigners else 0.
    share = (statistics.median(a / s for s, a in timed) if num_assigners else 0.)
    return dict(config=config, scope=scope, step_ms=1e3 * step_med, assign_ms=1e3 * assign_med,
                assign_share=share, assigners=num_assigners, steps=args.steps)


def main(argv=None):
    args = parse_args(argv)
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if args.amp and device.type != 'cuda':
        sys.exit('--amp needs a CUDA device')
    results = [benchmark(c, args, device) for c in args.configs]
    base = results[0]['step_ms']
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'
    print(f'\nTraining step, batch {args.batch} x {args.img_size[0]}x{args.img_size[1]}, '
          f'{args.num_gts} gts/image, {name}, torch {torch.__version__}'
          f'{", AMP fp16" if args.amp else ""}; median of {args.steps} steps')
    print('| config | step (ms) | vs first | assign (ms) | assign share |')
    print('|---|---|---|---|---|')
    for r in results:
        r['vs_first'] = r['step_ms'] / base
        share = f'{100 * r["assign_share"]:.1f}%' if r['assigners'] else 'no assigner'
        print(f'| {r["config"]} | {r["step_ms"]:.1f} | {r["vs_first"]:.2f} | '
              f'{r["assign_ms"]:.1f} | {share} |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(device=name, torch=torch.__version__, args=vars(args),
                           results=results), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
