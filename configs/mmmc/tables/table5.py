# MMMC (arXiv 2112.08902) Table 5: the average loss sum L_cls + L_reg per instance during one
# training epoch starting at 15k, ..., 75k iterations, without and with RFA (Sec. 4.2). The same
# runs as Table 4 (run_table.py reuses them); the values are the records of loss_gap.json.
# Table 4's --synthetic options and windows; the rows are redefined with Table 5's numbers
_base_ = ['./table4.py']
title = 'Table 5: average loss sum per instance (COCO train2017)'
metrics = [  # the k-th record of <work_dir>/loss_gap.json: the window starting at iteration
    dict(name='15k', key='loss_sum', file='loss_gap.json', index=0, digits=3),
    dict(name='30k', key='loss_sum', file='loss_gap.json', index=1, digits=3),
    dict(name='45k', key='loss_sum', file='loss_gap.json', index=2, digits=3),
    dict(name='60k', key='loss_sum', file='loss_gap.json', index=3, digits=3),
    dict(name='75k', key='loss_sum', file='loss_gap.json', index=4, digits=3),
]
rows = [
    dict(label='w/o RFA',
         config='configs/mmmc/mmmc-fcos-giou-lossgap_r50-caffe_fpn_gn-head_1x_coco.py',
         paper={'15k': 0.580, '30k': 0.523, '45k': 0.487, '60k': 0.454, '75k': 0.412}),
    dict(label='w/ RFA',
         config='configs/mmmc/mmmc-rfa-lossgap_r50-caffe_fpn_gn-head_1x_coco.py',
         paper={'15k': 0.570, '30k': 0.511, '45k': 0.466, '60k': 0.442, '75k': 0.401}),
]
