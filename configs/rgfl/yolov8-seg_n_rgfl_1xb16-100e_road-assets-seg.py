# YOLOv8-n-seg with the refined GFL on road-asset instance segmentation: only the size changes.
_base_ = './yolov8-seg_s_rgfl_1xb16-100e_road-assets-seg.py'

model = dict(
    backbone=dict(arch='n'),
    neck=dict(in_channels=[64, 128, 256], num_csp_blocks=1),
    bbox_head=dict(in_channels=[64, 128, 256], proto_channels=64))
