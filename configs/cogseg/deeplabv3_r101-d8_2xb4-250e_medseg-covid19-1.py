# Table 3 "DeepLabv2" (mmseg DeepLabv3 R-101-D8 stands in; see the model base).
# MedSeg COVID-19_1, 256x256 input, 512x512 output; Adam 1e-4 halved every 50 epochs, 250 epochs,
# 2 GPUs x 4 slices.
_base_ = [
    './_base_/models/deeplabv3_r101-d8_ct.py', './_base_/datasets/medseg_covid19_1.py',
    './_base_/schedules/adam-1e-4_step50_250e.py', './_base_/default_runtime.py'
]
