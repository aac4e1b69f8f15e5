"""The demo behind ``make demo``: every method end to end on the synthetic sets.

    python tools/demo.py [--only baselines dcfl ...] [--list] [--work-dir work_dirs/demo]

For each entry of ``configs/demo/*.py`` (baselines first) it generates the entry's synthetic data
under ``data/synthetic/<format>`` when missing, trains the config with ``tools/train.py``, tests
the last checkpoint with ``tools/test.py --show-dir`` (prediction images) and prints a summary of
method, dataset, metric, value and wall time, also written to ``<work-dir>/summary.md``.
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


def run_entry(entry, work_root):
    name = osp.splitext(osp.basename(entry['config']))[0]
    work_dir = osp.join(work_root, name)
    options = list(entry.get('cfg_options', []))
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
    if subprocess.call(test + opt_args) != 0:
        return dict(status='test failed', seconds=time.time() - start, work_dir=work_dir)
    with open(osp.join(work_dir, 'test_metrics.json')) as f:
        metrics = json.load(f)['metrics']
    if entry['metric'] not in metrics:
        return dict(status=f'metric {entry["metric"]} missing (got {sorted(metrics)})',
                    seconds=time.time() - start, work_dir=work_dir)
    return dict(status='ok', value=float(metrics[entry['metric']]), seconds=time.time() - start,
                work_dir=work_dir)


def summary_table(rows):
    lines = ['| method | dataset | metric | value | wall time | work dir |',
             '|---|---|---|---|---|---|']
    for entry, res in rows:
        value = f'{res["value"]:.4f}' if res['status'] == 'ok' else res['status']
        lines.append(f'| {entry["method"]} | {entry["dataset"]} | {entry["metric"]} | {value} | '
                     f'{res["seconds"]:.0f} s | {res["work_dir"]} |')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', nargs='+', help='demo groups to run (file names in configs/demo)')
    parser.add_argument('--list', action='store_true', help='list the entries and exit')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'))
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    entries = load_entries(args.only)
    if args.list:
        for e in entries:
            print(f'{e["group"]:10s} {e["method"]:28s} {e["dataset"]:18s} {e["config"]}')
        return 0
    total = time.time()
    rows = []
    for entry in entries:
        ensure_data(entry['data'], entry.get('data_options'))
        rows.append((entry, run_entry(entry, args.work_dir)))
    text = summary_table(rows)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(text + '\n')
    print('\n' + text)
    print(f'\n[demo] {len(rows)} runs in {time.time() - total:.0f} s; prediction images in '
          f'{args.work_dir}/<config>/<timestamp>/predictions (mmseg: .../predictions/vis_data); '
          f'summary in {args.work_dir}/summary.md')
    return 0 if all(res['status'] == 'ok' for _, res in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
