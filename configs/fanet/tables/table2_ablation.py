# FANet paper, Table 2: SCM and FRM ablation (UperNet, ZeroWaste-f test set). Every row's
# backbone is pre-trained on ImageNet-1k for 300 epochs with its own switches
# (configs/fanet/fanet-t-<row>_16xb80_in1k.py) before fine-tuning.
# python tools/run_table.py configs/fanet/tables/table2_ablation.py [--synthetic]
_base_ = './table1_zerowaste_sota.py'  # metrics and the --synthetic options
title = 'Table 2: ablation of SCM and FRM (ZeroWaste-f test set)'
rows = [
    dict(label='1. CE + ConvMLP (baseline)',
         config='configs/fanet/upernet_fanet-t-ce-baseline_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 38.15, 'Pix. Acc.': 89.26}),
    dict(label='2. baseline + SCM',
         config='configs/fanet/upernet_fanet-t-scm_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 47.66, 'Pix. Acc.': 91.07}),
    dict(label='3. baseline + FRM high frequency',
         config='configs/fanet/upernet_fanet-t-frm-high_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 49.03, 'Pix. Acc.': 90.98}),
    dict(label='4. baseline + FRM low frequency',
         config='configs/fanet/upernet_fanet-t-frm-low_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 43.99, 'Pix. Acc.': 90.65}),
    dict(label='5. baseline + FRM (high + low)',
         config='configs/fanet/upernet_fanet-t-frm_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 50.45, 'Pix. Acc.': 90.95}),
    dict(label='6. FANet (SCM + FRM)',
         config='configs/fanet/upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 54.89, 'Pix. Acc.': 91.41}),
]
