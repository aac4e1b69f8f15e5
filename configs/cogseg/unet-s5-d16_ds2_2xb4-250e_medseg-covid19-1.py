# U-Net, the way CogSeg Sec. 3.2 describes the methods it improves on: "subsample the
# original image and the corresponding ground truth, and then rescaling to the size of the
# original image in the post-processing": trained on the 256x256 input with the label map
# down-sampled to 256 (nearest), tested with its 256x256 logits resized bilinearly (x2) to
# the 512x512 label map. Tables 1/3 read the paper's row from this config and print
# `unet-s5-d16_up2` (512x512 supervision) beside it.
_base_ = './unet-s5-d16_up2_2xb4-250e_medseg-covid19-1.py'
model = dict(decode_head=dict(upscale=1))  # no learned x2: mmseg rescales the logits
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline={{_base_.train_pipeline_subsampled_labels}})))
