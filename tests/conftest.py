"""Test-suite set-up shared by every test.

- Synthetic datasets are generated once per test run into a temporary folder shared by the
  xdist workers (``MMEXT_SYNTHETIC_CACHE``); see :func:`mmext.testing.synthetic_root`.
- Each xdist worker uses one torch thread so that parallel workers do not oversubscribe the cores.
- Tests run from the repository root, as users do.
- Every test module starts with the default scope it would have if run alone.
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


@pytest.fixture(scope='module', autouse=True)
def _default_scope_per_module():
    """Each test module starts without a default scope, whatever an earlier module left behind.

    A runner (or ``register_all_modules(init_default_scope=True)``) creates a process-wide
    ``DefaultScope``; registries then resolve types in that toolbox first, so an mmrotate scope
    left by one module would hide mmdet or mmseg types from the next. Modules run on one worker
    each (``--dist loadfile``), in order, as when run alone.
    """
    from mmengine.registry import DefaultScope
    DefaultScope._instance_dict.clear()
    yield
    DefaultScope._instance_dict.clear()
