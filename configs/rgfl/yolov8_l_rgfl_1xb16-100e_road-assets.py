# YOLOv8-l with the refined GFL on road-asset detection.
# Paper table "Comparison of YOLOv8 Variants", row YOLOv8l: only the size changes.
_base_ = './yolov8_s_rgfl_1xb16-100e_road-assets.py'

model = dict(
    backbone=dict(arch='l'),
    neck=dict(in_channels=[256, 512, 512], num_csp_blocks=3),
    bbox_head=dict(in_channels=[256, 512, 512]))
