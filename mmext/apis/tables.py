"""Paper tables: read a table file, plan its runs, build the train/test commands, collect results.

``tools/run_table.py`` is the command line over :func:`run_table`. A table file
(``configs/<paper>/tables/<table>.py``, see docs/developer_guide.md) names a title, metric columns
and rows; a row names a config, the paper's numbers and optionally:

- ``cfg_options``: options added to the row's training and test (``key=value`` strings);
- ``key`` and ``init_from=dict(row=<key>, field='model.backbone.init_cfg', prefix='backbone.')``:
  the row starts from the checkpoint of the row with that key (e.g. ImageNet pre-training before
  a segmentation row); rows run in dependency order and the dependent row gets
  ``--cfg-options {field}.type=Pretrained {field}.checkpoint=<ckpt> [{field}.prefix=<prefix>]``;
- ``flops_input=(3, H, W)`` (also table-wide): FLOPs at that input size become a column.

``synthetic`` (usually from the paper's ``tables/_base_/synthetic.py``) lists the options that
``--synthetic`` adds to every row; ``synthetic_extra`` adds a table's own to them; a row's own
``synthetic`` list replaces both for that row (a table whose rows train on different datasets,
e.g. ImageNet pre-training rows before segmentation rows).

A metric is ``dict(name=..., key=..., scale=1, digits=2)``: ``key`` of the test metrics
(``test_metrics.json``) or, with ``file='loss_gap.json', index=k``, of the ``k``-th record of that
json list in the run's work dir (what a training hook wrote, e.g. MMMC's ``LossGapHook``).

Planning (:func:`plan_table`) turns rows × seeds into runs. A run is identified by its config,
options, seed, process count and the run it starts from; its work dir is derived from that
identity, so a row that appears in two tables (same config and options) has one work dir and is
trained once: a finished work dir (``run.json`` with the same identity and ``test_metrics.json``)
is reused. Each run has the process count and per-process batch of its config name's ``NxbM``
(``N`` GPUs × ``M`` images); where it runs on a different count (``gpus=`` given, or one process
without a launcher) ``--auto-scale-lr`` scales the learning rate to the real batch, from the
config's ``auto_scale_lr.base_batch_size`` or, where the config has none, from ``N × M``.
The checkpoint tested is the one the config selects: the best one where
``default_hooks.checkpoint.save_best`` is set, else the last; the table says which.
"""
import copy
import glob
import hashlib
import json
import math
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

PROJECT_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# ``8xb2``: 8 GPUs x 2 images each, as a separate word of an OpenMMLab config name
_NXBM = re.compile(r'(?:^|[_-])(\d+)xb(\d+)(?=[_-]|$)')
_INIT_FROM_KEYS = {'row', 'field', 'prefix'}


# --------------------------------------------------------------------------------------------
# the table file


def load_table(path: str):
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
        if 'file' in metric:
            if not isinstance(metric['file'], str) or not isinstance(metric.get('index'), int):
                raise TypeError(f"{path}: metrics[{i}] reads a work-dir file: it needs "
                                f"file='<name>.json' and an int index, got {dict(metric)}")
        names.add(metric['name'])
    keys = {}
    for i, row in enumerate(table.rows):
        if 'label' not in row:
            raise KeyError(f'{path}: rows[{i}] has no label')
        where = f'{path}: rows[{i}] ({row["label"]})'
        if row.get('config') and not osp.isfile(osp.join(PROJECT_ROOT, row['config'])):
            raise FileNotFoundError(f'{where}: config {row["config"]} does not exist')
        unknown = set(row.get('paper', {}) or {}) - names
        if unknown:
            raise KeyError(f'{where}: paper numbers for unknown metrics {sorted(unknown)}; the '
                           f'table has {sorted(names)}')
        for name in ('cfg_options', 'synthetic'):
            if not isinstance(row.get(name, []), (list, tuple)):
                raise TypeError(f'{where}: {name} must be a list of key=value strings')
        if row.get('key') is not None:
            if row['key'] in keys:
                raise KeyError(f'{where}: key {row["key"]!r} is also rows[{keys[row["key"]]}]\'s')
            keys[row['key']] = i
        _check_flops_input(row.get('flops_input'), f'{where}: flops_input')
    _check_flops_input(table.get('flops_input'), f'{path}: flops_input')
    for i, row in enumerate(table.rows):
        init = row.get('init_from')
        if init is None:
            continue
        where = f'{path}: rows[{i}] ({row["label"]}).init_from'
        if not isinstance(init, dict) or not {'row', 'field'} <= set(init) \
                or set(init) - _INIT_FROM_KEYS:
            raise KeyError(f"{where} must be dict(row=<key>, field='model.backbone.init_cfg'"
                           f"[, prefix='backbone.']), got {init}")
        if init['row'] not in keys:
            raise KeyError(f'{where}: no row has key {init["row"]!r} (keys: {sorted(keys)})')
        if not row.get('config') or not table.rows[keys[init['row']]].get('config'):
            raise ValueError(f'{where}: both rows need a config')
    dependency_order(table, path)  # refuses cycles
    return table


