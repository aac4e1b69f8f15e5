# Table 7, row "FCOS" (41.5 AP test-dev in the paper): mmdet's own R-101 2x multi-scale FCOS,
# unchanged (mmdet model zoo: 40.8 AP on val2017).
_base_ = 'mmdet::fcos/fcos_r101-caffe_fpn_gn-head_ms-640-800-2x_coco.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
