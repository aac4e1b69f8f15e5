# DCFL in `make demo`: the DCFL head and coarse-to-fine assigner (ResNet-18 FPN, 256 px) on the
# synthetic DOTA set.
entries = [
    dict(method='DCFL R18', dataset='synthetic DOTA', data='dota',
         config='configs/dcfl/demo/dcfl-le135_r18_fpn_synthetic-dota.py', metric='dota/mAP'),
]
