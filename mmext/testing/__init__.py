"""Helpers for tests: cached synthetic datasets and end-to-end runs through the tools' code path."""
from .helpers import run_config, synthetic_root

__all__ = ['run_config', 'synthetic_root']
