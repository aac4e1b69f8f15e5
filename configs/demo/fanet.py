# FANet in `make demo`: a reduced-width FANet + UperNet on the synthetic ZeroWaste-f set, and the
# same backbone as an mmpretrain ImageNet classifier on the synthetic ImageNet folder.
entries = [
    dict(method='FANet (UperNet)', dataset='synthetic ZeroWaste-f', data='zerowaste',
         config='configs/fanet/demo/upernet_fanet-mini_1xb4-400iter_synthetic-zerowaste-f.py',
         metric='mIoU'),
    dict(method='FANet (classifier)', dataset='synthetic ImageNet', data='imagenet',
         config='configs/fanet/demo/fanet-mini_1xb8-12e_synthetic-imagenet.py',
         metric='accuracy/top1'),
]
