"""mmext.apis: the functions behind tools/train.py and tools/test.py."""
from .runner import (ConfigError, build_runner, check_data_paths, format_metrics,
                     latest_checkpoint, load_config, register_scope, setup_test_cfg,
                     setup_train_cfg, test, train)

__all__ = [
    'ConfigError', 'build_runner', 'check_data_paths', 'format_metrics', 'latest_checkpoint',
    'load_config',
    'register_scope', 'setup_test_cfg', 'setup_train_cfg', 'test', 'train'
]
