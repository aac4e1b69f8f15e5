# YOLOv8-x-seg with the refined GFL on road-asset instance segmentation: only the size changes.
_base_ = './yolov8-seg_s_rgfl_1xb16-100e_road-assets-seg.py'

model = dict(
    backbone=dict(arch='x'),
    neck=dict(in_channels=[320, 640, 640], num_csp_blocks=3),
    bbox_head=dict(in_channels=[320, 640, 640], proto_channels=320))
