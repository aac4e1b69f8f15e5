"""DOTA label files (``labelTxt/*.txt``, ``annfiles/*.txt``), read strictly.

A line is ``x1 y1 x2 y2 x3 y3 x4 y4 class difficult`` (the difficult flag may be missing in some
releases and then counts as 0). The ``imagesource:`` and ``gsd:`` header lines of the raw DOTA
releases are skipped. Anything else is an error that names the file, the line and what is wrong.
"""
import math
from typing import Dict, List

HEADER_PREFIXES = ('imagesource:', 'gsd:')


class DOTALabelError(ValueError):
    """A malformed line in a DOTA label file."""


def parse_dota_label_file(path: str, cls_map: Dict[str, int], diff_thr: int = 100) -> List[dict]:
    """Parse one DOTA label file into mmrotate instances.

    Returns:
        list[dict]: ``bbox`` (8 floats, the quadrilateral), ``bbox_label`` (int) and
        ``ignore_flag`` (1 when ``difficult > diff_thr``). An empty list for a file with no objects.

    Raises:
        DOTALabelError: ``<path>:<line>: <what is wrong>``.
    """
    instances = []
    with open(path) as f:
        lines = f.readlines()
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith(HEADER_PREFIXES):
            continue
        fields = line.split()
        where = f'{path}:{lineno}'
        if len(fields) < 9:
            raise DOTALabelError(f'{where}: expected "x1 y1 ... x4 y4 class difficult", '
                                 f'got {len(fields)} fields: {line!r}')
        try:
            coords = [float(v) for v in fields[:8]]
        except ValueError:
            raise DOTALabelError(f'{where}: the first 8 fields must be numbers: {line!r}') from None
        if not all(math.isfinite(v) for v in coords):
            raise DOTALabelError(f'{where}: non-finite coordinate: {line!r}')
        name = fields[8]
        if name not in cls_map:
            raise DOTALabelError(f'{where}: unknown class {name!r}; the dataset classes are '
                                 f'{sorted(cls_map)}')
        difficult = 0
        if len(fields) > 9:
            try:
                difficult = int(fields[9])
            except ValueError:
                raise DOTALabelError(f'{where}: difficult flag must be an integer, got '
                                     f'{fields[9]!r}') from None
        instances.append(dict(bbox=coords, bbox_label=cls_map[name],
                              ignore_flag=int(difficult > diff_thr)))
    return instances
