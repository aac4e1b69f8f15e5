# MMMC (arXiv 2112.08902) Table 4: the average loss gap |L_cls - L_reg| per instance during one
# training epoch starting at 15k, ..., 75k iterations, without and with RFA (Sec. 4.2). Each row's
# config trains with LossGapHook; the values are the records of <work_dir>/loss_gap.json, in
# order. Table 5 (loss sum) has the same rows: run_table.py trains them once for both tables.
_base_ = ['./_base_/synthetic.py']
# --synthetic: two epochs of 4 iterations; windows of one iteration at iterations 0-4
synthetic_extra = ['train_cfg.max_epochs=2', 'custom_hooks.0.record_iters=[0,1,2,3,4]',
                   'custom_hooks.0.window=1']
title = 'Table 4: average loss gap per instance (COCO train2017)'
metrics = [  # the k-th record of <work_dir>/loss_gap.json: the window starting at iteration
    dict(name='15k', key='loss_gap', file='loss_gap.json', index=0, digits=3),
    dict(name='30k', key='loss_gap', file='loss_gap.json', index=1, digits=3),
    dict(name='45k', key='loss_gap', file='loss_gap.json', index=2, digits=3),
    dict(name='60k', key='loss_gap', file='loss_gap.json', index=3, digits=3),
    dict(name='75k', key='loss_gap', file='loss_gap.json', index=4, digits=3),
]
rows = [
    dict(label='w/o RFA',
         config='configs/mmmc/mmmc-fcos-giou-lossgap_r50-caffe_fpn_gn-head_1x_coco.py',
         paper={'15k': 0.169, '30k': 0.156, '45k': 0.141, '60k': 0.150, '75k': 0.137}),
    dict(label='w/ RFA',
         config='configs/mmmc/mmmc-rfa-lossgap_r50-caffe_fpn_gn-head_1x_coco.py',
         paper={'15k': 0.167, '30k': 0.153, '45k': 0.149, '60k': 0.146, '75k': 0.134}),
]
