# YOLOv8-n with the paper's Formula 1 as printed: the focal loss -alpha_t (1 - p_t)^gamma log p_t
# on hard labels (1 for the assigned class at the positives, 0 elsewhere), gamma 2 and alpha 0.25
# (the paper gives no values; RetinaNet's). Table tables/loss_ablation.py, row "YOLOv8n Formula 1
# (focal, hard labels)"; everything else as yolov8_n_rgfl_1xb16-100e_road-assets.py.
_base_ = './yolov8_n_rgfl_1xb16-100e_road-assets.py'

model = dict(
    bbox_head=dict(
        cls_target='hard',
        loss_cls=dict(type='RefinedQualityFocalLoss', use_sigmoid=True, beta=2.0, alpha=0.25,
                      reduction='mean', loss_weight=0.5)))
