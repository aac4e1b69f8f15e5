# MedSeg COVID-19_1: 100 axial CT slices (labels 1 ground-glass opacity, 2 consolidation,
# 3 pleural effusion), slices 0-69 for training and 70-99 for testing (CogSeg Sec. 4.1). Convert:
#   python tools/dataset_converters/medseg_covid.py covid19_1 <folder with tr_im.nii.gz> \
#       -o data/medseg_covid19_1
# Inputs are the 256x256 slices (images_lr/), targets the 512x512 slices and label maps.
dataset_type = 'MedSegCOVIDDataset'
data_root = 'data/medseg_covid19_1/'
crop_size = (256, 256)

# CogSeg Sec. 4.2 enlarges COVID-19_1 with copies rotated by 45, 90, 135, 180, 270 and 360
# degrees and copies scaled by 0.5, 0.75, 1.25 and 1.5: 11 versions of every slice. Here one of
# the 11 (the slice itself, a rotation or a scaling) is drawn per sample, and the training set is
# repeated 11 times per epoch so that an epoch has as many samples as the enlarged set.
# PairedRescale keeps the canvas size (centre crop / zero pad) so that batches stack.
rotations = [[dict(type='PairedRotate', angle=a)] for a in (45, 90, 135, 180, 270, 360)]
scalings = [[dict(type='PairedRescale', scale=s)] for s in (0.5, 0.75, 1.25, 1.5)]
train_pipeline = [
    dict(type='LoadSRPairFromFile', scale=2),
    dict(type='LoadAnnotations'),
    dict(type='RandomChoice', transforms=[[]] + rotations + scalings),
    dict(type='PackSRSegInputs')
]
test_pipeline = [
    dict(type='LoadSRPairFromFile', scale=2),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='RepeatDataset',
        times=11,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=dict(img_path='images/train', lr_img_path='images_lr/train',
                             seg_map_path='annotations/train'),
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/test', lr_img_path='images_lr/test',
                         seg_map_path='annotations/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# mIoU over all classes; DSC, sensitivity and specificity also over the lesion classes (_fg)
val_evaluator = dict(type='DiceSensSpecMetric', background_index=0)
test_evaluator = val_evaluator
