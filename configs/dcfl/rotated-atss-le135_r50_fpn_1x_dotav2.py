# Baseline: mmrotate's Rotated ATSS switched to le135 (as mmrotate does for Rotated RetinaNet) on
# DOTA-v2.0 with the DCFL ablation split (train -> val). The DCFL code's ATSS-O baseline.
_base_ = 'mmrotate::rotated_atss/rotated-atss-le90_r50_fpn_1x_dota.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
angle_version = 'le135'
model = dict(
    bbox_head=dict(
        num_classes=18,
        anchor_generator=dict(angle_version=angle_version),
        bbox_coder=dict(angle_version=angle_version, norm_factor=1, edge_swap=False,
                        proj_xy=True)))
train_dataloader = dict(
    dataset=dict(type='DOTAv2Dataset', data_root='data/split_ss_dota2_0/',
                 ann_file='train/annfiles/', data_prefix=dict(img_path='train/images/')))
val_dataloader = dict(
    dataset=dict(type='DOTAv2Dataset', data_root='data/split_ss_dota2_0/',
                 ann_file='val/annfiles/', data_prefix=dict(img_path='val/images/')))
test_dataloader = val_dataloader
