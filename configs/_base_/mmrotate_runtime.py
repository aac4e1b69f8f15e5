# mmrotate's default runtime plus mmext's registration (every mmext config imports mmext).
_base_ = 'mmrotate::_base_/default_runtime.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
default_hooks = dict(logger=dict(interval=10))
# seeded: every run (demo, table row, plain train.py) draws the same numbers; override with
# --cfg-options randomness.seed=S (tools/run_table.py --seed, tools/demo.py --seed)
randomness = dict(seed=0)
