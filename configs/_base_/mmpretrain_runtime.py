# mmpretrain's default runtime plus mmext's registration (every mmext config imports mmext).
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
