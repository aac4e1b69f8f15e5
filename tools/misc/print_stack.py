"""Print which OpenMMLab stack a venv holds, in one line (``make test`` / ``make demo`` call it).

    stack: onedl | mmengine 0.10.12 | mmcv 2.3.6 | mmdet 3.5.1 | ... | torch 2.13.0+cu130

Reads the installed distributions only (imports nothing of OpenMMLab, so it takes no time).
Exits 1 when no stack or a mix of both stacks is installed.
"""
import sys
from importlib.metadata import PackageNotFoundError, version

# import name: (pinned distribution, onedl distribution)
DISTS = {'mmengine': ('mmengine', 'onedl-mmengine'), 'mmcv': ('mmcv', 'onedl-mmcv'),
         'mmdet': ('mmdet', 'onedl-mmdetection'), 'mmrotate': ('mmrotate', 'onedl-mmrotate'),
         'mmseg': ('mmsegmentation', 'onedl-mmsegmentation'),
         'mmpretrain': ('mmpretrain', 'onedl-mmpretrain')}


def _version(dist):
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def main():
    found = {'pinned': {}, 'onedl': {}}
    for name, (pinned, onedl) in DISTS.items():
        for stack, dist in (('pinned', pinned), ('onedl', onedl)):
            v = _version(dist)
            if v is not None:
                found[stack][name] = v
    stacks = [s for s in ('pinned', 'onedl') if found[s]]
    if len(stacks) != 1:
        print('stack: ' + ('none installed' if not stacks else
                           'MIXED (both stacks installed; run make install again)'))
        return 1
    stack = stacks[0]
    parts = [f'stack: {stack}'] + [f'{n} {found[stack].get(n, "MISSING")}' for n in DISTS]
    parts.append(f'torch {_version("torch")}')
    print(' | '.join(parts))
    return 0


if __name__ == '__main__':
    sys.exit(main())
