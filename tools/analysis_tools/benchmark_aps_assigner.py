"""Benchmark MMMC's pieces against their baselines in one run.

    python tools/analysis_tools/benchmark_aps_assigner.py [--num-gts 50] [--img-size 800 1216]
        [--num-classes 80] [--box-sizes coco uniform] [--repeat 5] [--device cpu|cuda]
        [--head-img-size 512 512] [--head-repeat 5] [--threads N] [--skip-head]
        [--detector] [--detector-img-size 800 1216]

1. **APS** (``APSAssigner``: all gts at once, batched torch EM) against a PAA-style assigner that
   runs the same algorithm one gt at a time and fits ``sklearn.mixture.GaussianMixture`` per gt,
   as the official MMMC code (HaoGood/MOD) and mmdet's PAA head do
   (:func:`per_gt_reference_assign`). Both get the same image: ``--num-gts`` random boxes (COCO's
   small / medium / large mix, or large uniform boxes, see :func:`make_image`), random logits and
   predicted boxes on a 5-level FPN grid (strides 8-128) of ``--img-size``. Reported: the median
   time of each, the speed-up, and the fraction of points both assign identically.
   The GMM split alone (one batched EM vs one sklearn fit per gt) is timed too.
2. **RFA head vs FCOS head**: inference latency of ``RFAFCOSHead`` (DCNv2 at tower conv 1) and of
   mmdet's ``FCOSHead`` (256 channels, 4 tower convs, GN, 80 classes) on the same FPN features of a
   ``--head-img-size`` image, and their ratio (the issue's target: at most 1.10).
3. With ``--detector``: the same for the whole network (ResNet-50 FPN + head, the models of
   ``configs/mmmc/mmmc-fcos-giou_*`` and ``mmmc-rfa_*``, forward pass without post-processing,
   random weights), the setting of the paper's 14.7 vs 14.6 FPS (Table 2).

``--device cuda`` runs the assigners' torch work and the networks on the GPU (timings are
synchronised); the reference's sklearn fits run on the CPU, as in the official code. Times on a
shared CPU vary run to run: compare the ratios, which come from one run.
"""
import argparse
import importlib.util
import math
import statistics
import time
import warnings
from typing import List, Optional, Sequence

import torch

FCOS_RANGES = ((-1, 64), (64, 128), (128, 256), (256, 512), (512, 1e8))
STRIDES = (8, 16, 32, 64, 128)


