# DCFL R50-FPN 3x on DOTA-v1.0 trainval -> test-dev as the released code runs it: the official
# configs/dcfl/dotav1_test_dcfl_r50_3x.py (dilation 4, g=0.6) with the released head (DCFLHead
# official=True) and assigner (DCFLAssigner official=True).
_base_ = './dcfl-le135_r50_fpn_3x_dotav1.py'
model = dict(
    bbox_head=dict(official=True),
    train_cfg=dict(assigner=dict(official=True, gauss_thr=0.6)))
test_evaluator = dict(outfile_prefix='./work_dirs/dcfl_dotav1_test_official/Task1')
