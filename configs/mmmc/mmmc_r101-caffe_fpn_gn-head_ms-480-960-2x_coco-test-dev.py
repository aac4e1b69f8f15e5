# Table 7 on COCO test-dev: the R-101 2x multi-scale MMMC model, tested on test-dev2017. No metric
# is computed here: tools/test.py writes <outfile_prefix>.bbox.json for the COCO evaluation server.
_base_ = './mmmc_r101-caffe_fpn_gn-head_ms-480-960-2x_coco.py'

test_pipeline = [  # test-dev has no annotations
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
test_dataloader = dict(
    dataset=dict(
        ann_file='annotations/image_info_test-dev2017.json',
        data_prefix=dict(img='test2017/'),
        pipeline=test_pipeline))
test_evaluator = dict(
    type='CocoMetric',
    metric='bbox',
    format_only=True,
    ann_file='data/coco/annotations/image_info_test-dev2017.json',
    outfile_prefix='./work_dirs/mmmc_r101-caffe_fpn_gn-head_ms-480-960-2x_coco-test-dev/results')
