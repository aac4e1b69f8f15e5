"""CUDA tests: mmcv's CUDA ops, the assigners' CUDA branches, AMP training steps.

Every test here takes the ``device`` fixture. It is ``cuda`` unless ``MMEXT_GPU_TEST_DEVICE``
says otherwise, and the tests are skipped where that device is absent, so ``make test`` runs them
wherever CUDA is visible and skips them cleanly elsewhere.

``MMEXT_GPU_TEST_DEVICE=cpu`` runs the same comparisons with the CPU on both sides: the assertions
are then trivially met, but every line of the test code runs, which is how the tests are checked on
a machine without a GPU (tests that need a CUDA-only op or AMP still skip).
"""
import os

import pytest
import torch

DEVICE = os.environ.get('MMEXT_GPU_TEST_DEVICE', 'cuda')


def cuda_present() -> bool:
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if DEVICE.startswith('cuda') and not cuda_present():
        skip = pytest.mark.skip(reason='CUDA is not available (set MMEXT_GPU_TEST_DEVICE=cpu '
                                       'to dry-run the test code on the CPU)')
        for item in items:
            if 'tests/gpu/' in item.nodeid.replace(os.sep, '/'):
                item.add_marker(skip)
    for item in items:
        if 'tests/gpu/' in item.nodeid.replace(os.sep, '/'):
            item.add_marker(pytest.mark.cuda)


@pytest.fixture(scope='session')
def device():
    return torch.device(DEVICE)


@pytest.fixture(scope='session')
def needs_cuda(device):
    """For tests of CUDA-only code (an op without a CPU kernel, AMP): skipped in a CPU dry run."""
    if device.type != 'cuda':
        pytest.skip('needs a CUDA device (this is a CPU dry run)')


@pytest.fixture(autouse=True)
def _exact_fp32():
    """fp32 comparisons against the CPU: no TF32 in convolutions and matrix products."""
    if not torch.cuda.is_available():
        yield
        return
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old
