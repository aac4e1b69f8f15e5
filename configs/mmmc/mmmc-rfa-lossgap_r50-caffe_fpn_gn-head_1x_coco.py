# Tables 4 and 5, row "w/ RFA": Table 2's "MMMC, RFA" row (RFA + GIoU quality, FCOS assignment)
# trained with LossGapHook at iterations 15k, 30k, 45k, 60k and 75k, one epoch each (Sec. 4.2);
# results in <work_dir>/loss_gap.json and the visualiser (loss_gap/gap, loss_gap/sum).
_base_ = './mmmc-rfa_r50-caffe_fpn_gn-head_1x_coco.py'
custom_hooks = [dict(type='LossGapHook', record_iters=[15000, 30000, 45000, 60000, 75000])]