def _check_flops_input(value, where):
    if value is None:
        return
    if not (isinstance(value, (list, tuple)) and len(value) == 3
            and all(isinstance(v, int) and v > 0 for v in value)):
        raise ValueError(f'{where} must be (channels, height, width), got {value!r}')


def dependency_order(table, path: str = '<table>') -> List[int]:
    """Row indices such that a row comes after the row its ``init_from`` names."""
    keys = {row['key']: i for i, row in enumerate(table.rows) if row.get('key') is not None}
    order, state = [], {}

    def visit(i, chain):
        if state.get(i) == 'done':
            return
        if state.get(i) == 'visiting':
            labels = ' -> '.join(table.rows[j]['label'] for j in chain + [i])
            raise ValueError(f'{path}: init_from forms a cycle: {labels}')
        state[i] = 'visiting'
        init = table.rows[i].get('init_from')
        if init:
            visit(keys[init['row']], chain + [i])
        state[i] = 'done'
        order.append(i)

    for i in range(len(table.rows)):
        visit(i, [])
    return order


def gpus_and_batch(config: str) -> Optional[Tuple[int, int]]:
    """``(N, M)`` from the ``NxbM`` word of a config name (N GPUs x M images), else ``None``."""
    found = _NXBM.findall(osp.splitext(osp.basename(config))[0])
    if not found:
        return None
    if len(set(found)) > 1:
        raise ValueError(f'{config}: the name has several NxbM words {found}')
    return int(found[0][0]), int(found[0][1])


# --------------------------------------------------------------------------------------------
# planning


@dataclass
class Run:
    """One training + test of one config with one set of options and one seed."""
    config: str
    options: Tuple[str, ...]            # row and table options (no seed, no init options)
    seed: int
    gpus: int                           # processes
    natural_gpus: Optional[int]         # N of the config's NxbM
    batch: Optional[int]                # M of the config's NxbM
    scale_lr: bool
    parent: Optional['Run'] = None
    init_field: Optional[str] = None
    init_prefix: Optional[str] = None
    work_dir: str = ''
    rows: List[int] = field(default_factory=list)

    def identity(self) -> dict:
        ident = dict(config=self.config, options=list(self.options), seed=self.seed)
        if self.gpus != (self.natural_gpus or 1):
            ident['gpus'] = self.gpus
        if self.parent is not None:
            ident['init_from'] = dict(work_dir=self.parent.work_dir, field=self.init_field,
                                      prefix=self.init_prefix)
        return ident

    def init_options(self, checkpoint: str) -> List[str]:
        if self.parent is None:
            return []
        opts = [f'{self.init_field}.type=Pretrained', f'{self.init_field}.checkpoint={checkpoint}']
        if self.init_prefix:
            opts.append(f'{self.init_field}.prefix={self.init_prefix}')
        return opts


def run_work_dir(root: str, config: str, ident: dict) -> str:
    """``<root>/<config name>``, plus a hash of the options and the seed where they are set.

    The default run (no options, seed 0) trains where ``tools/train.py`` would.
    """
    name = osp.splitext(osp.basename(config))[0]
    rest = {k: v for k, v in ident.items() if k not in ('config', 'seed')}
    if rest.get('options') == []:
        rest.pop('options')
    if rest:
        digest = hashlib.sha1(json.dumps(rest, sort_keys=True).encode()).hexdigest()[:8]
        name += f'_{digest}'
    if ident['seed'] != 0:
        name += f'_seed{ident["seed"]}'
    return osp.join(root, name)


@dataclass
class Plan:
    table: object
    path: str
    runs: List[Run]                     # unique runs, in the order they run
    rows: Dict[int, List[Run]]          # row index -> its run per seed
    seeds: Tuple[int, ...]
    synthetic: bool


