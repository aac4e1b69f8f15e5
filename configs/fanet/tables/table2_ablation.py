# FANet paper, Table 2: SCM and FRM ablation (UperNet, ZeroWaste-f test set). "For all the
# ablation study experiments, the FANet backbone is pre-trained on ImageNet for 300 epochs"
# (Sec. 4.5), each with its own switches: rows 1-6 pre-train (configs/fanet/fanet-t-<row>_
# 16xb80_in1k.py), rows 7-12 fine-tune UperNet from the matching pre-training row's checkpoint
# (init_from: its best or last checkpoint becomes model.backbone.init_cfg, prefix 'backbone.').
# Parameters are a column (the model each row builds: classifier for rows 1-6, UperNet for
# 7-12); FLOPs at 224x224 for the classifiers (the paper's Table 4 size) and at 512x512 (the
# fine-tuning crop) for the segmentors.
# python tools/run_table.py configs/fanet/tables/table2_ablation.py [--synthetic]
# --synthetic: the pre-training rows on the synthetic ImageNet folder, the UperNet rows on the
# synthetic ZeroWaste-f set, each starting from its pre-training row's checkpoint.
_base_ = ['./_base_/synthetic.py']
synthetic_data = ['imagenet', 'zerowaste']
title = 'Table 2: ablation of SCM and FRM (ImageNet-1k pre-training, then ZeroWaste-f test set)'
metrics = [
    dict(name='mIoU', key='mIoU', scale=1),
    dict(name='Pix. Acc.', key='aAcc', scale=1),
    dict(name='IN-1k Top-1', key='accuracy/top1', scale=1),
]
_variants = [  # (key suffix, label, config infix, paper mIoU, paper pixel accuracy)
    ('ce-baseline', '1. CE + ConvMLP (baseline)', '-ce-baseline', 38.15, 89.26),
    ('scm', '2. baseline + SCM', '-scm', 47.66, 91.07),
    ('frm-high', '3. baseline + FRM high frequency', '-frm-high', 49.03, 90.98),
    ('frm-low', '4. baseline + FRM low frequency', '-frm-low', 43.99, 90.65),
    ('frm', '5. baseline + FRM (high + low)', '-frm', 50.45, 90.95),
    ('full', '6. FANet (SCM + FRM)', '', 54.89, 91.41),
]
rows = [
    dict(key=f'in1k-{k}', label=f'pre-train {label}',
         config=f'configs/fanet/fanet-t{infix}_16xb80_in1k.py',
         # the paper gives ImageNet top-1 only for the full model (Table 4)
         paper={'IN-1k Top-1': 82.5} if k == 'full' else {},
         flops_input=(3, 224, 224), synthetic={{_base_.synthetic_imagenet}})
    for k, label, infix, _, _ in _variants
] + [
    dict(key=f'seg-{k}', label=label,
         config=f'configs/fanet/upernet_fanet-t{infix}_1xb2-40k_zerowaste-f-512x512.py',
         init_from=dict(row=f'in1k-{k}', field='model.backbone.init_cfg', prefix='backbone.'),
         paper={'mIoU': miou, 'Pix. Acc.': acc},
         flops_input=(3, 512, 512), synthetic={{_base_.synthetic_zerowaste}})
    for k, label, infix, miou, acc in _variants
]
