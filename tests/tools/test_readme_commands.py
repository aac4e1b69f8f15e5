"""Every command in a fenced shell block of README.md and configs/*/README.md runs as written.

What is checked, per command (a failure names the README, the line and the command):

- the program: ``python``/``python3`` (a ``tools/`` script, ``-m module`` or ``-c code``),
  ``bash``/``sh`` (a script of the checkout; the distributed launchers ``tools/dist_*.sh`` and
  ``tools/slurm_*.sh`` are checked as the ``tools/train.py`` / ``tools/test.py`` call they make),
  ``make`` (the target exists in the Makefile), ``source`` and ``pip``;
- files of the checkout it names (``configs/``, ``tools/``, ``mmext/``, ``tests/``, ``docs/``,
  ``requirements/``) exist; paths elsewhere (``data/``, ``work_dirs/``, ``checkpoints/``,
  ``/path/to/``, a bare file name) are the user's data or the tools' outputs and are not checked;
- the tool's argument parser accepts the arguments: the tool is loaded as a module (its command
  line does not run) and its ``parse_args(argv)`` or ``build_parser()`` is called; a tool without
  either cannot be checked, which is a failure;
- each config it names loads (``mmext.apis.load_config``) with the command's ``--cfg-options``
  merged, and every option's parent key exists in the config (a misspelt key fails instead of
  silently adding a field); each table it names loads with the table runner's checks, and
  ``tools/run_table.py`` plans its commands (``--dry-run``; nothing trains).

Block and line rules: a fence tagged ``bash``, ``sh``, ``shell`` or ``console`` is a shell block;
an untagged fence is one when a line in it starts with a known program (otherwise it is text, e.g.
a folder layout); other tags (``python``, ``text``) are not shell. Lines ending in ``\\`` continue;
``#`` starts a comment (outside quotes); ``&&`` and ``;`` separate commands; leading ``VAR=value``
words are environment settings. Placeholders: a word in :data:`PLACEHOLDERS` (``CONFIG``,
``CKPT``, ``TABLE``, ...) is replaced by the value given there (a real config or table of the
checkout, or an output path); any other all-capitals argument is an unknown placeholder and fails.
"""
import argparse
import contextlib
import glob
import io
import os.path as osp
import re
import shlex
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import pytest

from mmext.testing.tool_loader import PROJECT_ROOT, load_tool

READMES = ['README.md'] + sorted(
    osp.relpath(p, PROJECT_ROOT) for p in glob.glob(osp.join(PROJECT_ROOT, 'configs', '*',
                                                             'README.md')))

SHELL_TAGS = {'bash', 'sh', 'shell', 'console'}
PROGRAMS = {'python', 'python3', 'bash', 'sh', 'make', 'source', 'pip'}
# a README command may name these; each is replaced by a real value of the checkout (configs and
# tables are then loaded and checked) or by an output path (not checked: it exists after a run)
PLACEHOLDERS = {
    'CONFIG': 'configs/baselines/fcos_r18_fpn_gn-head_synthetic-coco.py',
    'TABLE': 'configs/baselines/tables/synthetic.py',
    'CKPT': 'work_dirs/example/epoch_1.pth',
    'CHECKPOINT': 'work_dirs/example/epoch_1.pth',
    'WORK_DIR': 'work_dirs/example',
    'DIR': 'work_dirs/example',
    'PARTITION': 'partition',
    'JOB': 'job',
}
# paths of the checkout: must exist
REPO_PREFIXES = ('configs/', 'tools/', 'mmext/', 'tests/', 'docs/', 'requirements/')
# (script, positional arguments it takes, the python tool it runs, how it maps them)
LAUNCHERS = {
    'tools/dist_train.sh': ('CONFIG GPUS', 'train'),
    'tools/dist_test.sh': ('CONFIG CKPT GPUS', 'test'),
    'tools/slurm_train.sh': ('PARTITION JOB CONFIG WORK_DIR', 'train'),
    'tools/slurm_test.sh': ('PARTITION JOB CONFIG CKPT', 'test'),
}


@dataclass
class Command:
    readme: str
    line: int
    words: List[str]
    env: Dict[str, str] = field(default_factory=dict)
    text: str = ''

    def where(self):
        return f'{self.readme}:{self.line}: {self.text}'