def plan_table(table, path: str, *, synthetic: bool = False, work_dir_root: str = 'work_dirs',
               seeds: Sequence[int] = (0, ), gpus: Optional[int] = None, launcher: str = 'none',
               cfg_options: Sequence[str] = (), rows: Optional[Sequence[int]] = None) -> Plan:
    """Rows x seeds as unique runs in dependency order (see the module docstring)."""
    options = list(cfg_options)
    table_synthetic: List[str] = []
    if synthetic:
        if 'synthetic' not in table and not all('synthetic' in r for r in table.rows
                                                if r.get('config')):
            raise ValueError(f'{path}: the table has no synthetic options')
        table_synthetic = (list(table.get('synthetic', []))
                           + list(table.get('synthetic_extra', [])))
    root = osp.join(work_dir_root, 'synthetic') if synthetic else work_dir_root
    keys = {row['key']: i for i, row in enumerate(table.rows) if row.get('key') is not None}
    if rows is not None:
        bad = [i for i in rows if not 0 <= i < len(table.rows)]
        if bad:
            raise ValueError(f'--rows {bad}: {path} has rows 0..{len(table.rows) - 1}')
    # the selected rows and the rows they start from
    selected = set(range(len(table.rows)) if rows is None else rows)
    stack = list(selected)
    while stack:
        init = table.rows[stack.pop()].get('init_from')
        if init and keys[init['row']] not in selected:
            selected.add(keys[init['row']])
            stack.append(keys[init['row']])
    order = [i for i in dependency_order(table, path) if i in selected
             and table.rows[i].get('config')]
    unique: Dict[str, Run] = {}
    per_row: Dict[int, List[Run]] = {i: [] for i in order}
    for seed in seeds:
        by_row: Dict[int, Run] = {}
        for i in order:
            row = table.rows[i]
            config = row['config']
            nb = gpus_and_batch(config)
            natural = nb[0] if nb else None
            if gpus is not None:
                procs = gpus
            elif launcher == 'none' or synthetic:
                procs = 1
            else:
                procs = natural or 1
            scale = gpus is not None or (not synthetic and procs != (natural or 1))
            row_synthetic = []
            if synthetic:  # a row's own synthetic options replace the table's
                row_synthetic = list(row['synthetic']) if 'synthetic' in row else table_synthetic
            run = Run(config=config,
                      options=tuple(row_synthetic + options + list(row.get('cfg_options', []))),
                      seed=seed, gpus=procs, natural_gpus=natural, batch=nb[1] if nb else None,
                      scale_lr=scale)
            init = row.get('init_from')
            if init:
                run.parent = by_row[keys[init['row']]]
                run.init_field = init['field']
                run.init_prefix = init.get('prefix')
                # the parent's checkpoint replaces whatever the options set the field to (e.g. the
                # synthetic options' init_cfg=None)
                field_ = init['field']
                run.options = tuple(o for o in run.options
                                    if o.split('=', 1)[0] != field_
                                    and not o.split('=', 1)[0].startswith(field_ + '.'))
            run.work_dir = run_work_dir(root, config, run.identity())
            run = unique.setdefault(run.work_dir, run)
            if i not in run.rows:
                run.rows.append(i)
            by_row[i] = run
            per_row[i].append(run)
    return Plan(table=table, path=path, runs=list(unique.values()), rows=per_row,
                seeds=tuple(seeds), synthetic=synthetic)


# --------------------------------------------------------------------------------------------
# commands


@dataclass
class Command:
    argv: List[str]
    env: Dict[str, str] = field(default_factory=dict)

    def __str__(self):
        env = ' '.join(f'{k}={shlex.quote(v)}' for k, v in self.env.items())
        return (env + ' ' if env else '') + ' '.join(shlex.quote(c) for c in self.argv)


def _config_arg(config: str) -> str:
    return config if osp.isfile(config) else osp.join(PROJECT_ROOT, config)


def _tool(name: str) -> str:
    return osp.join(PROJECT_ROOT, 'tools', name)


def run_options(run: Run, parent_checkpoint: Optional[str] = None) -> List[str]:
    """Every ``--cfg-options`` of a run: its options, the seed, the init options."""
    opts = list(run.options) + [f'randomness.seed={run.seed}']
    if run.parent is not None:
        opts += run.init_options(parent_checkpoint or f'<checkpoint of {run.parent.work_dir}>')
    return opts


