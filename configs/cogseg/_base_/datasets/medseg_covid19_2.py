# MedSeg COVID-19_2: 9 CT volumes (829 slices), volumes 1-6 for training and 7-9 for testing
# (CogSeg Sec. 4.1); same labels as COVID-19_1. Convert:
#   python tools/dataset_converters/medseg_covid.py covid19_2 <folder with rp_im/ and rp_msk/> \
#       -o data/medseg_covid19_2
# Inputs are the 256x256 slices (images_lr/), targets the 512x512 slices and label maps. The paper
# augments COVID-19_1 only.
dataset_type = 'MedSegCOVIDDataset'
data_root = 'data/medseg_covid19_2/'
crop_size = (256, 256)
train_pipeline = [
    dict(type='LoadSRPairFromFile', scale=2),
    dict(type='LoadAnnotations'),
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
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/train', lr_img_path='images_lr/train',
                         seg_map_path='annotations/train'),
        pipeline=train_pipeline))
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
