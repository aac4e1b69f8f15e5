# Road-asset instance segmentation (the paper's 5 classes), YOLOv8 n-x-seg with the refined GFL
# (QFL classification, focal mask loss of Formula 2) and the BCE baseline at size s. The paper
# shows segmentation only as pictures, so the rows carry no paper numbers.
# python tools/run_table.py configs/rgfl/tables/segmentation.py [--synthetic]
title = 'YOLOv8-seg n-x with the refined GFL (road-asset instance segmentation)'
metrics = [
    dict(name='box mAP50', key='prf1/bbox_mAP50', scale=100),
    dict(name='box mAP50-95', key='prf1/bbox_mAP50-95', scale=100),
    dict(name='mask mAP50', key='prf1/segm_mAP50', scale=100),
    dict(name='mask mAP50-95', key='prf1/segm_mAP50-95', scale=100),
    dict(name='mask P', key='prf1/segm_P', scale=100),
    dict(name='mask R', key='prf1/segm_R', scale=100),
    dict(name='mask F1', key='prf1/segm_F1', scale=100),
]
rows = [
    dict(label='YOLOv8n-seg refined GFL',
         config='configs/rgfl/yolov8-seg_n_rgfl_1xb16-100e_road-assets-seg.py'),
    dict(label='YOLOv8s-seg refined GFL',
         config='configs/rgfl/yolov8-seg_s_rgfl_1xb16-100e_road-assets-seg.py'),
    dict(label='YOLOv8m-seg refined GFL',
         config='configs/rgfl/yolov8-seg_m_rgfl_1xb16-100e_road-assets-seg.py'),
    dict(label='YOLOv8l-seg refined GFL',
         config='configs/rgfl/yolov8-seg_l_rgfl_1xb16-100e_road-assets-seg.py'),
    dict(label='YOLOv8x-seg refined GFL',
         config='configs/rgfl/yolov8-seg_x_rgfl_1xb16-100e_road-assets-seg.py'),
    dict(label='YOLOv8s-seg BCE (YOLOv8)',
         config='configs/rgfl/yolov8-seg_s_bce_1xb16-100e_road-assets-seg.py'),
]
# --synthetic: a 1-epoch smoke run of every row on 8 synthetic images (not a result)
synthetic = [
    'train_dataloader.dataset.data_root=data/synthetic/yolo_seg/',
    'train_dataloader.dataset.ann_file=labels/train/',
    'train_dataloader.dataset.indices=8',
    'train_dataloader.batch_size=4',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.dataset.data_root=data/synthetic/yolo_seg/',
    'val_dataloader.dataset.ann_file=labels/val/',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.dataset.data_root=data/synthetic/yolo_seg/',
    'test_dataloader.dataset.ann_file=labels/val/',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=1',
    'optim_wrapper.accumulative_counts=1',
]
synthetic_data = ['yolo_seg']
