# Tables 4 and 5, row "w/o RFA": Table 2's "FCOS" row (GIoU quality, no RFA, FCOS assignment)
# trained with LossGapHook, which averages each instance's loss gap |L_cls - L_reg| and loss sum
# L_cls + L_reg over one epoch of training starting at iterations 15k, 30k, 45k, 60k and 75k
# (Sec. 4.2), into <work_dir>/loss_gap.json and the visualiser (loss_gap/gap, loss_gap/sum).
_base_ = './mmmc-fcos-giou_r50-caffe_fpn_gn-head_1x_coco.py'
custom_hooks = [dict(type='LossGapHook', record_iters=[15000, 30000, 45000, 60000, 75000])]
