# MMMC as the released code (HaoGood/MOD, configs/mmmc/mmmc_R_50_FPN_1x.yaml) runs it: the
# Table 2 full model (RFA + APS) with every official option; the base config is the paper's
# reading. Per behaviour (paper / released / mmext default): configs/mmmc/README.md.
_base_ = './mmmc_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(
    bbox_head=dict(
        rfa_position=4,  # the released head: DCNv2 at the last tower conv
        rfa_offset_std=0.01,  # the released N(0, 0.01) init of every tower conv, offsets included
        iou_smooth=1.0,  # the released GIoU: (I + 1) / (U + 1) in stride units
        nms_pre_score='fused'),  # pre-NMS top-1000 on cls * quality (released inference.py)
    # released score, separation, 2 gts per point, candidate order, two-hot and smoothed costs
    train_cfg=dict(assigner=dict(official=True)))
