# FANet in `make demo`: a reduced-width FANet + UperNet on the synthetic ZeroWaste-f set.
entries = [
    dict(method='FANet (UperNet)', dataset='synthetic ZeroWaste-f', data='zerowaste',
         config='configs/fanet/demo/upernet_fanet-mini_1xb4-400iter_synthetic-zerowaste-f.py',
         metric='mIoU'),
]
