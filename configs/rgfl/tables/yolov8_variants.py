# The paper's table "Comparison of YOLOv8 Variants" (Panboonyuen et al., 2024): road-asset
# detection, 7 classes, YOLOv8 n-x with the refined Generalized Focal Loss.
# python tools/run_table.py configs/rgfl/tables/yolov8_variants.py [--synthetic]
# The paper does not say which rows use the refined GFL (its text names l and x); every row here
# runs the refined-GFL config of its size. The data is the authors' own and not public.
title = 'Comparison of YOLOv8 Variants (road-asset detection, refined GFL)'
metrics = [
    dict(name='mAP50', key='prf1/bbox_mAP50', scale=100),
    dict(name='mAP50-95', key='prf1/bbox_mAP50-95', scale=100),
    dict(name='Precision', key='prf1/bbox_P', scale=100),
    dict(name='Recall', key='prf1/bbox_R', scale=100),
    dict(name='F1-Score', key='prf1/bbox_F1', scale=100),
]
rows = [
    dict(label='YOLOv8n', config='configs/rgfl/yolov8_n_rgfl_1xb16-100e_road-assets.py',
         paper={'mAP50': 71.10, 'mAP50-95': 47.76, 'Precision': 80.10, 'Recall': 63.46,
                'F1-Score': 70.82}),
    dict(label='YOLOv8s', config='configs/rgfl/yolov8_s_rgfl_1xb16-100e_road-assets.py',
         paper={'mAP50': 75.15, 'mAP50-95': 52.07, 'Precision': 82.66, 'Recall': 69.95,
                'F1-Score': 75.78}),
    dict(label='YOLOv8m', config='configs/rgfl/yolov8_m_rgfl_1xb16-100e_road-assets.py',
         paper={'mAP50': 79.57, 'mAP50-95': 58.06, 'Precision': 85.41, 'Recall': 71.29,
                'F1-Score': 77.71}),
    dict(label='YOLOv8l', config='configs/rgfl/yolov8_l_rgfl_1xb16-100e_road-assets.py',
         paper={'mAP50': 80.27, 'mAP50-95': 59.11, 'Precision': 82.58, 'Recall': 77.22,
                'F1-Score': 79.81}),
    dict(label='YOLOv8x', config='configs/rgfl/yolov8_x_rgfl_1xb16-100e_road-assets.py',
         paper={'mAP50': 80.34, 'mAP50-95': 60.84, 'Precision': 79.10, 'Recall': 76.68,
                'F1-Score': 77.87}),
]
# --synthetic: 1 epoch on 8 synthetic road-asset images (YOLO layout, read directly), the models
# keeping their 640 px recipe: a smoke run of every row, not a result.
synthetic = [
    'train_dataloader.dataset.data_root=data/synthetic/yolo/',
    'train_dataloader.dataset.ann_file=labels/train/',
    'train_dataloader.dataset.indices=8',
    'train_dataloader.batch_size=4',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.dataset.data_root=data/synthetic/yolo/',
    'val_dataloader.dataset.ann_file=labels/val/',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.dataset.data_root=data/synthetic/yolo/',
    'test_dataloader.dataset.ann_file=labels/val/',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=1',
    'optim_wrapper.accumulative_counts=1',
]
synthetic_data = ['yolo']
