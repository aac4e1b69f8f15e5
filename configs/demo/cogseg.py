# make demo: CogSeg on the synthetic MedSeg COVID-19_1 CT set (the 'medseg' generator writes the
# NIfTI volumes and converts them with tools/dataset_converters/medseg_covid.py).
entries = [
    dict(method='CogSeg (U-Net + SR + Edge-RMI)', dataset='synthetic MedSeg CT', data='medseg',
         config='configs/cogseg/demo/cogseg_unet-s5-b8_1xb4-20e_synthetic-medseg-covid19-1.py',
         metric='mIoU'),
]
