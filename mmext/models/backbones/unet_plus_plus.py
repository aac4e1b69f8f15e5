"""U-Net++ (Zhou et al., "UNet++: A Nested U-Net Architecture for Medical Image Segmentation",
DLMIA 2018; "Redesigning Skip Connections ...", IEEE TMI 2019), a baseline of CogSeg's Table 3.

Nodes ``X^{i,j}``: ``i`` is the depth (resolution ``1/2^i``, ``c_i = base_channels * 2^i``
channels), ``j`` the position along the nested skip pathway::

    X^{0,0} = H(input),  X^{i,0} = H(MaxPool(X^{i-1,0}))                       (encoder)
    X^{i,j} = H([X^{i,0}, X^{i,1}, ..., X^{i,j-1}, Up(X^{i+1,j-1})]),  j >= 1   (paper Eq. 1)

``H`` is two 3x3 conv-BN-ReLU layers (mmseg's ``BasicConvBlock``); ``Up`` brings ``c_{i+1}``
channels to ``c_i`` at twice the resolution, each node with its own weights (the authors' Keras
code uses a 2x2 transposed convolution; the default here is mmseg's U-Net upsampler
``InterpConv``, ``upsample_cfg=dict(type='DeconvModule')`` gives a learned one).

Output: the decoder's last column, laid out like mmseg ``UNet.forward`` so that the same heads
work: ``[X^{L-1,0}, X^{L-2,1}, ..., X^{0,L-1}]`` (coarsest first, channels
``c_{L-1}, ..., c_0``). The full-resolution output ``X^{0,L-1}`` is U-Net++'s final prediction
feature (no deep supervision / pruning). ``encode(x)`` gives the backbone column ``X^{i,0}``,
``decode(enc_outs)`` the nested nodes ``X^{i,j}, j >= 1`` from it: the interface
``CogSegSegmentor`` shares an encoder through (its SR branch gets its own nested nodes).
"""
from typing import Dict, List, Tuple

import torch
from mmengine.model import BaseModule
from mmcv.cnn import build_upsample_layer
from mmseg.models.backbones.unet import BasicConvBlock
from mmseg.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class UNetPlusPlus(BaseModule):
    """U-Net++ backbone (nested dense skip pathways).

    Args:
        in_channels (int): input channels. Default 3.
        base_channels (int): ``c_0``. Default 32 (the U-Net++ paper's 32-64-128-256-512).
        num_stages (int): number of depths ``L``. Default 5.
        num_convs (int): conv layers in each node ``H``. Default 2.
        conv_cfg, norm_cfg, act_cfg: of the conv layers.
        upsample_cfg (dict): the ``Up`` module, an mmseg upsample layer built with
            ``(in_channels, out_channels, norm_cfg=..., act_cfg=...)``. Default InterpConv.
        with_cp (bool): gradient checkpointing in the nodes.
        init_cfg: default as mmseg's UNet (Kaiming convs, unit norms).
    """

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 32,
                 num_stages: int = 5,
                 num_convs: int = 2,
                 conv_cfg=None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 upsample_cfg: dict = dict(type='InterpConv'),
                 with_cp: bool = False,
                 init_cfg=[
                     dict(type='Kaiming', layer='Conv2d'),
                     dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
                 ]):
        super().__init__(init_cfg)
        if num_stages < 2:
            raise ValueError(f'num_stages must be >= 2, got {num_stages}')
        self.num_stages = num_stages
        self.base_channels = base_channels
        self.channels = [base_channels * 2**i for i in range(num_stages)]
        block = dict(num_convs=num_convs, with_cp=with_cp, conv_cfg=conv_cfg,
                     norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.encoder = nn.ModuleList()
        for i, c in enumerate(self.channels):
            layers = [nn.MaxPool2d(kernel_size=2)] if i else []
            layers.append(BasicConvBlock(in_channels if i == 0 else self.channels[i - 1], c,
                                         **block))
            self.encoder.append(nn.Sequential(*layers))
        self.nodes = nn.ModuleDict()
        self.ups = nn.ModuleDict()
        for i in range(num_stages - 1):
            c = self.channels[i]
            for j in range(1, num_stages - i):
                self.ups[f'{i}_{j}'] = build_upsample_layer(
                    cfg=upsample_cfg,
                    in_channels=self.channels[i + 1],
                    out_channels=c,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg)
                self.nodes[f'{i}_{j}'] = BasicConvBlock((j + 1) * c, c, **block)

    def encode(self, x: Tensor) -> List[Tensor]:
        """The backbone column ``[X^{0,0}, ..., X^{L-1,0}]`` of an input ``[N, C, H, W]``;
        ``H`` and ``W`` must be divisible by ``2^(L-1)``."""
        h, w = x.shape[-2:]
        rate = 2**(self.num_stages - 1)
        if h % rate or w % rate:
            raise ValueError(f'UNetPlusPlus: the input size {(h, w)} must be divisible by {rate} '
                             f'(num_stages={self.num_stages})')
        outs = []
        for stage in self.encoder:
            x = stage(x)
            outs.append(x)
        return outs

    def decode(self, enc_outs: List[Tensor]) -> List[Tensor]:
        """Nested nodes from the backbone column: ``[X^{L-1,0}, X^{L-2,1}, ..., X^{0,L-1}]``."""
        feats: Dict[Tuple[int, int], Tensor] = {(i, 0): e for i, e in enumerate(enc_outs)}
        for i in range(1, self.num_stages):
            # X^{i,0} completes the anti-diagonal X^{i-j, j}, j = 1..i
            for j in range(1, i + 1):
                k = i - j
                up = self.ups[f'{k}_{j}'](feats[(k + 1, j - 1)])
                inputs = [feats[(k, m)] for m in range(j)] + [up]
                feats[(k, j)] = self.nodes[f'{k}_{j}'](torch.cat(inputs, dim=1))
        last = self.num_stages - 1
        return [feats[(last - j, j)] for j in range(self.num_stages)]

    def forward(self, x: Tensor) -> List[Tensor]:
        """``[X^{L-1,0}, X^{L-2,1}, ..., X^{0,L-1}]`` of an input ``[N, C, H, W]``; ``H`` and
        ``W`` must be divisible by ``2^(L-1)``."""
        return self.decode(self.encode(x))
