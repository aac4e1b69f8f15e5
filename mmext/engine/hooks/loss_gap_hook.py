"""Per-instance loss gap and loss sum between the two branches (MMMC, Tables 4 and 5)."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmdet.registry import HOOKS
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


@HOOKS.register_module()
class LossGapHook(Hook):
    """Average each instance's loss gap and loss sum over training windows (MMMC Tables 4-5).

    MMMC (arXiv 2112.08902, Sec. 4.2) measures scale misalignment by "the average loss gap and loss
    sum per instance during one training epoch at model's different iterations". For each
    iteration ``r`` in ``record_iters`` this hook switches on the head's recording
    (``record_instance_loss``, see :class:`~mmext.models.dense_heads.RFAFCOSHead`) for the
    ``window`` iterations ``r, ..., r + window - 1`` (default: one epoch of the train loader).
    Every step the head reports, for each gt with positives, ``gap = |L_cls - L_reg|`` and
    ``sum = L_cls + L_reg`` of the means of its positives' classification and box losses on its
    assigned levels. At the end of a window the hook averages them over all instances seen (over
    all processes when distributed) and

    * appends ``dict(iter=r, window=..., iters_seen=..., num_instances=..., loss_gap=...,
      loss_sum=...)`` to ``<work_dir>/<out_file>`` (json, rewritten each time);
    * adds the scalars ``loss_gap/gap`` and ``loss_gap/sum`` at step ``r`` to the visualiser;
    * logs them.

    A window cut short by the end of training is written with ``iters_seen < window``.

    Args:
        record_iters (Sequence[int]): 0-based iterations at which a window starts (the paper:
            15k, 30k, 45k, 60k, 75k).
        window (int, optional): iterations per window; None for one epoch of the train loader.
        out_file (str): json file name in the work dir. Defaults to 'loss_gap.json'.
    """

    priority = 'LOW'

    def __init__(self,
                 record_iters: Sequence[int],
                 window: Optional[int] = None,
                 out_file: str = 'loss_gap.json') -> None:
        record_iters = sorted(int(i) for i in record_iters)
        if not record_iters or record_iters[0] < 0:
            raise ValueError(f'LossGapHook: record_iters must be non-empty and >= 0, got '
                             f'{record_iters}')
        if window is not None and window < 1:
            raise ValueError(f'LossGapHook: window must be >= 1 or None, got {window}')
        self.record_iters = record_iters
        self.window = window
        self.out_file = out_file
        self.records: List[dict] = []
        self._open: Dict[int, List[float]] = {}  # start -> [gap sum, loss sum, instances, iters]
        self._heads: list = []

    # ------------------------------------------------------------------ helpers
    def _find_heads(self, runner) -> list:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        heads = [m for m in model.modules() if hasattr(m, 'record_instance_loss')]
        if not heads:
            raise RuntimeError(
                'LossGapHook: the model has no module that records per-instance losses '
                '(attribute `record_instance_loss`); use a head such as RFAFCOSHead')
        return heads

    def _active(self, it: int) -> List[int]:
        return [r for r in self.record_iters if r <= it < r + self.window]

    def _close(self, runner, start: int) -> None:
        gap_sum, loss_sum, count, iters = self._open.pop(start)
        totals = torch.tensor([gap_sum, loss_sum, count], dtype=torch.float64)
        all_reduce(totals)  # no-op when not distributed
        gap_sum, loss_sum, count = totals.tolist()
        gap = gap_sum / count if count > 0 else float('nan')
        total = loss_sum / count if count > 0 else float('nan')
        record = dict(iter=start, window=self.window, iters_seen=int(iters),
                      num_instances=int(count), loss_gap=gap, loss_sum=total)
        self.records.append(record)
        runner.logger.info(f'LossGapHook: iterations {start}-{start + int(iters) - 1}: '
                           f'loss gap {gap:.4f}, loss sum {total:.4f} over {int(count)} '
                           'instances')
        runner.visualizer.add_scalars({'loss_gap/gap': gap, 'loss_gap/sum': total}, step=start)
        if is_main_process():
            with open(osp.join(runner.work_dir, self.out_file), 'w') as f:
                json.dump(self.records, f, indent=2)

    # ------------------------------------------------------------------ hooks
    def before_train(self, runner) -> None:
        self._heads = self._find_heads(runner)
        if self.window is None:
            self.window = len(runner.train_dataloader)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        it = runner.iter
        active = self._active(it)
        for start in active:
            self._open.setdefault(start, [0.0, 0.0, 0.0, 0.0])
        for head in self._heads:
            head.record_instance_loss = bool(active)
            head.instance_loss_stats = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        it = runner.iter
        active = self._active(it)
        if not active:
            return
        gap_sum = loss_sum = count = 0.0
        for head in self._heads:
            stats = head.instance_loss_stats
            if stats is not None:
                gap_sum += float(stats['gap'].sum())
                loss_sum += float(stats['sum'].sum())
                count += stats['gap'].numel()
            head.record_instance_loss = False
            head.instance_loss_stats = None
        for start in active:
            acc = self._open[start]
            acc[0] += gap_sum
            acc[1] += loss_sum
            acc[2] += count
            acc[3] += 1
            if it == start + self.window - 1:
                self._close(runner, start)

    def after_train(self, runner) -> None:
        for start in sorted(self._open):
            self._close(runner, start)
        for head in self._heads:
            head.record_instance_loss = False
