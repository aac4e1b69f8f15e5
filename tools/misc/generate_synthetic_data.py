"""Write a synthetic dataset in a real on-disk format, deterministically from a seed.

    python tools/misc/generate_synthetic_data.py FORMAT [OUT_DIR] [--seed 0] [--set key=value ...]
    python tools/misc/generate_synthetic_data.py --list

OUT_DIR defaults to data/synthetic/FORMAT. ``--set`` passes generator options such as
``num_train=48`` or ``img_size=512``.
"""
import argparse
import ast
import inspect
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))


def _parse_value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def build_parser():
    from mmext.datasets.synthetic import GENERATORS
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('format', nargs='?', help=f'one of {sorted(GENERATORS)}')
    parser.add_argument('out_dir', nargs='?', help='output folder (default data/synthetic/FORMAT)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--set', nargs='+', default=[], metavar='KEY=VALUE',
                        help='generator options, e.g. num_train=48')
    parser.add_argument('--list', action='store_true', help='list the formats and their options')
    return parser


def parse_args(argv=None):
    """The arguments, checked: a known format and KEY=VALUE options (``options``: a dict)."""
    from mmext.datasets.synthetic import GENERATORS
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.format and args.format not in GENERATORS:
        parser.error(f'unknown format {args.format!r}; known: {sorted(GENERATORS)}')
    args.options = {}
    for item in args.set:
        if '=' not in item:
            parser.error(f'--set expects KEY=VALUE, got {item!r}')
        key, value = item.split('=', 1)
        args.options[key] = _parse_value(value)
    params = inspect.signature(GENERATORS[args.format]).parameters if args.format else {}
    if params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        known = set(params) - {'out_dir', 'seed'}
        unknown = sorted(set(args.options) - known)
        if unknown:
            parser.error(f'--set: {args.format} has no option(s) {unknown}; it has '
                         f'{sorted(known)}')
    return args


def main(argv=None):
    from mmext.datasets.synthetic import GENERATORS, generate
    args = parse_args(argv)
    if args.list or not args.format:
        for name, fn in sorted(GENERATORS.items()):
            params = [p for p in inspect.signature(fn).parameters.values()
                      if p.name not in ('out_dir', 'seed')]
            opts = ', '.join(f'{p.name}={p.default!r}' for p in params)
            print(f'{name:12s} {opts}')
        return 0
    options = args.options
    out_dir = args.out_dir or osp.join('data', 'synthetic', args.format)
    generate(args.format, out_dir, seed=args.seed, **options)
    print(f'wrote synthetic {args.format} (seed {args.seed}) to {out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
