# Table 9, row ResNet152: the backbone replaced, on the reproduction's base (g=0.6, DOTA-v2.0).
_base_ = './dcfl-le135_r50_fpn_1x_dotav2_g0.6.py'
model = dict(
    backbone=dict(
        depth=152, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet152')))
