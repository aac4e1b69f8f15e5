# make demo: YOLOv8 with the refined GFL (road-asset detection) on the synthetic road assets.
entries = [
    dict(method='YOLOv8 refined GFL', dataset='synthetic road assets', data='yolo',
         config='configs/rgfl/demo/yolov8_tiny_rgfl_synthetic-road-assets.py',
         metric='prf1/bbox_mAP50'),
]
