# Classification loss per size: YOLOv8's BCE against the refined GFL (QFL, beta = 2), road-asset
# detection. Not a table of the paper (it publishes no baseline-vs-refined-GFL comparison), so the
# rows carry no paper numbers; it is what a user runs to measure the loss's effect on their data.
# Third row per size: the paper's Formula 1 as printed (focal loss with alpha on hard labels).
# Equal loss scales: every row's log also carries the other loss on the same logits and targets
# (monitor_cls: loss_cls_bce in the QFL/focal rows, loss_cls_qfl in the BCE rows, no gradient).
# python tools/run_table.py configs/rgfl/tables/loss_ablation.py [--synthetic]
title = 'YOLOv8 n-x: BCE vs refined GFL (road-asset detection)'
metrics = [
    dict(name='mAP50', key='prf1/bbox_mAP50', scale=100),
    dict(name='mAP50-95', key='prf1/bbox_mAP50-95', scale=100),
    dict(name='Precision', key='prf1/bbox_P', scale=100),
    dict(name='Recall', key='prf1/bbox_R', scale=100),
    dict(name='F1-Score', key='prf1/bbox_F1', scale=100),
]
rows = [
    dict(label='YOLOv8n BCE (YOLOv8)',
         config='configs/rgfl/yolov8_n_bce_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8n refined GFL',
         config='configs/rgfl/yolov8_n_rgfl_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8n Formula 1 (focal, hard labels)',
         config='configs/rgfl/yolov8_n_focal_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8s BCE (YOLOv8)',
         config='configs/rgfl/yolov8_s_bce_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8s refined GFL',
         config='configs/rgfl/yolov8_s_rgfl_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8s Formula 1 (focal, hard labels)',
         config='configs/rgfl/yolov8_s_focal_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8m BCE (YOLOv8)',
         config='configs/rgfl/yolov8_m_bce_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8m refined GFL',
         config='configs/rgfl/yolov8_m_rgfl_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8m Formula 1 (focal, hard labels)',
         config='configs/rgfl/yolov8_m_focal_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8l BCE (YOLOv8)',
         config='configs/rgfl/yolov8_l_bce_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8l refined GFL',
         config='configs/rgfl/yolov8_l_rgfl_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8l Formula 1 (focal, hard labels)',
         config='configs/rgfl/yolov8_l_focal_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8x BCE (YOLOv8)',
         config='configs/rgfl/yolov8_x_bce_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8x refined GFL',
         config='configs/rgfl/yolov8_x_rgfl_1xb16-100e_road-assets.py'),
    dict(label='YOLOv8x Formula 1 (focal, hard labels)',
         config='configs/rgfl/yolov8_x_focal_1xb16-100e_road-assets.py'),
]
# --synthetic: a 1-epoch smoke run of every row on 8 synthetic images (not a result)
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
