# Baseline: mmrotate's Rotated RetinaNet (le135, 9 anchors, MaxIoU, L1 loss) on DOTA-v2.0 with the
# DCFL ablation split (train -> val). The DCFL code's RetinaNet-O baseline (46.68 on test-dev).
_base_ = 'mmrotate::rotated_retinanet/rotated-retinanet-rbox-le135_r50_fpn_1x_dota.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
model = dict(bbox_head=dict(num_classes=18))
train_dataloader = dict(
    dataset=dict(type='DOTAv2Dataset', data_root='data/split_ss_dota2_0/',
                 ann_file='train/annfiles/', data_prefix=dict(img_path='train/images/')))
val_dataloader = dict(
    dataset=dict(type='DOTAv2Dataset', data_root='data/split_ss_dota2_0/',
                 ann_file='val/annfiles/', data_prefix=dict(img_path='val/images/')))
test_dataloader = val_dataloader
