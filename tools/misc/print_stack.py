"""Print which OpenMMLab stack a venv holds, in one line (``make test`` / ``make demo`` call it).

    stack: onedl | mmengine 0.10.12 | mmcv 2.3.6 | mmdet 3.5.1 | ... | torch 2.13.0+cu130

Reads the installed distributions only, through ``mmext/utils/stacks.py`` loaded by its path (so
nothing of mmext or OpenMMLab is imported: it takes no time and works where the stack does not
import). Exits 1 when no stack or a mix of both stacks is installed.
"""
import importlib.util
import os.path as osp
import sys

STACKS_PY = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'mmext', 'utils', 'stacks.py')


def _load_stacks():
    spec = importlib.util.spec_from_file_location('_mmext_stacks', STACKS_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    stacks = _load_stacks()
    stack = stacks.installed_stack()
    if stack not in stacks.STACKS:
        print('stack: ' + ('none installed' if stack == 'none' else
                           'MIXED (both stacks installed; run make install again)'))
        return 1
    versions = stacks.installed_versions()[stack]
    parts = [f'stack: {stack}']
    parts += [f'{name} {versions.get(name, "MISSING")}' for name in stacks.DISTRIBUTIONS]
    parts.append(f'torch {stacks.distribution_version("torch")}')
    print(' | '.join(parts))
    return 0


if __name__ == '__main__':
    sys.exit(main())
