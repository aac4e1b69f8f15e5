# MedSeg COVID-19_2: 9 CT volumes (829 slices), volumes 1-6 for training and 7-9 for testing
# (CogSeg Sec. 4.1); same labels as COVID-19_1. Convert:
#   python tools/dataset_converters/medseg_covid.py covid19_2 <folder with rp_im/ and rp_msk/> \
#       -o data/medseg_covid19_2
# Pipelines as COVID-19_1's (configs/cogseg/_base_/datasets/medseg_covid19_1.py); the paper
# augments COVID-19_1 only.
dataset_type = 'MedSegCOVIDDataset'
data_root = 'data/medseg_covid19_2/'
crop_size = (256, 256)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='LoadAnnotations'),
    dict(type='DeriveLRInput', scale=2),
    dict(type='PackSRSegInputs')
]
train_pipeline_subsampled_labels = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='LoadAnnotations'),
    dict(type='DeriveLRInput', scale=2, resize_seg=True),
    dict(type='PackSRSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='WindowHU'),
    dict(type='DeriveLRInput', scale=2),
    dict(type='LoadAnnotations'),
    dict(type='LoadLungMask'),
    dict(type='PackSRSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/train', seg_map_path='annotations/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/test', seg_map_path='annotations/test',
                         lung_mask_path='lung_masks/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DiceSensSpecMetric', background_index=0, average='dataset',
                     empty_score=None)
test_evaluator = val_evaluator
