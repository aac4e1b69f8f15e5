"""Test-suite set-up shared by every test.

- Synthetic datasets are generated once per test run into a temporary folder shared by the
  xdist workers (``MMEXT_SYNTHETIC_CACHE``); see :func:`mmext.testing.synthetic_root`.
- Each xdist worker uses one torch thread so that parallel workers do not oversubscribe the cores.
- Tests run from the repository root, as users do.
"""
import os
import os.path as osp
import tempfile

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

_run = os.environ.get('PYTEST_XDIST_TESTRUNUID', f'pid{os.getpid()}')
os.environ.setdefault('MMEXT_SYNTHETIC_CACHE',
                      osp.join(tempfile.gettempdir(), f'mmext_synthetic_{_run}'))

if os.environ.get('PYTEST_XDIST_WORKER'):
    import torch
    torch.set_num_threads(1)

os.chdir(ROOT)


@pytest.fixture(scope='session')
def repo_root():
    return ROOT
