"""LossGapHook: recording windows, averages over instances, the json file and the visualiser."""
import json
import os.path as osp
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import torch
import torch.nn as nn

import mmext  # noqa: F401
from mmext.engine.hooks import LossGapHook


class RecordingHead(nn.Module):
    """Stands in for RFAFCOSHead: reports two instances per recorded step."""

    def __init__(self):
        super().__init__()
        self.record_instance_loss = False
        self.instance_loss_stats = None
        self.recorded_at = []

    def step(self, it):
        if self.record_instance_loss:
            self.recorded_at.append(it)
            self.instance_loss_stats = dict(gap=torch.tensor([float(it), it + 1.0]),
                                            sum=torch.tensor([10.0 * it, 10.0 * it + 1]))


def make_runner(tmp_path, model):
    return SimpleNamespace(model=model, iter=0, work_dir=str(tmp_path),
                           train_dataloader=[None] * 4, logger=MagicMock(),
                           visualizer=MagicMock())


def run_iters(hook, runner, head, iters):
    hook.before_train(runner)
    for it in range(iters):
        runner.iter = it
        hook.before_train_iter(runner, it)
        head.step(it)
        hook.after_train_iter(runner, it)
    hook.after_train(runner)


def test_windows_are_averaged_over_instances(tmp_path):
    head = RecordingHead()
    model = nn.Sequential(nn.Linear(2, 2), head)
    runner = make_runner(tmp_path, model)
    hook = LossGapHook(record_iters=[6, 1], window=3)
    run_iters(hook, runner, head, iters=8)
    # recording only inside [1, 4) and [6, 9) (training stops after iteration 7)
    assert head.recorded_at == [1, 2, 3, 6, 7]
    assert not head.record_instance_loss
    records = json.load(open(osp.join(tmp_path, 'loss_gap.json')))
    first, second = records
    # window 1: gaps 1,2 | 2,3 | 3,4 -> 15 / 6; sums 10,11 | 20,21 | 30,31 -> 123 / 6
    assert first['iter'] == 1 and first['iters_seen'] == 3 and first['num_instances'] == 6
    assert first['loss_gap'] == pytest.approx(2.5)
    assert first['loss_sum'] == pytest.approx(20.5)
    # window 2 was cut short by the end of training: iterations 6 and 7 only
    assert second['iter'] == 6 and second['iters_seen'] == 2 and second['num_instances'] == 4
    assert second['loss_gap'] == pytest.approx(7.0)
    assert second['loss_sum'] == pytest.approx(65.5)
    calls = runner.visualizer.add_scalars.call_args_list
    assert calls[0].args[0] == {'loss_gap/gap': pytest.approx(2.5),
                                'loss_gap/sum': pytest.approx(20.5)}
    assert calls[0].kwargs['step'] == 1 and calls[1].kwargs['step'] == 6


def test_default_window_is_one_epoch(tmp_path):
    head = RecordingHead()
    runner = make_runner(tmp_path, head)
    hook = LossGapHook(record_iters=[2], out_file='gap.json')
    run_iters(hook, runner, head, iters=10)
    assert head.recorded_at == [2, 3, 4, 5]  # len(train_dataloader) = 4
    assert json.load(open(osp.join(tmp_path, 'gap.json')))[0]['window'] == 4


def test_bad_use_is_reported(tmp_path):
    with pytest.raises(ValueError, match='record_iters'):
        LossGapHook(record_iters=[])
    with pytest.raises(ValueError, match='window'):
        LossGapHook(record_iters=[0], window=0)
    runner = make_runner(tmp_path, nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match='record_instance_loss'):
        LossGapHook(record_iters=[0]).before_train(runner)
