# Table 7, row "GFL" (45.0 AP test-dev in the paper): mmdet's own R-101 2x multi-scale GFL,
# unchanged (mmdet model zoo: 44.7 AP on val2017).
_base_ = 'mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
