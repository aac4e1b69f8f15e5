# YOLOv8-l-seg with the refined GFL on road-asset instance segmentation: only the size changes.
_base_ = './yolov8-seg_s_rgfl_1xb16-100e_road-assets-seg.py'

model = dict(
    backbone=dict(arch='l'),
    neck=dict(in_channels=[256, 512, 512], num_csp_blocks=3),
    bbox_head=dict(in_channels=[256, 512, 512], proto_channels=256))
