"""Cached synthetic data and one-call train+test runs for tests."""
import hashlib
import json
import os
import os.path as osp
import tempfile
import uuid
from typing import Dict, Optional

_CACHE_ENV = 'MMEXT_SYNTHETIC_CACHE'


def synthetic_root(fmt: str, seed: int = 0, **kwargs) -> str:
    """Return the root of synthetic dataset ``fmt``, generating it once per cache folder.

    The cache folder is ``$MMEXT_SYNTHETIC_CACHE`` (the test suite sets it to a per-run temporary
    folder) or, when unset, ``<tmp>/mmext_synthetic``. A completed dataset has a ``.done`` marker,
    so parallel test workers never read a half-written set.
    """
    from filelock import FileLock

    from mmext.datasets.synthetic import generate, is_complete
    base = os.environ.get(_CACHE_ENV) or osp.join(tempfile.gettempdir(), 'mmext_synthetic')
    key = hashlib.sha1(json.dumps([seed, sorted(kwargs.items())], default=str).encode()).hexdigest()
    root = osp.join(base, f'{fmt}_{key[:10]}')
    os.makedirs(base, exist_ok=True)
    with FileLock(root + '.lock'):
        if not is_complete(root):
            generate(fmt, root, seed=seed, **kwargs)
    return root


def _own_visualizer(cfg) -> None:
    """Give this run's visualizer a name of its own.

    Visualizers are process-wide singletons looked up by name, and hooks draw with the most
    recently created one; the tools run one config per process, tests run many in one process.
    """
    if cfg.get('visualizer', None) is not None:
        cfg.visualizer['name'] = f'{cfg.visualizer.get("name", "visualizer")}_{uuid.uuid4().hex[:8]}'


def run_config(config_path: str, work_dir: str, cfg_options: Optional[dict] = None,
               train: bool = True, test: bool = True, checkpoint: Optional[str] = None,
               show_dir: Optional[str] = None) -> Dict[str, float]:
    """Train then test ``config_path`` exactly as ``tools/train.py`` and ``tools/test.py`` do.

    ``show_dir`` is ``tools/test.py --show-dir``. Returns the test metrics (empty when ``test``
    is False).
    """
    from mmext import apis
    if train:
        cfg = apis.load_config(config_path, cfg_options)
        cfg = apis.setup_train_cfg(cfg, config_path, work_dir=work_dir)
        _own_visualizer(cfg)
        apis.train(cfg)
    if not test:
        return {}
    cfg = apis.load_config(config_path, cfg_options)
    cfg = apis.setup_test_cfg(cfg, config_path, checkpoint or apis.latest_checkpoint(work_dir),
                              work_dir=work_dir, show_dir=show_dir)
    _own_visualizer(cfg)
    return apis.test(cfg)
