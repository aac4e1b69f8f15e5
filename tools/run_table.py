"""Reproduce a paper table: train and test each row's config, then print the table.

    python tools/run_table.py configs/<paper>/tables/<table>.py [--synthetic] [--dry-run]
        [--collect-only] [--rows 0 2 ...] [--launcher {none,pytorch,slurm}] [--gpus N]
        [--partition P] [--seed S | --seeds 0 1 2] [--work-dir-root work_dirs]
        [--cfg-options k=v ...]

A table file (see docs/developer_guide.md) names a title, the metric columns and the rows (label,
config, the paper's numbers; optionally a key, init_from another row, flops_input). Each row
trains with tools/train.py into ``<work-dir-root>/<config name>`` (the tools' default work dir;
a suffix is added for row options and seeds other than 0) and is tested with tools/test.py on the
checkpoint its config selects (the best one where default_hooks.checkpoint.save_best is set, else
the last), which writes ``test_metrics.json`` there. A finished run with the same config, options
and seed is reused, not retrained (``--rerun`` retrains). With a launcher each row runs on the GPU
count of its config name's ``NxbM``; ``--gpus N`` runs every row on N processes instead and scales
the LR (``--auto-scale-lr``). ``--seeds`` repeats every row and prints mean ± std.
``--collect-only`` reads what the work dirs already hold. ``--synthetic`` runs every row on the
project's synthetic data with the table's short schedule (the table's ``synthetic`` options; one
process per row; results go under ``<work-dir-root>/synthetic/``). ``--cfg-options`` are added to
every row. The markdown table (with each row's parameter count) is printed and written to
``<work-dir-root>/tables/<paper>_<table>.md``. The logic lives in :mod:`mmext.apis.tables`.
"""
import argparse
import sys

from mmext.apis.tables import load_table, run_table  # noqa: F401  (load_table: for tests)


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('table', help='table file, e.g. configs/baselines/tables/synthetic.py')
    parser.add_argument('--synthetic', action='store_true',
                        help="run on synthetic data with the table's short schedule")
    parser.add_argument('--dry-run', action='store_true',
                        help='print the commands only (nothing trains)')
    parser.add_argument('--collect-only', action='store_true',
                        help='do not train or test; collect results from the work dirs')
    parser.add_argument('--rerun', action='store_true',
                        help='train and test again even where a finished run can be reused')
    parser.add_argument('--rows', nargs='+', type=int,
                        help='indices of the rows to run (and the rows they start from)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--gpus', type=int,
                        help="processes for every row instead of each config's NxbM, with the LR "
                        'scaled to the batch (--auto-scale-lr)')
    parser.add_argument('--partition', help='Slurm partition (with --launcher slurm)')
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument('--seed', type=int, default=0, help='randomness.seed of every row')
    seeds.add_argument('--seeds', type=int, nargs='+',
                       help='run every row with each seed; the table shows mean ± std')
    parser.add_argument('--no-complexity', action='store_true',
                        help='leave out the parameter and FLOPs columns (they build each model)')
    parser.add_argument('--work-dir-root', default='work_dirs')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='options added to every row (tools/train.py --cfg-options syntax)')
    return parser


def parse_args(argv=None):
    args = build_parser().parse_args(argv)
    if args.gpus is not None and args.gpus < 1:
        build_parser().error('--gpus must be at least 1')
    if args.launcher == 'slurm' and not args.partition and not args.collect_only:
        build_parser().error('--launcher slurm needs --partition')
    return args


def main(argv=None):
    args = parse_args(argv)
    return run_table(args.table, synthetic=args.synthetic, dry_run=args.dry_run,
                     collect_only=args.collect_only, rows=args.rows, launcher=args.launcher,
                     gpus=args.gpus, partition=args.partition, work_dir_root=args.work_dir_root,
                     cfg_options=args.cfg_options,
                     seeds=args.seeds if args.seeds else [args.seed],
                     complexity=not args.no_complexity, rerun=args.rerun)


if __name__ == '__main__':
    sys.exit(main())
