"""mmext.testing.tool_loader: a tools/ script as a module, without running its command line; and
library code never loads a tool script (tools/ are argument parsing over mmext)."""
import glob
import os.path as osp
import re

import pytest

from mmext.testing.tool_loader import PROJECT_ROOT, load_tool


def test_loads_a_script_without_running_it():
    run_table = load_tool('run_table')
    assert run_table.__name__ == 'run_table'
    assert run_table.__file__.startswith(PROJECT_ROOT)
    assert callable(run_table.parse_args) and callable(run_table.main)
    named = load_tool('dataset_converters', 'dota_split', module_name='converter')
    assert named.__name__ == 'converter'
    args = named.parse_args(['--img-dirs', 'a', 'b', '--save-dir', 'out'])
    assert args.img_dirs == ['a', 'b'] and args.sizes == [1024]  # parsed, nothing split


def test_missing_script_is_named():
    with pytest.raises(FileNotFoundError, match='no_such_tool.py is missing'):
        load_tool('analysis_tools', 'no_such_tool')


def test_library_code_never_loads_a_tool_script():
    offenders = []
    for path in sorted(glob.glob(osp.join(PROJECT_ROOT, 'mmext', '**', '*.py'), recursive=True)):
        rel = osp.relpath(path, PROJECT_ROOT)
        if rel == osp.join('mmext', 'testing', 'tool_loader.py'):
            continue  # the loader itself, for tests of the tools' command lines
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                if re.search(r'\bload_tool\b|tools[/\\][\w/\\]+\.py\b.*(exec|import|spec)', line):
                    offenders.append(f'{rel}:{lineno}: {line.strip()}')
    assert not offenders, 'library code loads tool scripts:\n' + '\n'.join(offenders)
