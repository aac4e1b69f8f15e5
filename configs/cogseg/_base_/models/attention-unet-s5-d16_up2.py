# Table 3 "Attention U-Net" (Oktay et al.): the U-Net baseline with attention-gated skips.
_base_ = './unet-s5-d16_up2.py'
model = dict(backbone=dict(type='AttentionUNet', attention_ratio=0.5))
