"""Deterministic synthetic datasets written in the real on-disk formats.

Each format lives in its own module and registers a generator
``generate_<fmt>(out_dir, seed=0, **kwargs)``. The same arguments always write the same files, so
tests, the demo and users get identical data. Run one from the command line with
``python tools/misc/generate_synthetic_data.py <fmt> <out_dir> [--seed S]``.
"""
import os
from typing import Callable, Dict

GENERATORS: Dict[str, Callable] = {}


def register_generator(name: str) -> Callable:
    """Decorator: register ``fn(out_dir, seed=0, **kwargs)`` as the generator of format ``name``."""

    def wrap(fn: Callable) -> Callable:
        if name in GENERATORS and GENERATORS[name] is not fn:
            raise KeyError(f'synthetic format {name!r} is registered twice '
                           f'({GENERATORS[name].__module__} and {fn.__module__})')
        GENERATORS[name] = fn
        return fn

    return wrap


DONE_MARKER = '.done'


def generate(name: str, out_dir: str, seed: int = 0, **kwargs) -> str:
    """Write synthetic dataset ``name`` to ``out_dir`` and return ``out_dir``.

    A ``.done`` file is written last, so a reader can tell a complete set from an interrupted one
    (see :func:`is_complete`).
    """
    if name not in GENERATORS:
        raise KeyError(f'unknown synthetic format {name!r}; known: {sorted(GENERATORS)}')
    GENERATORS[name](out_dir, seed=seed, **kwargs)
    open(os.path.join(out_dir, DONE_MARKER), 'w').close()
    return out_dir


def is_complete(out_dir: str) -> bool:
    """Whether ``out_dir`` holds a synthetic set that :func:`generate` finished writing."""
    return os.path.exists(os.path.join(out_dir, DONE_MARKER))


# one import per format module (each registers itself)
from . import coco, dota, seg  # noqa: E402,F401
from . import imagenet, zerowaste  # noqa: E402,F401
from . import yolo  # noqa: E402,F401
from . import medseg  # noqa: E402,F401
from . import hrsc  # noqa: E402,F401

__all__ = ['GENERATORS', 'register_generator', 'generate', 'is_complete']
