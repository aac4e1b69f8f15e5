"""The demo behind ``make demo``: every method end to end on the synthetic sets.

    python tools/demo.py [--only baselines dcfl ...] [--list] [--work-dir work_dirs/demo]
                         [--seed 0 | --seeds 0 1 2]

For each entry of ``configs/demo/*.py`` (baselines first) it generates the entry's synthetic data
under ``data/synthetic/<format>`` when missing, trains the config with ``tools/train.py``, tests
the last checkpoint with ``tools/test.py --show-dir`` (prediction images) and prints a summary of
method, dataset, metric, value and wall time, also written to ``<work-dir>/summary.md``.
Every run is seeded: ``randomness.seed`` is ``--seed`` (default 0) for every entry. With
``--seeds`` each entry runs once per seed (into ``<work-dir>/<config>_seed<S>``) and the summary
gives the minimum, median and maximum over the seeds.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_entries(only=None):
    from mmengine.config import Config
    files = sorted(glob.glob(osp.join(ROOT, 'configs', 'demo', '*.py')),
                   key=lambda p: (osp.basename(p) != 'baselines.py', osp.basename(p)))
    entries = []
    for path in files:
        group = osp.splitext(osp.basename(path))[0]
        if only and group not in only:
            continue
        for i, entry in enumerate(Config.fromfile(path).get('entries', [])):
            for key in ('method', 'dataset', 'data', 'config', 'metric'):
                if key not in entry:
                    raise KeyError(f'{path}: entries[{i}] has no {key!r}')
            entries.append(dict(entry, group=group))
    if only:
        unknown = set(only) - {e['group'] for e in entries}
        if unknown:
            raise SystemExit(f'--only: no demo entries for {sorted(unknown)}')
    return entries


def ensure_data(fmt, options):
    from mmext.datasets.synthetic import generate, is_complete
    out = osp.join('data', 'synthetic', fmt)
    if not is_complete(out):
        print(f'[demo] generating synthetic {fmt} into {out}', flush=True)
        generate(fmt, out, **(options or {}))


def run_entry(entry, work_root, seed=0, suffix=''):
    name = osp.splitext(osp.basename(entry['config']))[0]
    work_dir = osp.join(work_root, name + suffix)
    options = list(entry.get('cfg_options', [])) + [f'randomness.seed={seed}']
    opt_args = ['--cfg-options'] + options if options else []
    py = sys.executable
    start = time.time()
    train = [py, osp.join(ROOT, 'tools', 'train.py'), entry['config'], '--work-dir', work_dir]
    print(f'\n[demo] {entry["method"]} on {entry["dataset"]}: {" ".join(train + opt_args)}',
          flush=True)
    if subprocess.call(train + opt_args) != 0:
        return dict(status='train failed', seconds=time.time() - start, work_dir=work_dir)
    from mmext.apis import latest_checkpoint
    ckpt = latest_checkpoint(work_dir)
    test = [py, osp.join(ROOT, 'tools', 'test.py'), entry['config'], ckpt, '--work-dir', work_dir,
            '--show-dir', 'predictions']
    from mmext.apis.tables import Command, execute, parse_class_table
    log_path = osp.join(work_dir, 'test_output.log')
    if execute(Command(test + opt_args), log_path) != 0:
        return dict(status='test failed', seconds=time.time() - start, work_dir=work_dir)
    with open(osp.join(work_dir, 'test_metrics.json')) as f:
        metrics = json.load(f)['metrics']
    if entry['metric'] not in metrics:
        return dict(status=f'metric {entry["metric"]} missing (got {sorted(metrics)})',
                    seconds=time.time() - start, work_dir=work_dir)
    with open(log_path, errors='replace') as f:
        per_class = parse_class_table(f.read(), 'IoU')
    return dict(status='ok', value=float(metrics[entry['metric']]), seconds=time.time() - start,
                work_dir=work_dir, learned=learned(float(metrics[entry['metric']]), per_class))


def learned(value, per_class_iou):
    """Whether the entry learned its foreground: every foreground class's IoU above 0 where the
    test logged a per-class IoU table (segmentation), else the metric above 0 (detection,
    classification). Returns the text shown in the summary."""
    fg = {k: v for k, v in per_class_iou.items() if 'background' not in k.lower()}
    if fg:
        low = min(fg, key=lambda k: fg[k] if fg[k] == fg[k] else -1.0)  # nan counts as lowest
        ok = all(v > 0 for v in fg.values())
        return f'{"yes" if ok else "NO"} (lowest foreground IoU: {low} {fg[low]:.2f})'
    return 'yes' if value > 0 else 'NO'


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def seeds_table(rows, seeds):
    """One line per entry: min / median / max of the metric over the seeds, mean wall time."""
    lines = ['| method | dataset | metric | min | median | max | learned foreground | seeds | '
             'wall time (mean) |', '|---|---|---|---|---|---|---|---|---|']
    for entry, results in rows:
        values = [r['value'] for r in results if r['status'] == 'ok']
        failed = [f'seed {s}: {r["status"]}' for s, r in zip(seeds, results) if r['status'] != 'ok']
        cells = ([f'{min(values):.4f}', f'{median(values):.4f}', f'{max(values):.4f}']
                 if values else ['-', '-', '-'])
        seconds = sum(r['seconds'] for r in results) / len(results)
        cells.append('; '.join(f'seed {s}: {r["learned"]}' for s, r in zip(seeds, results)
                               if r['status'] == 'ok'))
        seed_text = ', '.join(map(str, seeds)) + ('; ' + '; '.join(failed) if failed else '')
        lines.append(f'| {entry["method"]} | {entry["dataset"]} | {entry["metric"]} | '
                     + ' | '.join(cells) + f' | {seed_text} | {seconds:.0f} s |')
    return '\n'.join(lines)


def summary_table(rows):
    lines = ['| method | dataset | metric | value | learned foreground | wall time | work dir |',
             '|---|---|---|---|---|---|---|']
    for entry, res in rows:
        value = f'{res["value"]:.4f}' if res['status'] == 'ok' else res['status']
        lines.append(f'| {entry["method"]} | {entry["dataset"]} | {entry["metric"]} | {value} | '
                     f'{res.get("learned", "-")} | {res["seconds"]:.0f} s | {res["work_dir"]} |')
    return '\n'.join(lines)


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', nargs='+', help='demo groups to run (file names in configs/demo)')
    parser.add_argument('--list', action='store_true', help='list the entries and exit')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'))
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument('--seed', type=int, default=0, help='randomness.seed of every entry')
    seeds.add_argument('--seeds', type=int, nargs='+',
                       help='run every entry once per seed; the summary gives min/median/max')
    return parser


def parse_args(argv=None):
    args = build_parser().parse_args(argv)
    if args.seeds and len(set(args.seeds)) != len(args.seeds):
        build_parser().error(f'--seeds: each seed once, got {args.seeds}')
    if args.only:  # the groups are the file names in configs/demo
        known = {osp.splitext(osp.basename(p))[0]
                 for p in glob.glob(osp.join(ROOT, 'configs', 'demo', '*.py'))}
        unknown = sorted(set(args.only) - known)
        if unknown:
            build_parser().error(f'--only: no demo group {unknown}; known: {sorted(known)}')
    return args


def main(argv=None):
    args = parse_args(argv)
    os.chdir(ROOT)
    entries = load_entries(args.only)
    if args.list:
        for e in entries:
            print(f'{e["group"]:10s} {e["method"]:28s} {e["dataset"]:18s} {e["config"]}')
        return 0
    total = time.time()
    rows = []
    if args.seeds:
        for entry in entries:
            ensure_data(entry['data'], entry.get('data_options'))
            rows.append((entry, [run_entry(entry, args.work_dir, seed, f'_seed{seed}')
                                 for seed in args.seeds]))
        text = seeds_table(rows, args.seeds)
        ok = all(r['status'] == 'ok' for _, results in rows for r in results)
    else:
        for entry in entries:
            ensure_data(entry['data'], entry.get('data_options'))
            rows.append((entry, run_entry(entry, args.work_dir, args.seed)))
        text = summary_table(rows) + f'\n\nEvery entry ran with randomness.seed={args.seed}.'
        ok = all(res['status'] == 'ok' for _, res in rows)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(text + '\n')
    print('\n' + text)
    print(f'\n[demo] {len(rows)} entries in {time.time() - total:.0f} s; prediction images in '
          f'{args.work_dir}/<config>/<timestamp>/predictions (mmseg: .../predictions/vis_data); '
          f'summary in {args.work_dir}/summary.md')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