def per_gt_reference_assign(points: torch.Tensor,
                            num_level_priors: Sequence[int],
                            scores: torch.Tensor,
                            pred_bboxes: torch.Tensor,
                            gt_bboxes: torch.Tensor,
                            gt_labels: torch.Tensor,
                            loss_cls,
                            loss_bbox,
                            topk: int = 9,
                            candidate_count: str = 'min',
                            num_levels: int = 2,
                            scale_standard: str = 'comb',
                            score: str = 'paper',
                            separation: str = 'component',
                            use_scale: bool = True,
                            use_spatial: bool = True,
                            regress_ranges=FCOS_RANGES,
                            gmm_scale: float = 10.0,
                            gmm_precision_init: float = 0.1) -> torch.Tensor:
    """APS one gt at a time with sklearn's GaussianMixture: a slow literal reference.

    Follows the paper's steps (and the official code's options) as ``APSAssigner`` documents
    them, with Python loops over gts and levels, the per-point losses computed directly from a
    one-hot target, and one sklearn GMM fit per gt. Returns (P,) 1-based gt indices (0 =
    background); a point chosen by several gts goes to the smallest.
    """
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    num_points, num_classes = scores.shape
    device = scores.device
    assigned = torch.zeros(num_points, dtype=torch.long, device=device)
    best_area = torch.full((num_points, ), float('inf'), device=device)
    bounds = np.cumsum([0] + list(num_level_priors))
    areas = (gt_bboxes[:, 2] - gt_bboxes[:, 0]) * (gt_bboxes[:, 3] - gt_bboxes[:, 1])
    for g in range(len(gt_bboxes)):
        box = gt_bboxes[g]
        levels = []
        for lvl in range(len(num_level_priors)):
            start, end = int(bounds[lvl]), int(bounds[lvl + 1])
            pts = points[start:end]
            ltrb = torch.stack([pts[:, 0] - box[0], pts[:, 1] - box[1], box[2] - pts[:, 0],
                                box[3] - pts[:, 1]], 1)
            inside = ltrb.min(1).values > 0
            if not use_scale:
                lo, hi = regress_ranges[lvl]
                dist = ltrb.max(1).values
                inside &= (dist >= lo) & (dist <= hi)
            idx = inside.nonzero(as_tuple=True)[0] + start
            if len(idx) == 0:
                continue
            onehot = torch.zeros(len(idx), num_classes, device=device)
            onehot[:, int(gt_labels[g])] = 1
            l_cls = loss_cls(scores[idx], onehot, reduction_override='none').sum(1)
            l_reg = loss_bbox(pred_bboxes[idx], box[None].expand(len(idx), 4),
                              reduction_override='none').reshape(-1)
            order = torch.argsort(l_cls + l_reg, stable=True)
            n = min(topk, len(idx)) if candidate_count == 'min' else len(idx)
            keep = order[:n]
            levels.append((idx[keep], l_cls[keep], l_reg[keep]))
        if not levels:
            continue
        if use_scale:
            standard = dict(comb=lambda c, r: c + r, cls=lambda c, r: c,
                            reg=lambda c, r: r)[scale_standard]
            means = torch.stack([standard(c, r).mean() for _, c, r in levels])
            order = torch.argsort(means, stable=True)[:num_levels]
            levels = [levels[int(i)] for i in order]
        idx = torch.cat([lv[0] for lv in levels])
        l_cls = torch.cat([lv[1] for lv in levels])
        l_reg = torch.cat([lv[2] for lv in levels])
        if not use_spatial:
            pos = torch.ones(len(idx), dtype=torch.bool, device=device)
        else:
            gap = (l_cls - l_reg).abs()
            if score == 'paper':
                s_f = torch.softmax(l_cls, 0) + torch.softmax(l_reg, 0)
                s_m = 1.0 / (1.0 + torch.exp(gap))
                s = torch.sqrt(s_f * s_m)
            elif len(levels) >= 2:
                s = torch.sqrt(torch.sigmoid(gap) * (l_cls + l_reg))
            else:
                s = l_cls + l_reg
            if len(s) == 1:
                pos = torch.ones(1, dtype=torch.bool, device=device)
            else:
                s = s.cpu()
                x = (s * gmm_scale).double().numpy().reshape(-1, 1)
                gmm = GaussianMixture(
                    n_components=2,
                    weights_init=[0.5, 0.5],
                    means_init=np.array([x.min(), x.max()]).reshape(2, 1),
                    precisions_init=np.full((2, 1, 1), gmm_precision_init))
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore', ConvergenceWarning)
                    gmm.fit(x)
                fg = gmm.predict(x) == 0
                if separation == 'official' and fg.any():
                    loglik = gmm.score_samples(x)
                    fg_idx = np.nonzero(fg)[0]
                    peak = fg_idx[np.argmax(loglik[fg])]
                    fg = fg & (s.numpy() <= s.numpy()[peak])
                pos = torch.from_numpy(fg).to(device)
        chosen = idx[pos]
        chosen = chosen[areas[g] < best_area[chosen]]  # ties stay with the earlier gt
        best_area[chosen] = areas[g]
        assigned[chosen] = g + 1
    return assigned


