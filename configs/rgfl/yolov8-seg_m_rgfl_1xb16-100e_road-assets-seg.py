# YOLOv8-m-seg with the refined GFL on road-asset instance segmentation: only the size changes.
_base_ = './yolov8-seg_s_rgfl_1xb16-100e_road-assets-seg.py'

model = dict(
    backbone=dict(arch='m'),
    neck=dict(in_channels=[192, 384, 576], num_csp_blocks=2),
    bbox_head=dict(in_channels=[192, 384, 576], proto_channels=192))
