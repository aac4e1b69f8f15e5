"""Training machinery on the toy config: resume, and 2-process CPU DDP == 1 process, batch 2b."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmext.testing import run_config

TOY = 'configs/baselines/toy/toy-linear_synthetic.py'


def _weights(path):
    state = torch.load(path, map_location='cpu')['state_dict']
    return torch.cat([state['linear.weight'].reshape(-1), state['linear.bias']])


def test_train_test_and_resume(tmp_path):
    full = tmp_path / 'full'
    metrics = run_config(TOY, str(full))
    assert metrics['toy/mse'] < 1.0  # the untrained model's MSE is ~1.4
    # resume from the epoch-1 checkpoint of a copy and finish: same final weights
    from mmext import apis
    resumed = tmp_path / 'resumed'
    resumed.mkdir()
    cfg = apis.load_config(TOY)
    cfg = apis.setup_train_cfg(cfg, TOY, work_dir=str(resumed),
                               resume=str(full / 'epoch_1.pth'))
    runner = apis.train(cfg)
    assert runner.epoch == 2
    assert torch.allclose(_weights(full / 'epoch_2.pth'), _weights(resumed / 'epoch_2.pth'),
                          atol=1e-6)


def test_two_process_cpu_ddp_matches_single_process(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PORT=str(29500 + os.getpid() % 1000))
    ddp_dir = tmp_path / 'ddp'
    cmd = ['bash', 'tools/dist_train.sh', TOY, '2', '--work-dir', str(ddp_dir),
           '--cfg-options', 'train_dataloader.batch_size=2']
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (ddp_dir / 'epoch_2.pth').exists()
    proc = subprocess.run(['bash', 'tools/dist_test.sh', TOY, str(ddp_dir / 'epoch_2.pth'), '2',
                           '--work-dir', str(ddp_dir)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'toy/mse' in proc.stdout
    single = tmp_path / 'single'
    run_config(TOY, str(single), cfg_options={'train_dataloader.batch_size': 4}, test=False)
    torch.testing.assert_close(_weights(ddp_dir / 'epoch_2.pth'), _weights(single / 'epoch_2.pth'),
                               atol=1e-5, rtol=1e-5)