def make_image(num_gts: int,
               img_size: Sequence[int],
               num_classes: int,
               seed: int = 0,
               box_sizes: str = 'uniform'):
    """Random FPN points, logits, predicted boxes and gts for one image.

    ``box_sizes='coco'``: COCO's mix of 41 % small (sqrt(area) 8-32 px), 34 % medium (32-96 px)
    and 25 % large (96-400 px) boxes, aspect ratios 1/2-2; ``'uniform'``: sides uniform between
    12 px and 35 % of the image plus 12 px (large boxes that cover most of the image).
    """
    gen = torch.Generator().manual_seed(seed)
    height, width = img_size
    points, num_level_priors = [], []
    for s in STRIDES:
        ys, xs = torch.meshgrid(torch.arange((height + s - 1) // s),
                                torch.arange((width + s - 1) // s), indexing='ij')
        pts = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).float() * s + s // 2
        points.append(pts)
        num_level_priors.append(len(pts))
    points = torch.cat(points)
    if box_sizes == 'coco':
        bucket = torch.multinomial(torch.tensor([0.41, 0.34, 0.25]), num_gts, replacement=True,
                                   generator=gen)
        low = torch.tensor([8.0, 32.0, 96.0])[bucket]
        high = torch.tensor([32.0, 96.0, 400.0])[bucket]
        side = low + torch.rand(num_gts, generator=gen) * (high - low)
        ratio = torch.exp((torch.rand(num_gts, generator=gen) * 2 - 1) * math.log(2))
        wh = torch.stack([side * ratio.sqrt(), side / ratio.sqrt()], 1)
        wh = torch.minimum(wh, torch.tensor([width - 1.0, height - 1.0]))
    elif box_sizes == 'uniform':
        wh = torch.rand(num_gts, 2, generator=gen) * 0.35 * torch.tensor([width, height]) + 12
    else:
        raise ValueError(f'box_sizes={box_sizes!r} is not one of coco, uniform')
    xy = torch.rand(num_gts, 2, generator=gen) * (torch.tensor([width, height]) - wh)
    gt_bboxes = torch.cat([xy, xy + wh], 1)
    gt_labels = torch.randint(0, num_classes, (num_gts, ), generator=gen)
    scores = torch.randn(len(points), num_classes, generator=gen) * 1.5 - 4
    ltrb = torch.rand(len(points), 4, generator=gen) * 120 + 4
    pred_bboxes = torch.cat([points - ltrb[:, :2], points + ltrb[:, 2:]], 1)
    return points, num_level_priors, scores, pred_bboxes, gt_bboxes, gt_labels


def _median_time(fn, repeat: int, warmup: int = 1, device: str = 'cpu') -> float:
    """Median wall time of ``fn()`` in seconds; CUDA work is synchronised before each stop."""

    def sync():
        if torch.device(device).type == 'cuda':
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_assigner(num_gts: int, img_size, num_classes: int, repeat: int, box_sizes: str,
                   device: str = 'cpu') -> dict:
    import mmext  # noqa: F401
    from mmdet.registry import MODELS, TASK_UTILS
    from mmdet.utils import register_all_modules
    from mmengine.structures import InstanceData
    register_all_modules(init_default_scope=False)
    assigner = TASK_UTILS.build(dict(type='APSAssigner'))
    loss_cls = MODELS.build(dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25))
    loss_bbox = MODELS.build(dict(type='GIoULoss'))
    image = make_image(num_gts, img_size, num_classes, box_sizes=box_sizes)
    points, nlp, scores, pred, gts, labels = (t.to(device) if torch.is_tensor(t) else t
                                              for t in image)
    pred_instances = InstanceData(priors=points, scores=scores, bboxes=pred)
    gt_instances = InstanceData(bboxes=gts, labels=labels)

    def run_aps():
        return assigner.assign(pred_instances, nlp, gt_instances, loss_cls=loss_cls,
                               loss_bbox=loss_bbox).gt_inds

    def run_ref():
        with torch.no_grad():
            return per_gt_reference_assign(points, nlp, scores, pred, gts, labels, loss_cls,
                                           loss_bbox)

    t_aps = _median_time(run_aps, repeat, device=device)
    t_ref = _median_time(run_ref, max(1, repeat // 2), device=device)
    agree = (run_aps() == run_ref()).float().mean().item()
    return dict(points=len(points), t_aps=t_aps, t_ref=t_ref, agree=agree)


def bench_gmm(num_gts: int, repeat: int, num_candidates: int = 18) -> dict:
    """The split alone: one batched EM over all gts vs one sklearn fit per gt."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    from mmext.models.utils import batched_gmm_1d
    gen = torch.Generator().manual_seed(0)
    scores = 10 * torch.rand(num_gts, num_candidates, generator=gen, dtype=torch.float64)

    def run_sklearn():
        labels = []
        for row in scores.numpy():
            x = row.reshape(-1, 1)
            gmm = GaussianMixture(2, weights_init=[0.5, 0.5],
                                  means_init=np.array([x.min(), x.max()]).reshape(2, 1),
                                  precisions_init=np.full((2, 1, 1), 0.1))
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', ConvergenceWarning)
                labels.append(gmm.fit(x).predict(x))
        return np.stack(labels)

    t_torch = _median_time(lambda: batched_gmm_1d(scores), repeat)
    t_sklearn = _median_time(run_sklearn, max(1, repeat // 2), warmup=0)
    same = float((batched_gmm_1d(scores).labels.numpy() == run_sklearn()).mean())
    return dict(t_torch=t_torch, t_sklearn=t_sklearn, same=same)


def bench_heads(img_size, repeat: int, device: str = 'cpu') -> dict:
    import mmext  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    common = dict(num_classes=80, in_channels=256, feat_channels=256, stacked_convs=4,
                  strides=list(STRIDES), norm_on_bbox=True, centerness_on_reg=True,
                  conv_bias=True, loss_bbox=dict(type='GIoULoss'))
    fcos = MODELS.build(dict(type='FCOSHead', **common)).to(device).eval()
    rfa = MODELS.build(dict(type='RFAFCOSHead', rfa_position=1, **common)).to(device).eval()
    height, width = img_size
    feats = tuple(
        torch.randn(1, 256, (height + s - 1) // s, (width + s - 1) // s, device=device)
        for s in STRIDES)
    with torch.no_grad():
        t_fcos = _median_time(lambda: fcos(feats), repeat, device=device)
        t_rfa = _median_time(lambda: rfa(feats), repeat, device=device)
    return dict(t_fcos=t_fcos, t_rfa=t_rfa)


DETECTOR_CONFIGS = ('configs/mmmc/mmmc-fcos-giou_r50-caffe_fpn_gn-head_1x_coco.py',
                    'configs/mmmc/mmmc-rfa_r50-caffe_fpn_gn-head_1x_coco.py')


def bench_detectors(img_size, repeat: int, device: str = 'cpu') -> dict:
    """Network forward (backbone, FPN, head; no post-processing) of the Table 2 models
    FCOS (GIoU quality) and MMMC with RFA, randomly initialised (no weights are loaded)."""
    import os.path as osp

    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    from mmext.utils import PROJECT_ROOT
    register_all_modules(init_default_scope=False)
    height, width = img_size
    inputs = torch.randn(1, 3, height, width, device=device)
    times = []
    for path in DETECTOR_CONFIGS:
        cfg = Config.fromfile(osp.join(PROJECT_ROOT, path))
        model = MODELS.build(cfg.model).to(device).eval()
        with torch.no_grad():
            times.append(_median_time(lambda: model._forward(inputs), repeat, device=device))
        del model
    return dict(t_fcos=times[0], t_rfa=times[1])


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--num-gts', type=int, default=50)
    parser.add_argument('--img-size', type=int, nargs=2, default=[800, 1216], metavar=('H', 'W'))
    parser.add_argument('--num-classes', type=int, default=80)
    parser.add_argument('--box-sizes', nargs='+', choices=['coco', 'uniform'],
                        default=['coco', 'uniform'], help='gt size distributions to run')
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--head-img-size', type=int, nargs=2, default=[512, 512],
                        metavar=('H', 'W'))
    parser.add_argument('--head-repeat', type=int, default=5)
    parser.add_argument('--threads', type=int, help='torch.set_num_threads')
    parser.add_argument('--skip-head', action='store_true')
    parser.add_argument('--detector', action='store_true',
                        help='also time the whole R-50 FPN networks (paper Table 2 FPS)')
    parser.add_argument('--detector-img-size', type=int, nargs=2, default=[800, 1216],
                        metavar=('H', 'W'))
    args = parser.parse_args(argv)
    if importlib.util.find_spec('sklearn') is None:
        parser.error('the per-gt reference fits sklearn.mixture.GaussianMixture: install '
                     'scikit-learn (pip install -r requirements/tests.txt)')
    if torch.device(args.device).type == 'cuda' and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: CUDA is not available on this machine')
    if args.threads:
        torch.set_num_threads(args.threads)

    print(f'device: {args.device}, torch threads: {torch.get_num_threads()}')
    for box_sizes in args.box_sizes:
        res = bench_assigner(args.num_gts, args.img_size, args.num_classes, args.repeat,
                             box_sizes, args.device)
        print(f'APS assigner, {args.num_gts} gts ({box_sizes} sizes), {res["points"]} points, '
              f'{args.num_classes} classes (image {args.img_size[0]}x{args.img_size[1]}):')
        print(f'  APSAssigner (batched EM)          {res["t_aps"] * 1e3:9.1f} ms')
        print(f'  per-gt loop + sklearn GMM (PAA)   {res["t_ref"] * 1e3:9.1f} ms')
        print(f'  speed-up                          {res["t_ref"] / res["t_aps"]:9.1f}x')
        print(f'  identical assignments             {res["agree"] * 100:9.2f} % of points')
    res = bench_gmm(args.num_gts, args.repeat)
    print(f'GMM split alone, {args.num_gts} gts x 18 candidates (CPU):')
    print(f'  batched_gmm_1d (one EM for all)   {res["t_torch"] * 1e3:9.1f} ms')
    print(f'  sklearn GaussianMixture per gt    {res["t_sklearn"] * 1e3:9.1f} ms')
    print(f'  speed-up                          {res["t_sklearn"] / res["t_torch"]:9.1f}x')
    print(f'  identical labels                  {res["same"] * 100:9.2f} %')
    if not args.skip_head:
        _print_latency(f'Head inference, FPN features of a {args.head_img_size[0]}x'
                       f'{args.head_img_size[1]} image, batch 1:',
                       ('FCOSHead', 'RFAFCOSHead (DCNv2 at conv 1)'),
                       bench_heads(args.head_img_size, args.head_repeat, args.device))
    if args.detector:
        _print_latency(f'Network forward (R-50 FPN + head), a {args.detector_img_size[0]}x'
                       f'{args.detector_img_size[1]} image, batch 1:',
                       ('FCOS (GIoU quality)', 'MMMC with RFA'),
                       bench_detectors(args.detector_img_size, args.head_repeat, args.device))


def _print_latency(title: str, names, res: dict) -> None:
    """The FCOS and RFA times of ``res`` (``t_fcos``, ``t_rfa``) and their ratio."""
    print(title)
    print(f'  {names[0]:<34}{res["t_fcos"] * 1e3:9.1f} ms')
    print(f'  {names[1]:<34}{res["t_rfa"] * 1e3:9.1f} ms')
    print(f'  {"latency ratio RFA / FCOS":<34}{res["t_rfa"] / res["t_fcos"]:9.3f}')


if __name__ == '__main__':
    main()
