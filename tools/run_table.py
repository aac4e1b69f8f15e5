"""Reproduce a paper table: train and test each row's config, then print the table.

    python tools/run_table.py configs/<paper>/tables/<table>.py [--synthetic] [--dry-run]
        [--collect-only] [--rows 0 2 ...] [--launcher {none,pytorch,slurm}] [--gpus N]
        [--partition P] [--work-dir-root work_dirs] [--cfg-options k=v ...]

A table file (see docs/developer_guide.md) names a title, the metric columns and the rows (label,
config, the paper's numbers). Each row trains with tools/train.py into
``<work-dir-root>/<config name>`` (the tools' default work dir) and tests its last checkpoint
with tools/test.py, which writes ``test_metrics.json`` there. ``--collect-only`` skips both and
reads what the work dirs already hold. ``--synthetic`` runs every row on the project's synthetic
data with the table's short schedule (the table's ``synthetic`` options; results go under
``<work-dir-root>/synthetic/``). ``--cfg-options`` are added to every row. The markdown table is
printed and written to ``<work-dir-root>/tables/<table name>.md``.
"""
import argparse
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('table', help='table file, e.g. configs/baselines/tables/synthetic.py')
    parser.add_argument('--synthetic', action='store_true',
                        help="run on synthetic data with the table's short schedule")
    parser.add_argument('--dry-run', action='store_true', help='print the commands only')
    parser.add_argument('--collect-only', action='store_true',
                        help='do not train or test; collect results from the work dirs')
    parser.add_argument('--rows', nargs='+', type=int, help='indices of the rows to run')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--gpus', type=int, default=1, help='processes per row (pytorch/slurm)')
    parser.add_argument('--partition', help='Slurm partition (with --launcher slurm)')
    parser.add_argument('--work-dir-root', default='work_dirs')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='options added to every row (tools/train.py --cfg-options syntax)')
    return parser.parse_args(argv)


def load_table(path):
    """Read and check a table file; errors name the file and the field."""
    from mmengine.config import Config
    if not osp.isfile(path):
        raise FileNotFoundError(f'table file not found: {path}')
    table = Config.fromfile(path)
    for key in ('title', 'metrics', 'rows'):
        if key not in table:
            raise KeyError(f'{path}: the table file has no {key!r}')
    names = set()
    for i, metric in enumerate(table.metrics):
        for key in ('name', 'key'):
            if key not in metric:
                raise KeyError(f'{path}: metrics[{i}] has no {key!r}')
        names.add(metric['name'])
    for i, row in enumerate(table.rows):
        if 'label' not in row:
            raise KeyError(f'{path}: rows[{i}] has no label')
        if row.get('config') and not osp.isfile(osp.join(ROOT, row['config'])):
            raise FileNotFoundError(f'{path}: rows[{i}] ({row["label"]}): config '
                                    f'{row["config"]} does not exist')
        unknown = set(row.get('paper', {}) or {}) - names
        if unknown:
            raise KeyError(f'{path}: rows[{i}] ({row["label"]}): paper numbers for unknown '
                           f'metrics {sorted(unknown)}; the table has {sorted(names)}')
    return table


def row_work_dir(args, config):
    name = osp.splitext(osp.basename(config))[0]
    root = osp.join(args.work_dir_root, 'synthetic') if args.synthetic else args.work_dir_root
    return osp.join(root, name)


def train_command(args, config, work_dir, options):
    py = sys.executable
    if args.launcher == 'pytorch':
        cmd = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), config, str(args.gpus)]
    elif args.launcher == 'slurm':
        if not args.partition:
            raise SystemExit('--launcher slurm needs --partition')
        cmd = ['bash', osp.join(ROOT, 'tools', 'slurm_train.sh'), args.partition,
               osp.basename(work_dir), config, work_dir]
        return cmd + (['--cfg-options'] + options if options else [])
    else:
        cmd = [py, osp.join(ROOT, 'tools', 'train.py'), config]
    cmd += ['--work-dir', work_dir]
    return cmd + (['--cfg-options'] + options if options else [])