def shell_blocks(text: str):
    """Yield ``(first line number, [(line number, line), ...])`` for each shell block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r'^\s*(```+|~~~+)\s*([\w+-]*)', lines[i])
        if not m:
            i += 1
            continue
        fence, tag = m.group(1), m.group(2).lower()
        body, j = [], i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append((j + 1, lines[j]))
            j += 1
        if tag in SHELL_TAGS or (tag == '' and any(_starts_with_program(t) for _, t in body)):
            yield i + 1, body
        i = j + 1


def _starts_with_program(line: str) -> bool:
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return False
    words = _strip_env(words)[1]
    return bool(words) and words[0] in PROGRAMS


def _strip_env(words):
    env = {}
    while words and re.match(r'^[A-Za-z_][A-Za-z0-9_]*=', words[0]):
        key, value = words[0].split('=', 1)
        env[key] = value
        words = words[1:]
    return env, words


def split_commands(readme: str, body) -> List[Command]:
    """The commands of one block: continuations joined, comments dropped, ``&&``/``;`` split."""
    commands, pending, start = [], '', None
    for lineno, line in body:
        if start is None:
            start = lineno
        stripped = line.rstrip()
        if stripped.endswith('\\'):
            pending += stripped[:-1] + ' '
            continue
        pending += stripped
        words = shlex.split(pending, comments=True)
        text = ' '.join(pending.split())
        group = []
        for word in words + [';']:
            if word in ('&&', ';', '||'):
                env, rest = _strip_env(group)
                if rest:
                    commands.append(Command(readme, start, rest, env, text))
                group = []
            else:
                group.append(word)
        pending, start = '', None
    if pending.strip():
        raise ValueError(f'{readme}:{start}: a line continuation (\\) runs past the block')
    return commands


def readme_commands(readme: str) -> List[Command]:
    with open(osp.join(PROJECT_ROOT, readme)) as f:
        text = f.read()
    out = []
    for _, body in shell_blocks(text):
        out += split_commands(readme, body)
    return out


# --------------------------------------------------------------------------------------------
# checking one command


class _ToolCache:
    modules = {}

    @classmethod
    def get(cls, script):
        if script not in cls.modules:
            parts = osp.splitext(script)[0].split('/')[1:]
            cls.modules[script] = load_tool(*parts, module_name='readme_' + '_'.join(parts))
        return cls.modules[script]


def substitute(words: List[str], problems: List[str]) -> List[str]:
    out = []
    for w in words:
        if w in PLACEHOLDERS:
            out.append(PLACEHOLDERS[w])
        elif re.fullmatch(r'[A-Z][A-Z0-9_]{2,}', w):
            problems.append(f'unknown placeholder {w!r} (not in the test\'s PLACEHOLDERS)')
            out.append(w)
        else:
            out.append(w)
    return out


def check_repo_paths(words: List[str], problems: List[str]):
    for w in words:
        value = w.split('=', 1)[1] if w.startswith('--') and '=' in w else w
        if value.startswith(REPO_PREFIXES):
            if not (glob.glob(osp.join(PROJECT_ROOT, value)) if '*' in value else
                    osp.exists(osp.join(PROJECT_ROOT, value))):
                problems.append(f'{value} does not exist')


def parse_tool_args(script: str, argv: List[str], problems: List[str]):
    """Parse ``argv`` with the tool's own parser; ``None`` when it cannot or refuses."""
    try:
        module = _ToolCache.get(script)
    except Exception as e:  # noqa: BLE001  (a tool that does not import is a failure to report)
        problems.append(f'{script} does not import: {type(e).__name__}: {e}')
        return None
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            if hasattr(module, 'parse_args'):
                return module.parse_args(argv)
            if hasattr(module, 'build_parser'):
                return module.build_parser().parse_args(argv)
    except SystemExit as e:
        if e.code in (0, None):  # --help
            return argparse.Namespace()
        problems.append(f'{script} refuses the arguments: {err.getvalue().strip()[-500:]}')
        return None
    except Exception as e:  # noqa: BLE001  (e.g. a DictAction that cannot parse a value)
        problems.append(f'{script} cannot parse the arguments: {type(e).__name__}: '
                        f'{str(e)[:300]}')
        return None
    problems.append(f'{script} has no parse_args(argv) or build_parser(): its arguments cannot '
                    'be checked')
    return None


def _options_dict(value) -> Optional[dict]:
    """``--cfg-options`` as a dict: a DictAction's dict, or a list of ``key=value`` strings."""
    if value is None or isinstance(value, dict):
        return value
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    return parser.parse_args(['--o'] + list(value)).o


def _missing_parent(cfg, key: str) -> Optional[str]:
    node = cfg
    parts = key.split('.')
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif hasattr(node, 'keys') and part in node:
            node = node[part]
        else:
            return '.'.join(parts[:i + 1])
    return None


def check_config(path: str, cfg_options: Optional[dict], problems: List[str]):
    from mmext.apis import load_config
    try:
        cfg = load_config(osp.join(PROJECT_ROOT, path))
        for key in cfg_options or {}:
            missing = _missing_parent(cfg, key)
            if missing:
                problems.append(f'{path}: --cfg-options {key}: the config has no {missing!r}')
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    except Exception as e:  # noqa: BLE001
        problems.append(f'{path} does not load: {type(e).__name__}: {str(e)[:300]}')


