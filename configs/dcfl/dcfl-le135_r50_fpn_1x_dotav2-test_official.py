# DCFL R50-FPN 1x on DOTA-v2.0 trainval -> test-dev as the released code runs it: the official
# configs/dcfl/dotav2_test_dcfl_r50_1x.py (g=0.6; the official README's 51.57 on test-dev) with
# the released head (DCFLHead official=True) and assigner (DCFLAssigner official=True).
_base_ = './dcfl-le135_r50_fpn_1x_dotav2-test.py'
model = dict(
    bbox_head=dict(official=True),
    train_cfg=dict(assigner=dict(official=True, gauss_thr=0.6)))
test_evaluator = dict(outfile_prefix='./work_dirs/dcfl_dotav2_test_official/Task1')