def test_command(args, config, checkpoint, work_dir, options):
    py = sys.executable
    if args.launcher == 'pytorch':
        cmd = ['bash', osp.join(ROOT, 'tools', 'dist_test.sh'), config, checkpoint, str(args.gpus)]
    elif args.launcher == 'slurm':
        cmd = ['bash', osp.join(ROOT, 'tools', 'slurm_test.sh'), args.partition,
               osp.basename(work_dir), config, checkpoint]
    else:
        cmd = [py, osp.join(ROOT, 'tools', 'test.py'), config, checkpoint]
    cmd += ['--work-dir', work_dir]
    return cmd + (['--cfg-options'] + options if options else [])


def read_metrics(work_dir):
    path = osp.join(work_dir, 'test_metrics.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)['metrics']


def format_table(table, results, synthetic):
    """Markdown: one row per table row, paper and measured value for each metric."""
    header = ['Row']
    for m in table.metrics:
        header += [f'{m["name"]} (paper)', f'{m["name"]} (here)']
    header.append('note')
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for i, row in enumerate(table.rows):
        cells = [row['label']]
        measured = results.get(i)
        for m in table.metrics:
            paper = (row.get('paper') or {}).get(m['name'])
            cells.append('-' if paper is None else f'{paper:g}')
            if measured is None or m['key'] not in measured:
                cells.append('-')
            else:
                cells.append(f'{float(measured[m["key"]]) * m.get("scale", 1):.2f}')
        note = row.get('note', '')
        if not row.get('config'):
            note = note or 'no config'
        elif measured is None:
            note = (note + '; ' if note else '') + 'not run'
        cells.append(note)
        lines.append('| ' + ' | '.join(cells) + ' |')
    where = ('measured here on the synthetic data with the short schedule (not comparable to the '
             "paper's numbers)" if synthetic else 'measured here')
    return f'**{table.title}**\n\n' + '\n'.join(lines) + f'\n\n"here": {where}.\n'


def ensure_synthetic_data(formats, dry_run):
    from mmext.datasets.synthetic import generate, is_complete
    for fmt in formats:
        out = osp.join('data', 'synthetic', fmt)
        if is_complete(out):
            continue
        print(f'generating synthetic {fmt} into {out}', flush=True)
        if not dry_run:
            generate(fmt, out)


def run(cmd, dry_run):
    print('$ ' + ' '.join(shlex.quote(c) for c in cmd), flush=True)
    if dry_run:
        return 0
    return subprocess.call(cmd)


def main(argv=None):
    from mmext.apis import latest_checkpoint
    args = parse_args(argv)
    table = load_table(args.table)
    options = list(args.cfg_options)
    if args.synthetic:
        if 'synthetic' not in table:
            raise SystemExit(f'{args.table}: the table has no synthetic options')
        options = list(table.synthetic) + options
        if not args.collect_only:
            ensure_synthetic_data(table.get('synthetic_data', []), args.dry_run)
    results, failed = {}, []
    for i, row in enumerate(table.rows):
        if args.rows is not None and i not in args.rows:
            continue
        config = row.get('config')
        if not config:
            continue
        work_dir = row_work_dir(args, config)
        if not args.collect_only:
            start = time.time()
            row_options = options + list(row.get('cfg_options', []))
            if run(train_command(args, config, work_dir, row_options), args.dry_run) != 0:
                failed.append(row['label'])
                continue
            ckpt = '<last checkpoint>' if args.dry_run else latest_checkpoint(work_dir)
            if run(test_command(args, config, ckpt, work_dir, row_options), args.dry_run) != 0:
                failed.append(row['label'])
                continue
            print(f'row {i} ({row["label"]}) done in {time.time() - start:.0f}s', flush=True)
        if not args.dry_run:
            metrics = read_metrics(work_dir)
            if metrics is not None:
                results[i] = metrics
    if args.dry_run:
        return 0
    text = format_table(table, results, args.synthetic)
    name = osp.splitext(osp.basename(args.table))[0]
    paper = osp.basename(osp.dirname(osp.dirname(osp.abspath(args.table))))
    out_dir = osp.join(args.work_dir_root, 'synthetic' if args.synthetic else '', 'tables')
    os.makedirs(out_dir, exist_ok=True)
    out = osp.join(out_dir, f'{paper}_{name}.md')
    with open(out, 'w') as f:
        f.write(text)
    print()
    print(text)
    print(f'written to {out}')
    if failed:
        print(f'failed rows: {failed}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