def is_table(path: str) -> bool:
    return bool(re.match(r'configs/[^/]+/tables/[^/]+\.py$', path))


def check_configs(words: List[str], args, problems: List[str]):
    options = None
    if args is not None and getattr(args, 'cfg_options', None):
        try:
            options = _options_dict(args.cfg_options)
        except Exception as e:  # noqa: BLE001
            problems.append(f'--cfg-options do not parse: {type(e).__name__}: {str(e)[:300]}')
            return
    for w in words:
        if not (w.startswith('configs/') and w.endswith('.py')) or '/_base_/' in w:
            continue
        if not osp.isfile(osp.join(PROJECT_ROOT, w)):
            continue  # reported as a missing path
        if not is_table(w):
            check_config(w, options, problems)


def check_run_table(argv: List[str], problems: List[str]):
    """Load the table and plan its commands in dry-run mode (nothing trains)."""
    tool = _ToolCache.get('tools/run_table.py')
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            rc = tool.main(argv + (['--dry-run'] if '--dry-run' not in argv else []))
    except SystemExit as e:
        rc = e.code
    except Exception as e:  # noqa: BLE001
        problems.append(f'tools/run_table.py --dry-run fails: {type(e).__name__}: {str(e)[:400]}')
        return
    if rc not in (0, None):
        problems.append(f'tools/run_table.py --dry-run exits with {rc}: {out.getvalue()[-400:]}')


def check_python(words: List[str], problems: List[str]):
    if len(words) < 2:
        problems.append('python without a script')
        return
    if words[1] == '-c':
        try:
            compile(words[2], '<-c>', 'exec')
        except (SyntaxError, IndexError) as e:
            problems.append(f'python -c: {e}')
        return
    if words[1] == '-m':
        import importlib.util
        if len(words) < 3 or importlib.util.find_spec(words[2]) is None:
            problems.append(f'python -m: no module {words[2:3]}')
        check_repo_paths(words[3:], problems)
        return
    script, argv = words[1], words[2:]
    if not osp.isfile(osp.join(PROJECT_ROOT, script)):
        problems.append(f'{script} does not exist')
        return
    check_repo_paths(argv, problems)
    if not script.startswith('tools/'):
        problems.append(f'{script}: only tools/ scripts can be checked')
        return
    args = parse_tool_args(script, argv, problems)
    if args is None:
        return
    check_configs(argv, args, problems)
    if script == 'tools/run_table.py' and not getattr(args, 'help', False):
        check_run_table(argv, problems)


def script_stages(path: str) -> set:
    """The stage names of a script that dispatches on its first argument with
    ``case "$STAGE" in name) ...``; empty for scripts that do not."""
    with open(path) as f:
        text = f.read()
    block = re.search(r'case "\$\{?STAGE\}?" in(.*?)\besac\b', text, flags=re.S)
    if not block:
        return set()
    labels = re.findall(r'^\s*([A-Za-z][\w-]*(?:\|[A-Za-z][\w-]*)*)\)', block.group(1),
                        flags=re.M)
    return {name for label in labels for name in label.split('|')}


def check_bash(words: List[str], problems: List[str]):
    if len(words) < 2 or not osp.isfile(osp.join(PROJECT_ROOT, words[1])):
        problems.append(f'{words[1:2]} does not exist')
        return
    script, argv = words[1], words[2:]
    if script not in LAUNCHERS:
        stages = script_stages(osp.join(PROJECT_ROOT, script))
        if stages and (not argv or argv[0] not in stages):
            problems.append(f'{script} takes a stage first, one of {sorted(stages)}; got {argv}')
        check_repo_paths(argv, problems)
        return
    names, tool = LAUNCHERS[script]
    names = names.split()
    if len(argv) < len(names):
        problems.append(f'{script} takes {" ".join(names)} first, got {argv}')
        return
    given = dict(zip(names, argv))
    rest = argv[len(names):]
    if 'GPUS' in given and not given['GPUS'].isdigit():
        problems.append(f'{script}: GPUS must be a number, got {given["GPUS"]!r}')
    py_argv = [given['CONFIG']] + ([given['CKPT']] if tool == 'test' else [])
    if 'WORK_DIR' in given:
        py_argv += ['--work-dir', given['WORK_DIR']]
    py_argv += rest + ['--launcher', 'slurm' if 'slurm' in script else 'pytorch']
    check_python(['python', f'tools/{tool}.py'] + py_argv, problems)


def makefile_targets() -> set:
    with open(osp.join(PROJECT_ROOT, 'Makefile')) as f:
        return set(re.findall(r'^([A-Za-z0-9_.-]+)\s*:(?!=)', f.read(), flags=re.M))


