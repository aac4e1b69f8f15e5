# YOLOv8-n with the refined GFL on road-asset detection.
# Paper table "Comparison of YOLOv8 Variants", row YOLOv8n: only the size changes.
_base_ = './yolov8_s_rgfl_1xb16-100e_road-assets.py'

model = dict(
    backbone=dict(arch='n'),
    neck=dict(in_channels=[64, 128, 256], num_csp_blocks=1),
    bbox_head=dict(in_channels=[64, 128, 256]))
