# Baseline (Table 5, retinanet_le135): mmrotate's HRSC2016 Rotated RetinaNet switched to le135,
# trained with flips only (no random rotation) like the DCFL HRSC2016 configs.
_base_ = 'mmrotate::rotated_retinanet/rotated-retinanet-rbox-le90_r50_fpn_rr-6x_hrsc.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
angle_version = 'le135'
model = dict(
    bbox_head=dict(
        anchor_generator=dict(angle_version=angle_version),
        bbox_coder=dict(angle_version=angle_version, norm_factor=1, edge_swap=False,
                        proj_xy=True)))
train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=None),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.Resize', scale=(800, 512), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.75, direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='mmdet.PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
train_cfg = dict(val_interval=12)
default_hooks = dict(checkpoint=dict(interval=12))
