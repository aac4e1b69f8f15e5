# MedSeg COVID-19_1: 100 axial CT slices (labels 1 ground-glass opacity, 2 consolidation,
# 3 pleural effusion), slices 0-69 for training and 70-99 for testing (CogSeg Sec. 4.1). Convert:
#   python tools/dataset_converters/medseg_covid.py covid19_1 <folder with tr_im.nii.gz> \
#       -o data/medseg_covid19_1
# The pipelines load the 512x512 slice (images/) and its label map, augment both, and derive the
# 256x256 input from the augmented slice (DeriveLRInput: PIL bicubic, the converter's filter; the
# converter's images_lr/ PNGs are what it gives without augmentation).
dataset_type = 'MedSegCOVIDDataset'
data_root = 'data/medseg_covid19_1/'
crop_size = (256, 256)
# the windowed grey value of air (-1000 HU) in the [-1350, 150] HU window: 350 / 1500 * 255 = 59.5
# (mmext.datasets.converters.medseg_covid.air_value()); the fill of rotations and scalings
air = 60

# CogSeg Sec. 4.2 enlarges COVID-19_1 with copies rotated by 45, 90, 135, 180, 270 and 360
# degrees and copies scaled by 0.5, 0.75, 1.25 and 1.5: 11 versions of every slice. Here one of
# the 11 (the slice itself, a rotation or a scaling) is drawn per sample, and the training set is
# repeated 11 times per epoch so that an epoch has as many samples as the enlarged set.
# PairedRescale keeps the canvas size (centre crop / pad with air) so that batches stack.
rotations = [[dict(type='PairedRotate', angle=a, img_border_value=air)]
             for a in (45, 90, 135, 180, 270, 360)]
scalings = [[dict(type='PairedRescale', scale=s, img_pad_val=air)] for s in (0.5, 0.75, 1.25, 1.5)]
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),  # the 512x512 slice
    dict(type='LoadAnnotations'),
    dict(type='RandomChoice', transforms=[[]] + rotations + scalings),  # HR slice + label map
    dict(type='DeriveLRInput', scale=2),  # 256x256 input = down-sampled augmented slice
    dict(type='PackSRSegInputs')
]
# the paper's Sec. 3.2 baseline ("subsample the original image and the corresponding ground
# truth, and then rescaling ... in the post-processing"): labels down-sampled to the input size
train_pipeline_subsampled_labels = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='LoadAnnotations'),
    dict(type='RandomChoice', transforms=[[]] + rotations + scalings),
    dict(type='DeriveLRInput', scale=2, resize_seg=True),
    dict(type='PackSRSegInputs')
]
# raw slices too: WindowHU windows a float HU slice (mmseg's inference_model(model, hu_slice)) and
# leaves the converter's uint8 PNGs alone; LoadLungMask adds the lung mask when there is one
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
        type='RepeatDataset',
        times=11,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=dict(img_path='images/train', seg_map_path='annotations/train'),
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        # lung_mask_path: the converter writes lung_masks/ from tr_lungmasks_updated.nii.gz; with
        # it the metric adds the "inside the lung" keys (set it to None without lung masks)
        data_prefix=dict(img_path='images/test', seg_map_path='annotations/test',
                         lung_mask_path='lung_masks/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# every metric convention at once (DiceSensSpecMetric: all classes, lesion classes (_fg), any
# infection vs rest (_bin, _inf), inside the lung (_lung), per dataset and per image (_img));
# the table files say which key each paper column is read from
val_evaluator = dict(type='DiceSensSpecMetric', background_index=0, average='dataset',
                     empty_score=None)
test_evaluator = val_evaluator