def check_command(cmd: Command) -> List[str]:
    problems: List[str] = []
    words = substitute(cmd.words, problems)
    prog = words[0]
    if prog in ('python', 'python3') or prog.endswith('/python'):
        check_python(words, problems)
    elif prog in ('bash', 'sh'):
        check_bash(words, problems)
        script = osp.join(PROJECT_ROOT, words[1]) if len(words) > 1 else ''
        if cmd.env and osp.isfile(script):
            with open(script) as f:
                text = f.read()
            for name in cmd.env:
                if not re.search(r'\$\{?' + name + r'\b', text):
                    problems.append(f'{words[1]} does not read the environment variable {name}')
    elif prog == 'make':
        targets = makefile_targets()
        for t in words[1:]:
            if '=' not in t and t not in targets:
                problems.append(f'make: the Makefile has no target {t!r}')
    elif prog == 'source':
        if words[1:] != ['.venv/bin/activate']:
            problems.append(f'source: only .venv/bin/activate (made by make install) is known')
    elif prog == 'pip':
        for i, w in enumerate(words):
            if w in ('-r', '--requirement') and i + 1 < len(words):
                check_repo_paths([words[i + 1]], problems)
    else:
        problems.append(f'the test does not know how to check {prog!r}')
    return problems


# --------------------------------------------------------------------------------------------
# the tests


@pytest.mark.parametrize('readme', READMES)
def test_every_readme_command_is_checked_and_passes(readme):
    commands = readme_commands(readme)
    assert commands, f'{readme}: no fenced shell command found'
    failures = []
    for cmd in commands:
        for problem in check_command(cmd):
            failures.append(f'{cmd.where()}\n    -> {problem}')
    assert not failures, f'{len(failures)} failing command(s) in {readme}:\n' + '\n'.join(
        failures)


def test_splitter_joins_continuations_drops_comments_and_env():
    text = '\n'.join([
        'Intro', '```bash',
        '# a comment line',
        'GPUS=16 bash tools/slurm_train.sh P J configs/x.py w  # trailing',
        'python tools/train.py configs/a.py \\',
        '    --cfg-options "a.b=[1, 2]" c=3',
        'make install && make test',
        '```', '', '```', 'data/layout/', '    images/', '```',
        '```', 'python tools/demo.py --list', '```',
        '```python', 'python = 1', '```'])
    blocks = list(shell_blocks(text))
    assert [start for start, _ in blocks] == [2, 14]  # the layout and python blocks are not shell
    cmds = split_commands('R.md', blocks[0][1])
    assert [c.line for c in cmds] == [4, 5, 7, 7]
    assert cmds[0].env == {'GPUS': '16'}
    assert cmds[0].words == ['bash', 'tools/slurm_train.sh', 'P', 'J', 'configs/x.py', 'w']
    assert cmds[1].words == ['python', 'tools/train.py', 'configs/a.py', '--cfg-options',
                             'a.b=[1, 2]', 'c=3']
    assert [c.words for c in cmds[2:]] == [['make', 'install'], ['make', 'test']]


def test_checker_finds_each_kind_of_failure():
    def problems(line):
        return check_command(split_commands('R.md', [(1, line)])[0])

    assert problems('python tools/train.py CONFIG --amp') == []
    assert problems('bash tools/dist_train.sh CONFIG 8 --auto-scale-lr') == []
    assert any('does not exist' in p for p in problems('python tools/nope.py'))
    assert any('does not exist' in p
               for p in problems('python tools/train.py configs/mmmc/tables/none.py'))
    assert any('refuses the arguments' in p and '--no-such' in p
               for p in problems('python tools/train.py CONFIG --no-such-flag'))
    assert any("has no 'modell'" in p
               for p in problems('python tools/train.py CONFIG --cfg-options modell.x=1'))
    assert any('unknown placeholder' in p for p in problems('python tools/train.py MYCONFIG'))
    assert any('GPUS must be a number' in p
               for p in problems('bash tools/dist_train.sh CONFIG eight'))
    assert any('no target' in p for p in problems('make no-such-target'))
    assert problems('GPUS=16 bash tools/slurm_train.sh PARTITION JOB CONFIG WORK_DIR') == []
    assert any('does not read the environment variable GPU' in p for p in problems(
        'GPU=16 bash tools/slurm_train.sh PARTITION JOB CONFIG WORK_DIR'))
    assert any('does not know' in p for p in problems('curl http://example.com'))
    # a script that dispatches on a stage: the stage must be one of its case labels
    assert problems('bash tools/misc/gpu_check.sh dry-run') == []
    assert any("one of ['all', 'bench', 'build', 'dry-run', 'prepare', 'test']" in p
               for p in problems('bash tools/misc/gpu_check.sh dryrun'))


def test_every_readme_has_commands():
    counts = {r: len(readme_commands(r)) for r in READMES}
    assert len(counts) >= 6 and all(counts.values()), counts
