"""Which OpenMMLab stack an environment holds, read from its installed distributions.

Standard library only and no OpenMMLab import, so that ``tools/misc/print_stack.py`` can load
this file by path and report on an environment whose stack does not import (none, or a mix of
both stacks). :func:`mmext.utils.compat.installed_stack` is this module's function.
"""
from importlib.metadata import PackageNotFoundError, version
from typing import Dict, Optional

# import name: (pinned distribution, onedl distribution)
DISTRIBUTIONS = {
    'mmengine': ('mmengine', 'onedl-mmengine'),
    'mmcv': ('mmcv', 'onedl-mmcv'),
    'mmdet': ('mmdet', 'onedl-mmdetection'),
    'mmrotate': ('mmrotate', 'onedl-mmrotate'),
    'mmseg': ('mmsegmentation', 'onedl-mmsegmentation'),
    'mmpretrain': ('mmpretrain', 'onedl-mmpretrain'),
}
STACKS = ('pinned', 'onedl')


def distribution_version(name: str) -> Optional[str]:
    """The installed version of distribution ``name``, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def installed_versions() -> Dict[str, Dict[str, str]]:
    """``{stack: {import name: version}}`` of the installed distributions of each stack."""
    found = {stack: {} for stack in STACKS}
    for name, dists in DISTRIBUTIONS.items():
        for stack, dist in zip(STACKS, dists):
            v = distribution_version(dist)
            if v is not None:
                found[stack][name] = v
    return found


def installed_stack() -> str:
    """``'pinned'``, ``'onedl'``, ``'mixed'`` (both stacks' distributions: reinstall) or
    ``'none'``."""
    present = [stack for stack, versions in installed_versions().items() if versions]
    return present[0] if len(present) == 1 else ('mixed' if present else 'none')
