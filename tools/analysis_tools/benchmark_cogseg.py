"""Benchmark CogSeg against the plain U-Net: the price of the SR branch and Edge-RMI in training,
and inference latency (which must be the U-Net's: the SR branch never runs at inference).

    python tools/analysis_tools/benchmark_cogseg.py [--size 256] [--batch 2] [--iters 10]
        [--warmup 3] [--device cpu|cuda] [--width 64] [--cfg-options KEY=VALUE ...]

Models (the paper's configs on COVID-19_1, SyncBN replaced by BN for one process):

- U-Net:       configs/cogseg/unet-s5-d16_up2_2xb4-250e_medseg-covid19-1.py   (baseline)
- +SR (4 L1):  configs/cogseg/cogseg-sr-4l1-ce_unet-s5-d16_2xb4-250e_medseg-covid19-1.py
- CogSeg:      configs/cogseg/cogseg_unet-s5-d16_2xb4-250e_medseg-covid19-1.py (SR + Edge-RMI)

Inputs are random ``size x size`` 1-channel images with ``2 size x 2 size`` label maps holding a
few discs of three lesion classes and high-resolution targets. A training step is forward +
losses + backward + an Adam update; inference is ``model.predict`` under ``torch.no_grad``. The
models are timed in interleaved rounds and the median per model is reported, with each model's
ratio to the U-Net measured in the same run. Edge-RMI's cost grows with the number of predicted
edge pixels, printed as well (a freshly initialised network predicts few edges; a
half-trained one more).
"""
import argparse
import statistics
import time

import numpy as np
import torch
from mmengine.config import DictAction

BASE = 'configs/cogseg/{}_2xb4-250e_medseg-covid19-1.py'
MODELS = (('U-Net', 'unet-s5-d16_up2'), ('+SR (4 L1)', 'cogseg-sr-4l1-ce_unet-s5-d16'),
          ('CogSeg', 'cogseg_unet-s5-d16'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=int, default=256, help='input side (output is 2x)')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--iters', type=int, default=10, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--width', type=int, default=None,
                        help='U-Net base_channels (default: the config, 64)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='options applied to every model config')
    return parser.parse_args(argv)


def build_models(args):
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope

    import mmext  # noqa: F401
    from mmengine.logging import MMLogger
    from mmseg.registry import MODELS as REGISTRY
    init_default_scope('mmseg')
    MMLogger.get_current_instance().setLevel('WARNING')  # no per-parameter init messages
    models = []
    for label, name in MODELS:
        cfg = Config.fromfile(BASE.format(name))
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        if args.width:
            cfg.model.backbone.base_channels = args.width
            cfg.model.decode_head.update(in_channels=args.width, channels=args.width)
        torch.manual_seed(0)
        model = revert_sync_batchnorm(REGISTRY.build(cfg.model)).to(args.device)
        model.init_weights()
        models.append((label, model))
    return models


def make_batch(args):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    rng = np.random.default_rng(0)
    s, big = args.size, 2 * args.size
    inputs = torch.randn(args.batch, 1, s, s, device=args.device)
    yy, xx = np.mgrid[:big, :big]
    samples = []
    for _ in range(args.batch):
        label = np.zeros((big, big), np.int64)
        for cls in (1, 1, 2, 3):
            cy, cx = rng.integers(big // 8, big - big // 8, size=2)
            r = rng.integers(big // 20, big // 8)
            label[(yy - cy)**2 + (xx - cx)**2 <= r * r] = cls
        ds = SegDataSample()
        ds.gt_sem_seg = PixelData(data=torch.from_numpy(label)[None].to(args.device))
        ds.gt_sr_img = PixelData(data=torch.randint(0, 256, (1, big, big), dtype=torch.uint8,
                                                    device=args.device))
        ds.set_metainfo(dict(img_shape=(s, s), ori_shape=(big, big), pad_shape=(s, s)))
        samples.append(ds)
    return inputs, samples


def sync(device):
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def time_call(fn, device):
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    models = build_models(args)
    inputs, samples = make_batch(args)
    optims = {label: torch.optim.Adam(m.parameters(), lr=1e-4) for label, m in models}

    def train_step(label, model):
        model.train()
        losses = model.loss(inputs, samples)
        total = sum(v for k, v in losses.items() if 'loss' in k)
        optims[label].zero_grad()
        total.backward()
        optims[label].step()

    def infer(model):
        model.eval()
        with torch.no_grad():
            model.predict(inputs, samples)

    train_t = {label: [] for label, _ in models}
    infer_t = {label: [] for label, _ in models}
    for r in range(args.warmup + args.iters):
        for label, model in models:
            t = time_call(lambda: train_step(label, model), args.device)
            if r >= args.warmup:
                train_t[label].append(t)
        for label, model in models:
            t = time_call(lambda: infer(model), args.device)
            if r >= args.warmup:
                infer_t[label].append(t)

    cogseg = dict(models)['CogSeg']
    edge_loss = cogseg.decode_head.loss_decode[1]
    with torch.no_grad():
        cogseg.eval()
        logits = cogseg.decode_head(cogseg.extract_feat(inputs))
        label_map = torch.stack([s.gt_sem_seg.data[0] for s in samples])
        valid = torch.ones_like(label_map, dtype=torch.bool)
        edges = edge_loss.edge_map(logits, label_map, valid).sum().item() / args.batch

    print(f'device {args.device}, batch {args.batch}, input {args.size}x{args.size} -> output '
          f'{2 * args.size}x{2 * args.size}, median of {args.iters} rounds after {args.warmup} '
          f'warm-up rounds; CogSeg predicts {edges:.0f} edge pixels per image')
    base_train = statistics.median(train_t['U-Net'])
    base_infer = statistics.median(infer_t['U-Net'])
    print(f'{"model":<12} {"params (M)":>10} {"train step (s)":>15} {"ratio":>6} '
          f'{"inference (s)":>14} {"ratio":>6}')
    for label, model in models:
        tr, inf = statistics.median(train_t[label]), statistics.median(infer_t[label])
        params = sum(p.numel() for p in model.parameters()) / 1e6
        print(f'{label:<12} {params:>10.2f} {tr:>15.4f} {tr / base_train:>6.2f} {inf:>14.4f} '
              f'{inf / base_infer:>6.2f}')
    spread = (max(infer_t['CogSeg']) - min(infer_t['CogSeg'])) / base_infer
    print(f'inference CogSeg / U-Net = {statistics.median(infer_t["CogSeg"]) / base_infer:.3f} '
          f'(CogSeg round-to-round spread {spread:.2f} of the U-Net median)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
