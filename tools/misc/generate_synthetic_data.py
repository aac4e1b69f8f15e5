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


def main(argv=None):
    from mmext.datasets.synthetic import GENERATORS, generate
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('format', nargs='?', help=f'one of {sorted(GENERATORS)}')
    parser.add_argument('out_dir', nargs='?', help='output folder (default data/synthetic/FORMAT)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--set', nargs='+', default=[], metavar='KEY=VALUE',
                        help='generator options, e.g. num_train=48')
    parser.add_argument('--list', action='store_true', help='list the formats and their options')
    args = parser.parse_args(argv)
    if args.list or not args.format:
        for name, fn in sorted(GENERATORS.items()):
            params = [p for p in inspect.signature(fn).parameters.values()
                      if p.name not in ('out_dir', 'seed')]
            opts = ', '.join(f'{p.name}={p.default!r}' for p in params)
            print(f'{name:12s} {opts}')
        return 0
    if args.format not in GENERATORS:
        parser.error(f'unknown format {args.format!r}; known: {sorted(GENERATORS)}')
    options = {}
    for item in args.set:
        if '=' not in item:
            parser.error(f'--set expects KEY=VALUE, got {item!r}')
        key, value = item.split('=', 1)
        options[key] = _parse_value(value)
    out_dir = args.out_dir or osp.join('data', 'synthetic', args.format)
    generate(args.format, out_dir, seed=args.seed, **options)
    print(f'wrote synthetic {args.format} (seed {args.seed}) to {out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
