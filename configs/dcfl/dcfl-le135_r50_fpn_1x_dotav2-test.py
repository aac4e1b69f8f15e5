# DCFL R50-FPN 1x on DOTA-v2.0 trainval -> test-dev (the official dotav2_test_dcfl_r50_1x.py
# setting, g=0.6 there; the paper's g=0.8 here): tools/test.py writes the Task1 submission
# (patch results merged with rotated NMS) for the DOTA evaluation server instead of computing
# mAP. No validation: val is part of trainval, so a val score would be on training images.
_base_ = './dcfl-le135_r50_fpn_1x_dotav2.py'
train_dataloader = dict(
    dataset=dict(ann_file='trainval/annfiles/', data_prefix=dict(img_path='trainval/images/')))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = dict(
    dataset=dict(ann_file='', data_prefix=dict(img_path='test/images/'),
                 pipeline={{_base_.test_pipeline}}))
test_evaluator = dict(
    type='DOTAMetric',
    format_only=True,
    merge_patches=True,
    outfile_prefix='./work_dirs/dcfl_dotav2_test/Task1')
