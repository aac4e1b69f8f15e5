# FANet paper, Table 4: ImageNet-1k validation top-1 (parameters / GFLOPs at 224x224 as the
# paper quotes them, in the labels; tools/analysis_tools/benchmark_fanet.py measures both).
# python tools/run_table.py configs/fanet/tables/table4_imagenet.py [--synthetic]
_base_ = ['./_base_/synthetic.py']
title = 'Table 4: ImageNet-1k classification (validation set)'
metrics = [dict(name='Top-1', key='accuracy/top1', scale=1)]
rows = [
    dict(label='FocalNet-T (28.6 M, 4.5 G)', config='configs/fanet/focalnet-t_16xb80_in1k.py',
         paper={'Top-1': 82.3}, note="paper's number is the FocalNet paper's own recipe"),
    dict(label='FANet-T (36.7 M, 5.8 G)', config='configs/fanet/fanet-t_16xb80_in1k.py',
         paper={'Top-1': 82.5}),
]
synthetic = {{_base_.synthetic_imagenet}}
synthetic_data = ['imagenet']
