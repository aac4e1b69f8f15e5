# YOLOv8-m with the refined GFL on road-asset detection.
# Paper table "Comparison of YOLOv8 Variants", row YOLOv8m: only the size changes.
_base_ = './yolov8_s_rgfl_1xb16-100e_road-assets.py'

model = dict(
    backbone=dict(arch='m'),
    neck=dict(in_channels=[192, 384, 576], num_csp_blocks=2),
    bbox_head=dict(in_channels=[192, 384, 576]))
