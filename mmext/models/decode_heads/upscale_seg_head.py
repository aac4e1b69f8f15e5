"""A segmentation head whose logits are ``upscale`` times larger than its input feature.

CogSeg (Sang et al., Sec. 3.2) feeds a 256x256 CT slice and predicts the 512x512 label map: the
segmentation decoder ends in a x2 "amplified output", a 1x1 convolution and a softmax. This head
is that ending, usable after any backbone (U-Net, U-Net++, Attention U-Net, ...)::

    feature [N, in_channels, h, w]
      -> log2(upscale) x upsample layer (upsample_cfg; default mmseg's InterpConv:
         bilinear x2 + 1x1 ConvModule)                     [N, channels, upscale*h, upscale*w]
      -> num_convs x (kernel_size ConvModule)               (default one 3x3)
      -> dropout -> 1x1 conv_seg                            [N, num_classes, upscale*h, upscale*w]

The softmax is applied by the losses and by the segmentor's post-processing. At inference the
logits are returned at ``upscale`` x the network input size (mmseg's heads resize them to the input
size instead); with a pipeline that sets ``ori_shape`` to the high-resolution target size (the
MedSeg pipeline does), the prediction is never down- and up-sampled again.

The upsampling operator is not given in the paper; InterpConv is mmseg's U-Net upsampler and the
3x3 convolution after it is an assumption (``num_convs=0`` removes it).
"""
import math
from typing import List

import torch
from mmcv.cnn import ConvModule, build_upsample_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class UpscaleSegHead(BaseDecodeHead):
    """Segmentation head with ``upscale`` x output resolution (CogSeg's x2 segmentation head).

    Args:
        upscale (int): output / input resolution ratio, a power of 2 (1 disables upsampling).
            Default 2.
        upsample_cfg (dict): an mmseg upsample module built with ``(in_channels, out_channels,
            norm_cfg=..., act_cfg=...)``, e.g. ``dict(type='InterpConv')`` or
            ``dict(type='DeconvModule')``. Default InterpConv.
        num_convs (int): convolutions after the upsampling. Default 1.
        kernel_size (int): their kernel size. Default 3.
        init_cfg (dict, optional): default None: PyTorch's default initialisation of
            ``conv_seg`` and mmcv's of the ConvModules (CogSeg trains a U-Net from scratch;
            mmseg's usual ``Normal(std=0.01)`` on ``conv_seg`` held the lesion classes at zero
            for hundreds of Adam iterations on the synthetic CT set, where this starts learning
            them within 50).
        **kwargs: :class:`BaseDecodeHead` arguments (``in_channels``, ``channels``,
            ``num_classes``, ``in_index``, ``loss_decode``, ...). Only a single input feature
            (``input_transform=None``) is supported.
    """

    def __init__(self,
                 upscale: int = 2,
                 upsample_cfg: dict = dict(type='InterpConv'),
                 num_convs: int = 1,
                 kernel_size: int = 3,
                 init_cfg=None,
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if upscale < 1 or upscale & (upscale - 1):
            raise ValueError(f'upscale must be a power of 2, got {upscale}')
        if self.input_transform is not None:
            raise ValueError('UpscaleSegHead takes one feature map (input_transform=None), got '
                             f'input_transform={self.input_transform!r}')
        if upscale == 1 and num_convs == 0 and self.in_channels != self.channels:
            raise ValueError(f'with upscale=1 and num_convs=0, in_channels ({self.in_channels}) '
                             f'must equal channels ({self.channels})')
        self.upscale = upscale
        layers: List[nn.Module] = []
        in_channels = self.in_channels
        for _ in range(int(math.log2(upscale))):
            layers.append(
                build_upsample_layer(
                    cfg=upsample_cfg,
                    in_channels=in_channels,
                    out_channels=self.channels,
                    norm_cfg=self.norm_cfg,
                    act_cfg=self.act_cfg))
            in_channels = self.channels
        for _ in range(num_convs):
            layers.append(
                ConvModule(
                    in_channels,
                    self.channels,
                    kernel_size,
                    padding=kernel_size // 2,
                    conv_cfg=self.conv_cfg,
                    norm_cfg=self.norm_cfg,
                    act_cfg=self.act_cfg))
            in_channels = self.channels
        self.layers = nn.Sequential(*layers)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Logits ``[N, num_classes, upscale*h, upscale*w]`` of feature ``inputs[in_index]``."""
        x = self._transform_inputs(inputs)
        return self.cls_seg(self.layers(x))

    def predict_by_feat(self, seg_logits: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Resize the logits to ``upscale`` x the (padded) input size, not to the input size."""
        meta = batch_img_metas[0]
        # the same choice of reference size as BaseDecodeHead.predict_by_feat
        if isinstance(meta['img_shape'], torch.Size):
            size = meta['img_shape']
        elif 'pad_shape' in meta:
            size = meta['pad_shape'][:2]
        else:
            size = meta['img_shape'][:2]
        size = tuple(int(s) * self.upscale for s in size)
        return resize(seg_logits, size=size, mode='bilinear', align_corners=self.align_corners)
