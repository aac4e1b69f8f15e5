# FANet paper, Table 3: FANet vs FocalNet on the ZeroWaste-f test set (parameters of the
# ImageNet classifiers, as the paper quotes them, in the labels).
# python tools/run_table.py configs/fanet/tables/table3_focalnet.py [--synthetic]
_base_ = './table1_zerowaste_sota.py'  # metrics and the --synthetic options
title = 'Table 3: FANet vs FocalNet on the ZeroWaste-f test set'
rows = [
    dict(label='FocalNet-T (28.6 M)',
         config='configs/fanet/upernet_focalnet-t_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 51.71, 'Pix. Acc.': 91.03}),
    dict(label='FocalNet-B (88.7 M)',
         config='configs/fanet/upernet_focalnet-b_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 54.26, 'Pix. Acc.': 91.28},
         note='Table 1 gives 53.26 for the same model'),
    dict(label='FANet (36.7 M)',
         config='configs/fanet/upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py',
         paper={'mIoU': 54.89, 'Pix. Acc.': 91.41}),
]
