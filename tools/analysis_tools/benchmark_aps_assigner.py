"""Benchmark MMMC's pieces against their baselines in one run.

    python tools/analysis_tools/benchmark_aps_assigner.py [--num-gts 50] [--img-size 800 1216]
        [--num-classes 80] [--box-sizes coco uniform] [--modes paper official] [--repeat 5]
        [--device cpu|cuda]
        [--head-img-size 512 512] [--head-repeat 5] [--threads N] [--skip-head]
        [--detector] [--detector-img-size 800 1216]

1. **APS, both modes**, each against its slow reference on the same image: ``--num-gts`` random
   boxes (COCO's small / medium / large mix, or large uniform boxes, see
   :func:`mmext.testing.aps_reference.make_image`), random logits and predicted boxes on a 5-level
   FPN grid (strides 8-128) of ``--img-size``:

   * paper mode (``APSAssigner()``: all gts at once, batched torch EM) against a PAA-style
     assigner that runs the same algorithm one gt at a time and fits
     ``sklearn.mixture.GaussianMixture`` per gt (:func:`mmext.testing.aps_reference.
     per_gt_reference_assign`), the way the released code and mmdet's PAA head run their GMMs;
   * official mode (``APSAssigner(official=True)``) against the literal port of the released
     assignment (:func:`mmext.testing.mod_reference.mod_assign`, HaoGood/MOD's loops and sklearn).

   Reported: the median time of each, the speed-up, and the fraction of points both assign
   identically.
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
import os.path as osp
import statistics
import time
import warnings
from typing import List, Optional

import torch

from mmext.testing.aps_reference import STRIDES, make_image, per_gt_reference_assign
from mmext.testing.mod_reference import mod_assign_decoded

PROJECT_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


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
                   device: str = 'cpu', official: bool = False) -> dict:
    """Time ``APSAssigner`` (``official`` or paper mode) and its slow reference on one image."""
    import mmext  # noqa: F401
    from mmdet.registry import MODELS, TASK_UTILS
    from mmdet.utils import register_all_modules
    from mmengine.structures import InstanceData
    register_all_modules(init_default_scope=False)
    assigner = TASK_UTILS.build(dict(type='APSAssigner', official=official))
    loss_cls = MODELS.build(dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25))
    loss_bbox = MODELS.build(dict(type='GIoULoss'))
    image = make_image(num_gts, img_size, num_classes, box_sizes=box_sizes)
    points, nlp, scores, pred, gts, labels = (t.to(device) if torch.is_tensor(t) else t
                                              for t in image)
    stride = torch.cat([points.new_full((n, 1), float(s)) for n, s in zip(nlp, STRIDES)])
    priors = torch.cat([points, stride, stride], 1)
    pred_instances = InstanceData(priors=priors, scores=scores, bboxes=pred)
    gt_instances = InstanceData(bboxes=gts, labels=labels)

    def run_aps():
        return assigner.assign(pred_instances, nlp, gt_instances, loss_cls=loss_cls,
                               loss_bbox=loss_bbox).gt_inds

    def run_ref():
        with torch.no_grad():
            if official:  # the released code runs on the CPU here (its .cuda() calls dropped)
                return mod_assign_decoded(points.cpu(), nlp, scores.cpu(), pred.cpu(),
                                          gts.cpu(), labels.cpu(), STRIDES).to(device)
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
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--num-gts', type=int, default=50)
    parser.add_argument('--img-size', type=int, nargs=2, default=[800, 1216], metavar=('H', 'W'))
    parser.add_argument('--num-classes', type=int, default=80)
    parser.add_argument('--box-sizes', nargs='+', choices=['coco', 'uniform'],
                        default=['coco', 'uniform'], help='gt size distributions to run')
    parser.add_argument('--modes', nargs='+', choices=['paper', 'official'],
                        default=['paper', 'official'], help='assigner modes to run')
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
    return parser


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.modes = [mode == 'official' for mode in args.modes]
    if importlib.util.find_spec('sklearn') is None:
        parser.error('the per-gt reference fits sklearn.mixture.GaussianMixture: install '
                     'scikit-learn (pip install -r requirements/tests.txt)')
    if torch.device(args.device).type == 'cuda' and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: CUDA is not available on this machine')
    if args.threads:
        torch.set_num_threads(args.threads)

    print(f'device: {args.device}, torch threads: {torch.get_num_threads()}')
    names = {False: ('APSAssigner() (paper mode)', 'per-gt loop + sklearn GMM (PAA)'),
             True: ('APSAssigner(official=True)', 'released code, literal port')}
    for official in args.modes:
        for box_sizes in args.box_sizes:
            res = bench_assigner(args.num_gts, args.img_size, args.num_classes, args.repeat,
                                 box_sizes, args.device, official=official)
            print(f'APS assigner, {"official" if official else "paper"} mode, {args.num_gts} gts '
                  f'({box_sizes} sizes), {res["points"]} points, {args.num_classes} classes '
                  f'(image {args.img_size[0]}x{args.img_size[1]}):')
            print(f'  {names[official][0]:<34}{res["t_aps"] * 1e3:9.1f} ms')
            print(f'  {names[official][1]:<34}{res["t_ref"] * 1e3:9.1f} ms')
            print(f'  {"speed-up":<34}{res["t_ref"] / res["t_aps"]:9.1f}x')
            print(f'  {"identical assignments":<34}{res["agree"] * 100:9.2f} % of points')
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
