"""mmext.utils.load_tool: a tools/ script as a module, without running its command line."""
import pytest

from mmext.utils import PROJECT_ROOT, load_tool


def test_loads_a_script_without_running_it():
    run_table = load_tool('run_table')
    assert run_table.__name__ == 'run_table'
    assert run_table.__file__.startswith(PROJECT_ROOT)
    assert callable(run_table.load_table)
    named = load_tool('dataset_converters', 'medseg_covid', module_name='converter')
    assert named.__name__ == 'converter'


def test_missing_script_is_named():
    with pytest.raises(FileNotFoundError, match='no_such_tool.py is missing'):
        load_tool('analysis_tools', 'no_such_tool')
