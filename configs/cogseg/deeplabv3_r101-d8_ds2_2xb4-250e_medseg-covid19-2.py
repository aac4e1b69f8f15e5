# DeepLabv2 (stand-in: DeepLabv3 R-101-D8), the way CogSeg Sec. 3.2 describes the methods it improves on: "subsample the
# original image and the corresponding ground truth, and then rescaling to the size of the
# original image in the post-processing": trained on the 256x256 input with the label map
# down-sampled to 256 (nearest), tested with its 256x256 logits resized bilinearly (x2) to
# the 512x512 label map. Tables 1/3 read the paper's row from this config and print
# `deeplabv3_r101-d8` (512x512 supervision) beside it.
_base_ = './deeplabv3_r101-d8_2xb4-250e_medseg-covid19-2.py'
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_subsampled_labels}}))