def train_command(run: Run, launcher: str = 'none', partition: Optional[str] = None,
                  parent_checkpoint: Optional[str] = None,
                  extra_options: Sequence[str] = ()) -> Command:
    config = _config_arg(run.config)
    opts = run_options(run, parent_checkpoint) + list(extra_options)
    flags = ['--auto-scale-lr'] if run.scale_lr else []
    env = {}
    if launcher == 'pytorch':
        argv = ['bash', _tool('dist_train.sh'), config, str(run.gpus), '--work-dir', run.work_dir]
    elif launcher == 'slurm':
        if not partition:
            raise ValueError('--launcher slurm needs --partition')
        env = dict(GPUS=str(run.gpus), GPUS_PER_NODE=str(min(run.gpus, 8)))
        argv = ['bash', _tool('slurm_train.sh'), partition, osp.basename(run.work_dir), config,
                run.work_dir]
    elif launcher == 'none':
        argv = [sys.executable, _tool('train.py'), config, '--work-dir', run.work_dir]
    else:
        raise ValueError(f'unknown launcher {launcher!r}')
    return Command(argv + flags + ['--cfg-options'] + opts, env)


def test_command(run: Run, checkpoint: str, launcher: str = 'none',
                 partition: Optional[str] = None, parent_checkpoint: Optional[str] = None,
                 extra_options: Sequence[str] = ()) -> Command:
    config = _config_arg(run.config)
    opts = run_options(run, parent_checkpoint) + list(extra_options)
    env = {}
    if launcher == 'pytorch':
        argv = ['bash', _tool('dist_test.sh'), config, checkpoint, str(run.gpus)]
    elif launcher == 'slurm':
        if not partition:
            raise ValueError('--launcher slurm needs --partition')
        env = dict(GPUS=str(run.gpus), GPUS_PER_NODE=str(min(run.gpus, 8)))
        argv = ['bash', _tool('slurm_test.sh'), partition, osp.basename(run.work_dir), config,
                checkpoint]
    elif launcher == 'none':
        argv = [sys.executable, _tool('test.py'), config, checkpoint]
    else:
        raise ValueError(f'unknown launcher {launcher!r}')
    return Command(argv + ['--work-dir', run.work_dir, '--cfg-options'] + opts, env)


# --------------------------------------------------------------------------------------------
# configs, checkpoints, finished runs


def run_config(run: Run, parent_checkpoint: Optional[str] = None):
    """The run's config with all its options merged (as tools/train.py would read it)."""
    from mmengine.config import DictAction
    import argparse
    from .runner import load_config
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    options = parser.parse_args(['--o'] + run_options(run, parent_checkpoint)).o
    if run.parent is not None:
        _check_init_field(run)
    return load_config(_config_arg(run.config), options)


def _check_init_field(run: Run):
    from .runner import load_config
    cfg = load_config(_config_arg(run.config))
    node = cfg
    for part in run.init_field.split('.'):
        if node is None or not hasattr(node, 'get'):
            break
        node = node.get(part, None)
    if node is not None and not hasattr(node, 'keys'):
        raise ValueError(f'{run.config}: init_from field {run.init_field} is {node!r}, not a dict '
                         f'or absent; the row cannot start from a checkpoint through it')


def lr_scale_options(run: Run, cfg) -> List[str]:
    """Options a run with ``--auto-scale-lr`` needs: the base batch from the config's ``NxbM``
    where the config has no ``auto_scale_lr.base_batch_size``."""
    if not run.scale_lr or ('auto_scale_lr' in cfg and 'base_batch_size' in cfg.auto_scale_lr):
        return []
    if run.natural_gpus is None:
        raise ValueError(f'{run.config}: its LR cannot be scaled to {run.gpus} process(es): the '
                         'config has no auto_scale_lr.base_batch_size and its name no NxbM')
    return [f'auto_scale_lr.base_batch_size={run.natural_gpus * run.batch}']


def save_best_key(cfg) -> Optional[str]:
    """The metric of ``default_hooks.checkpoint.save_best`` (the first one of a list)."""
    hook = (cfg.get('default_hooks', None) or {}).get('checkpoint', None) or {}
    best = hook.get('save_best', None)
    if isinstance(best, (list, tuple)):
        best = best[0] if best else None
    return best or None


