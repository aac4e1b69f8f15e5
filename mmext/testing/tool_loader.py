"""Load a script under the checkout's ``tools/`` folder as a module, for tests of the tools' CLIs.

``tools/`` holds command-line scripts, not a package, and library code never loads them (their
reusable logic lives in ``mmext``). Tests use this to check a tool's argument parser and its
``main`` as users run them.
"""
import importlib.util
import os.path as osp
from types import ModuleType

PROJECT_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(*parts: str, module_name: str = None) -> ModuleType:
    """Execute ``tools/<parts>.py`` of this checkout and return it as a module.

    Args:
        parts: path components under ``tools/`` without the ``.py`` suffix, e.g.
            ``('analysis_tools', 'benchmark_aps_assigner')``.
        module_name: the module's ``__name__``; defaults to the file's stem (never ``'__main__'``,
            so the script's command line does not run).

    Raises:
        FileNotFoundError: naming the missing script (``tools/`` exists only in a checkout;
            install mmext with ``pip install -e .`` from one).
    """
    path = osp.join(PROJECT_ROOT, 'tools', *parts) + '.py'
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} is missing: it is part of an mmext checkout '
                                '(pip install -e . from one)')
    spec = importlib.util.spec_from_file_location(module_name or parts[-1], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
