"""Precision-recall and confidence curves of a detector as images, as Ultralytics' validator saves
them (``PR_curve.png``, ``F1_curve.png``, ``P_curve.png``, ``R_curve.png``).

The curve values come from :func:`mmext.evaluation.metrics.det_prf1_metric.ap_per_class`; this
module only draws them, with matplotlib's Agg canvas (no pyplot state, no display needed).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

CURVE_FILES = {'pr': 'pr_curve.png', 'f1': 'f1_curve.png', 'p': 'p_curve.png',
               'r': 'r_curve.png'}


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(9, 6), tight_layout=True)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def plot_det_curves(curves: Dict[str, np.ndarray], names: Sequence[str],
                    title: str = '') -> Dict[str, object]:
    """Draw the four curves; returns ``{'pr' | 'f1' | 'p' | 'r': matplotlib Figure}``.

    Args:
        curves: ``recall`` (X,) and ``pr`` (K, X): precision envelope against recall at the first
            IoU threshold; ``conf`` (Y,) and ``p``, ``r``, ``f1`` (K, Y) against confidence;
            ``ap50`` (K,); ``best_conf``: the confidence the metric reads P, R, F1 at.
        names: K class names.
    """
    figs = {}
    many = len(names) >= 21  # too many classes for a legend per line (as Ultralytics)
    fig, ax = _figure()
    for k, name in enumerate(names):
        ax.plot(curves['recall'], curves['pr'][k], linewidth=1,
                label=None if many else f'{name} {curves["ap50"][k]:.3f}')
    if len(names):
        ax.plot(curves['recall'], curves['pr'].mean(0), linewidth=3, color='blue',
                label=f'all classes {curves["ap50"].mean():.3f} mAP@0.5')
    ax.set(xlabel='Recall', ylabel='Precision', xlim=(0, 1), ylim=(0, 1),
           title=f'{title} Precision-Recall Curve'.strip())
    ax.legend(bbox_to_anchor=(1.04, 1), loc='upper left')
    figs['pr'] = fig
    for key, label in (('f1', 'F1'), ('p', 'Precision'), ('r', 'Recall')):
        fig, ax = _figure()
        for k, name in enumerate(names):
            ax.plot(curves['conf'], curves[key][k], linewidth=1, label=None if many else name)
        if len(names):
            mean = curves[key].mean(0)
            i = int(np.argmin(np.abs(curves['conf'] - curves['best_conf'])))
            ax.plot(curves['conf'], mean, linewidth=3, color='blue',
                    label=f'all classes {mean[i]:.2f} at {curves["best_conf"]:.3f}')
            ax.axvline(curves['best_conf'], color='gray', linestyle='--', linewidth=1)
        ax.set(xlabel='Confidence', ylabel=label, xlim=(0, 1), ylim=(0, 1),
               title=f'{title} {label}-Confidence Curve'.strip())
        ax.legend(bbox_to_anchor=(1.04, 1), loc='upper left')
        figs[key] = fig
    return figs


def save_det_curves(curves: Dict[str, np.ndarray], names: Sequence[str], out_dir: str,
                    prefix: str = '', title: str = '') -> List[str]:
    """Draw the curves (see :func:`plot_det_curves`) into ``out_dir/<prefix><curve>_curve.png``
    and return the paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for key, fig in plot_det_curves(curves, names, title).items():
        path = osp.join(out_dir, prefix + CURVE_FILES[key])
        fig.savefig(path, dpi=100)
        paths.append(path)
    return paths


def default_curve_dir() -> Optional[str]:
    """The running experiment's log dir (``<work_dir>/<timestamp>``, where mmengine's Runner
    writes its log file), or None outside a Runner."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    for handler in logger.handlers:
        path = getattr(handler, 'baseFilename', None)
        if path:
            return osp.dirname(path)
    return None
