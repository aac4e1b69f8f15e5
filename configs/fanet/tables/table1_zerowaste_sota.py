# FANet paper, Table 1: comparison on the ZeroWaste-f test set (mIoU, pixel accuracy).
# python tools/run_table.py configs/fanet/tables/table1_zerowaste_sota.py [--synthetic]
_base_ = ['./_base_/synthetic.py']
title = 'Table 1: comparison with the state of the art on the ZeroWaste-f test set'
metrics = [
    dict(name='mIoU', key='mIoU', scale=1),
    dict(name='Pix. Acc.', key='aAcc', scale=1),
]
semi_note = ('semi-supervised method (uses the unlabelled ZeroWaste-s frames); number quoted by '
         'the paper from the ZeroWaste paper; no OpenMMLab implementation, so no config')
rows = [
    dict(label='CCT', config=None, paper={'mIoU': 29.32, 'Pix. Acc.': 85.91}, note=semi_note),
    dict(label='ReCo', config=None, paper={'mIoU': 52.28, 'Pix. Acc.': 89.33}, note=semi_note),
    dict(label='DeepLabv3+ (R-101, deep stem)',
         config='configs/fanet/deeplabv3plus_r101-d16-mg124_2xb20-10k_zerowaste-f-512x1024.py',
         paper={'mIoU': 52.13, 'Pix. Acc.': 91.38},
         note="paper's number from the ZeroWaste paper (detectron2); config ports its recipe"),
    dict(label='FocalNet-B + UperNet',
         config='configs/fanet/upernet_focalnet-b_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 53.26, 'Pix. Acc.': 91.28}),
    dict(label='FANet-T + UperNet',
         config='configs/fanet/upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 54.89, 'Pix. Acc.': 91.41}),
]
synthetic = {{_base_.synthetic_zerowaste}}
synthetic_data = ['zerowaste']