def select_checkpoint(work_dir: str, save_best: Optional[str]) -> Tuple[str, str]:
    """``(path, which)``: the best checkpoint where the config saves one, else the last.

    ``which`` is ``'best <metric>'`` or ``'last'``. A config that saves the best checkpoint but
    whose work dir holds none is an error (the validation never ran or the metric is missing).
    """
    from .runner import latest_checkpoint
    if save_best:
        if save_best == 'auto':
            found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')), key=osp.getmtime)
        else:
            stem = 'best_' + save_best.replace('/', '_')
            found = sorted(glob.glob(osp.join(work_dir, glob.escape(stem) + '_*.pth')),
                           key=osp.getmtime)
        if not found:
            raise FileNotFoundError(
                f'{work_dir}: the config saves the best checkpoint (save_best={save_best!r}) but '
                'there is none; check that validation ran and logs that metric')
        return found[-1], f'best {save_best}'
    return latest_checkpoint(work_dir), 'last'


def read_run_json(work_dir: str) -> Optional[dict]:
    path = osp.join(work_dir, 'run.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_run_json(run: Run, **status):
    os.makedirs(run.work_dir, exist_ok=True)
    data = dict(identity=run.identity(), **status)
    with open(osp.join(run.work_dir, 'run.json'), 'w') as f:
        json.dump(data, f, indent=2)


def read_result(work_dir: str) -> Optional[dict]:
    """``test_metrics.json`` of a work dir: ``{'metrics': ..., 'checkpoint': ...}`` or None."""
    path = osp.join(work_dir, 'test_metrics.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def finished(run: Run) -> bool:
    """The work dir holds this run's test result (same identity): it is reused, not rerun."""
    info = read_run_json(run.work_dir)
    return (info is not None and info.get('identity') == _jsonable(run.identity())
            and info.get('tested') and read_result(run.work_dir) is not None)


def trained(run: Run) -> bool:
    info = read_run_json(run.work_dir)
    return (info is not None and info.get('identity') == _jsonable(run.identity())
            and bool(info.get('trained')))


def _jsonable(obj):
    return json.loads(json.dumps(obj))


# --------------------------------------------------------------------------------------------
# model size


def model_complexity(config: str, options: Sequence[str] = (),
                     flops_input: Optional[Sequence[int]] = None) -> dict:
    """Parameters (millions) of the config's model, and GFLOPs at ``flops_input`` when given.

    The model is built from the config (all its parameters, training-only branches included)
    without loading weights; FLOPs come from ``mmengine.analysis`` for one image of size
    ``flops_input`` = (C, H, W) through the model's ``tensor`` forward.
    """
    import argparse
    import importlib

    import torch
    from mmengine.config import DictAction
    from mmengine.registry import DefaultScope

    from .runner import load_config
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    opts = parser.parse_args(['--o'] + list(options)).o if options else None
    cfg = load_config(_config_arg(config), opts)
    scope = cfg.default_scope
    models = importlib.import_module(f'{scope}.registry').MODELS
    model_cfg = copy.deepcopy(cfg.model)
    with DefaultScope.overwrite_default_scope(scope):
        model = models.build(model_cfg)
    model.eval()
    out = dict(params_m=sum(p.numel() for p in model.parameters()) / 1e6)
    if flops_input is not None:
        from mmengine.analysis import get_model_complexity_info
        with torch.no_grad(), DefaultScope.overwrite_default_scope(scope):
            info = get_model_complexity_info(model, input_shape=tuple(flops_input),
                                             show_table=False, show_arch=False)
        out['gflops'] = info['flops'] / 1e9
        out['flops_input'] = list(flops_input)
    return out


# --------------------------------------------------------------------------------------------
# the printed table


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (n - 1; 0 for one value)."""
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean, std


def collect(plan: Plan) -> Dict[int, List[dict]]:
    """Row index -> the test results of its finished runs (one per seed that finished), each
    with its ``work_dir`` and, under ``files``, the records of every work-dir json the table's
    metrics read (``None`` where the run did not write it)."""
    names = sorted({m['file'] for m in plan.table.metrics if 'file' in m})
    out = {}
    for i, runs in plan.rows.items():
        out[i] = []
        for run in runs:
            result = read_result(run.work_dir)
            if result is not None:
                files = {name: _read_records(osp.join(run.work_dir, name)) for name in names}
                out[i].append(dict(result, work_dir=run.work_dir, files=files))
    return out


def _read_records(path: str) -> Optional[list]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        records = json.load(f)
    if not isinstance(records, list):
        raise ValueError(f'{path}: expected a json list of records')
    return records


def metric_value(metric: dict, result: dict) -> Optional[float]:
    """One metric of one finished run, scaled; None where the run did not produce it.

    ``result`` is :func:`collect`'s. A metric with ``file`` reads ``key`` of record ``index`` of
    that json list in the work dir."""
    if 'file' in metric:
        records = result.get('files', {}).get(metric['file'])
        if records is None or not -len(records) <= metric['index'] < len(records):
            return None
        value = records[metric['index']].get(metric['key'])
    else:
        value = result['metrics'].get(metric['key'])
    return None if value is None else float(value) * metric.get('scale', 1)


def format_table(plan: Plan, results: Dict[int, List[dict]],
                 complexity: Optional[Dict[int, dict]] = None,
                 tested: Optional[Dict[int, str]] = None) -> str:
    """Markdown: per row the paper's and the measured value of each metric (mean ± std over seeds
    where several ran), the parameter count (and FLOPs), the checkpoint tested and a note."""
    table, complexity, tested = plan.table, complexity or {}, tested or {}
    with_flops = any('gflops' in c for c in complexity.values())
    header = ['Row']
    for m in table.metrics:
        header += [f'{m["name"]} (paper)', f'{m["name"]} (here)']
    if complexity:
        header.append('Params (M)')
    if with_flops:
        header.append('FLOPs (G)')
    header += ['tested', 'note']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    several = len(plan.seeds) > 1
    for i, row in enumerate(table.rows):
        if i not in plan.rows and row.get('config'):
            continue  # not selected with --rows
        cells = [row['label']]
        found = results.get(i, [])
        for m in table.metrics:
            paper = (row.get('paper') or {}).get(m['name'])
            cells.append('-' if paper is None else f'{paper:g}')
            values = [v for v in (metric_value(m, r) for r in found) if v is not None]
            digits = m.get('digits', 2)
            if not values:
                cells.append('-')
            elif several:
                mean, std = mean_std(values)
                cells.append(f'{mean:.{digits}f} ± {std:.{digits}f}')
            else:
                cells.append(f'{values[0]:.{digits}f}')
        if complexity:
            c = complexity.get(i, {})
            cells.append(_millions(c['params_m']) if 'params_m' in c else '-')
        if with_flops:
            c = complexity.get(i, {})
            cells.append(f'{c["gflops"]:.1f}' if 'gflops' in c else '-')
        cells.append(tested.get(i) or _tested_from_results(found))
        notes = [row['note']] if row.get('note') else []
        if not row.get('config'):
            notes = notes or ['no config']
        elif not found:
            notes.append('not run')
        elif several and len(found) < len(plan.seeds):
            notes.append(f'{len(found)} of {len(plan.seeds)} seeds finished')
        cells.append('; '.join(notes))
        lines.append('| ' + ' | '.join(cells) + ' |')
    where = ('measured here on the synthetic data with the short schedule (not comparable to the '
             "paper's numbers)" if plan.synthetic else 'measured here')
    if several:
        where += f'; mean ± sample std over seeds {", ".join(map(str, plan.seeds))}'
    foot = f'"here": {where}. "tested": the checkpoint the test used.'
    if complexity:
        foot += ' Params: all parameters of the built model.'
    if with_flops:
        sizes = sorted({'×'.join(map(str, c['flops_input'])) for c in complexity.values()
                        if 'flops_input' in c})
        foot += f' FLOPs: one image of {", ".join(sizes)} (mmengine.analysis).'
    return f'**{table.title}**\n\n' + '\n'.join(lines) + f'\n\n{foot}\n'


def _millions(value: float) -> str:
    return f'{value:.2f}' if value >= 0.1 else f'{value:.2g}'


def _tested_from_results(found: List[dict]) -> str:
    names = sorted({osp.basename(str(r.get('checkpoint'))) for r in found if r.get('checkpoint')})
    return ', '.join(names) if names else '-'


_LOG_PREFIX = re.compile(r'^\d\d/\d\d \d\d:\d\d:\d\d - ')
_PER_CLASS = re.compile(r'per[ -]?class|classwise', re.IGNORECASE)


def per_class_tables(log_text: str, tail: int = 15) -> str:
    """What a test run logged per class, else the last ``tail`` lines of its output.

    Picks text tables (runs of at least 3 lines starting with ``+`` or ``|``: mmseg's, mmdet's
    classwise COCO and mmrotate's DOTA tables) and any block that starts at a line mentioning
    "per class" and runs to the next log record (e.g. the P/R/F1/mAP table of DetPRF1Metric).
    """
    lines = log_text.splitlines()
    keep = set()
    run = []
    for i, line in enumerate(lines + ['']):
        if line.startswith(('+', '|')):
            run.append(i)
            continue
        if len(run) >= 3:
            keep.update(run)
        run = []
    for i, line in enumerate(lines):
        if _PER_CLASS.search(line):
            keep.add(i)
            for j in range(i + 1, len(lines)):
                if _LOG_PREFIX.match(lines[j]) or not lines[j].strip():
                    break
                keep.add(j)
    if not keep:
        return '\n'.join(lines[-tail:]) if lines else ''
    out, last = [], None
    for i in sorted(keep):
        if last is not None and i != last + 1:
            out.append('')
        out.append(lines[i].rstrip())
        last = i
    return '\n'.join(out)


def parse_class_table(log_text: str, column: str = 'IoU') -> Dict[str, float]:
    """``{class: value}`` from the last per-class text table of a log with a ``Class`` column and
    ``column`` (e.g. mmseg's ``| Class | IoU | Acc |``); ``{}`` where there is none."""
    found: Dict[str, float] = {}
    current, col = None, None
    for line in log_text.splitlines():
        s = line.strip()
        if not s.startswith('|'):
            if not s.startswith('+'):
                current = None
            continue
        cells = [c.strip() for c in s.strip('|').split('|')]
        if cells and cells[0].lower() == 'class' and column in cells:
            current, col = {}, cells.index(column)
            found = current
        elif current is not None and len(cells) > col:
            try:
                current[cells[0]] = float(cells[col])
            except ValueError:
                pass  # 'nan' parses; other text is not a value
    return found


# --------------------------------------------------------------------------------------------
# running


def execute(cmd: Command, log_path: Optional[str] = None) -> int:
    """Run a command, streaming its output to stdout (and to ``log_path``)."""
    env = dict(os.environ, **cmd.env)
    if log_path is None:
        return subprocess.call(cmd.argv, env=env)
    os.makedirs(osp.dirname(log_path) or '.', exist_ok=True)
    with open(log_path, 'w') as log, subprocess.Popen(
            cmd.argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
        return proc.wait()


def ensure_synthetic_data(formats, dry_run: bool):
    from mmext.datasets.synthetic import generate, is_complete
    for fmt in formats:
        out = osp.join('data', 'synthetic', fmt)
        if is_complete(out):
            continue
        print(f'generating synthetic {fmt} into {out}', flush=True)
        if not dry_run:
            generate(fmt, out)


def run_table(path: str, *, synthetic: bool = False, dry_run: bool = False,
              collect_only: bool = False, rows: Optional[Sequence[int]] = None,
              launcher: str = 'none', gpus: Optional[int] = None,
              partition: Optional[str] = None, work_dir_root: str = 'work_dirs',
              cfg_options: Sequence[str] = (), seeds: Sequence[int] = (0, ),
              complexity: bool = True, rerun: bool = False) -> int:
    """Train and test every planned run (reusing finished ones), then print and write the table.

    Returns 0, or 1 where a row failed.
    """
    table = load_table(path)
    if launcher == 'slurm' and not partition and not collect_only:
        raise ValueError('--launcher slurm needs --partition')
    plan = plan_table(table, path, synthetic=synthetic, work_dir_root=work_dir_root,
                      seeds=seeds, gpus=gpus, launcher=launcher, cfg_options=cfg_options,
                      rows=rows)
    if synthetic and not collect_only:
        ensure_synthetic_data(table.get('synthetic_data', []), dry_run)
    failed, tested, logs = [], {}, {}
    selected: Dict[str, Tuple[str, str]] = {}  # work dir -> (checkpoint, which)
    for run in plan.runs:
        labels = ', '.join(table.rows[i]['label'] for i in run.rows) + f' (seed {run.seed})'
        print(f'\n== {labels[:-1]}, {run.gpus} process(es)'
              + (', LR scaled to the batch' if run.scale_lr else '') + f'): {run.work_dir}',
              flush=True)
        if collect_only:
            continue
        if run.parent is not None and run.parent.work_dir not in selected:
            if dry_run:
                parent_ckpt = None
            else:
                print(f'skipped: the run it starts from ({run.parent.work_dir}) did not finish')
                failed.append(labels)
                continue
        else:
            parent_ckpt = selected[run.parent.work_dir][0] if run.parent is not None else None
        if dry_run:
            try:
                extra = lr_scale_options(run, run_config(run) if run.scale_lr else None)
            except Exception as e:  # noqa: BLE001
                print(f'cannot read the config: {type(e).__name__}: {e}', file=sys.stderr)
                failed.append(labels)
                continue
            print('$ ' + str(train_command(run, launcher, partition, parent_ckpt, extra)))
            print('$ ' + str(test_command(run, '<best-or-last-checkpoint>', launcher, partition,
                                          parent_ckpt)))
            selected[run.work_dir] = (None, '')
            continue
        start = time.time()
        try:
            cfg = run_config(run, parent_ckpt)
        except Exception as e:  # noqa: BLE001  (one broken row must not stop the table)
            print(f'cannot read the config: {type(e).__name__}: {e}', file=sys.stderr)
            failed.append(labels)
            continue
        best = save_best_key(cfg)
        if not rerun and finished(run):
            result = read_result(run.work_dir)
            print(f'reusing the finished run in {run.work_dir} ({result.get("checkpoint")})')
            which = 'best ' + best if best else 'last'
            selected[run.work_dir] = (result.get('checkpoint'), which)
            logs[run.work_dir] = _read_text(osp.join(run.work_dir, 'test_output.log'))
            continue
        if rerun or not trained(run):
            write_run_json(run, trained=False, tested=False)
            try:
                extra = lr_scale_options(run, cfg)
            except ValueError as e:
                print(str(e), file=sys.stderr)
                failed.append(labels)
                continue
            cmd = train_command(run, launcher, partition, parent_ckpt, extra)
            print('$ ' + str(cmd), flush=True)
            if execute(cmd) != 0:
                failed.append(labels)
                continue
            write_run_json(run, trained=True, tested=False)
        try:
            ckpt, which = select_checkpoint(run.work_dir, best)
        except FileNotFoundError as e:
            print(str(e), file=sys.stderr)
            failed.append(labels)
            continue
        selected[run.work_dir] = (ckpt, which)
        cmd = test_command(run, ckpt, launcher, partition, parent_ckpt)
        print(f'$ {cmd}    # {which} checkpoint', flush=True)
        log_path = osp.join(run.work_dir, 'test_output.log')
        if execute(cmd, log_path) != 0:
            failed.append(labels)
            continue
        write_run_json(run, trained=True, tested=True, checkpoint=ckpt, which=which)
        logs[run.work_dir] = _read_text(log_path)
        print(f'{labels} done in {time.time() - start:.0f}s', flush=True)
    if dry_run:
        return 1 if failed else 0
    for i, runs in plan.rows.items():
        which = sorted({selected[r.work_dir][1] for r in runs if r.work_dir in selected
                        and selected[r.work_dir][1]})
        if which:
            tested[i] = ', '.join(which)
    sizes = {}
    if complexity:
        flops_default = table.get('flops_input')
        for i in plan.rows:
            row = table.rows[i]
            try:
                sizes[i] = model_complexity(row['config'], list(plan.rows[i][0].options),
                                            row.get('flops_input', flops_default))
            except Exception as e:  # noqa: BLE001
                print(f'{row["label"]}: model size not computed: {type(e).__name__}: {e}',
                      file=sys.stderr)
    results = collect(plan)
    for run in plan.runs:
        text = per_class_tables(logs.get(run.work_dir) or _read_text(
            osp.join(run.work_dir, 'test_output.log')))
        if text:
            labels = ', '.join(table.rows[i]['label'] for i in run.rows)
            print(f'\n-- {labels} (seed {run.seed}): per-class results (else the end of the '
                  f'test output)\n{text}')
    text = format_table(plan, results, sizes, tested)
    name = osp.splitext(osp.basename(path))[0]
    paper = osp.basename(osp.dirname(osp.dirname(osp.abspath(path))))
    out_dir = osp.join(work_dir_root, 'synthetic' if synthetic else '', 'tables')
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


def _read_text(path: str) -> str:
    if not osp.isfile(path):
        return ''
    with open(path, errors='replace') as f:
        return f.read()
