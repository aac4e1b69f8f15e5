"""C2f: the cross-stage-partial block of YOLOv8 with two convolutions and a split.

The block of the YOLOv8 backbone and neck (Jocher et al., Ultralytics YOLOv8, 2023; used by the
refined-GFL road-asset detector of Panboonyuen et al., 2024). mmdet 3.1 has the older CSP block of
YOLOv5/YOLOX (:class:`mmdet.models.layers.CSPLayer`, "C3"), whose bottleneck starts with a 1x1
convolution and which merges a main and a short branch. C2f differs in both places, so it is
written here on top of mmdet's :class:`~mmdet.models.layers.csp_layer.DarknetBottleneck`.
"""
from typing import List

import torch
from mmcv.cnn import ConvModule
from mmdet.models.layers.csp_layer import DarknetBottleneck
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor


class C2fBottleneck(DarknetBottleneck):
    """The C2f bottleneck: 3x3 conv -> 3x3 conv (+ identity).

    mmdet's :class:`DarknetBottleneck` is 1x1 -> 3x3; the only change is the kernel of the first
    convolution, so this subclass rebuilds ``conv1`` as a 3x3 ConvModule and keeps the rest
    (second conv, identity rule ``add_identity and in == out``, forward).

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        expansion (float): Hidden width = ``int(C_out * expansion)``. YOLOv8 uses 1.0 inside C2f.
        add_identity (bool): Residual connection (only applied when C_in == C_out).

    Shapes: (B, C_in, H, W) -> (B, C_out, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 expansion: float = 1.0,
                 add_identity: bool = True,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='SiLU', inplace=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            in_channels,
            out_channels,
            expansion=expansion,
            add_identity=add_identity,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            init_cfg=init_cfg)
        hidden_channels = int(out_channels * expansion)
        self.conv1 = ConvModule(
            in_channels,
            hidden_channels,
            3,
            padding=1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)


class C2f(BaseModule):
    """YOLOv8's C2f block ("CSP bottleneck with 2 convolutions").

    Computes, for input x of shape (B, C_in, H, W) and c = int(C_out * expand_ratio):

    1. ``y0, y1 = split(main_conv(x), [c, c])`` with ``main_conv`` a 1x1 ConvModule C_in -> 2c;
    2. ``y_{k+1} = bottleneck_k(y_k)`` for k = 1..n (each a :class:`C2fBottleneck` c -> c);
    3. ``out = final_conv(concat(y0, y1, ..., y_{n+1}))``, a 1x1 ConvModule (2 + n)c -> C_out.

    Output shape (B, C_out, H, W). Every intermediate bottleneck output is kept, which is what
    distinguishes C2f from the C3 block (:class:`mmdet.models.layers.CSPLayer`).

    Args:
        in_channels (int): C_in.
        out_channels (int): C_out.
        num_blocks (int): n, the number of bottlenecks.
        add_identity (bool): Residual connections inside the bottlenecks (True in the backbone,
            False in the neck).
        expand_ratio (float): Hidden width ratio; 0.5 in YOLOv8.
        conv_cfg, norm_cfg, act_cfg: As in :class:`mmcv.cnn.ConvModule`. YOLOv8 uses BN with
            momentum 0.03 and eps 1e-3, and SiLU.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 num_blocks: int = 1,
                 add_identity: bool = True,
                 expand_ratio: float = 0.5,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='SiLU', inplace=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 1:
            raise ValueError(f'C2f needs num_blocks >= 1, got {num_blocks}')
        self.mid_channels = int(out_channels * expand_ratio)
        cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.main_conv = ConvModule(in_channels, 2 * self.mid_channels, 1, **cfg)
        self.final_conv = ConvModule((2 + num_blocks) * self.mid_channels, out_channels, 1,
                                     **cfg)
        self.blocks = torch.nn.ModuleList(
            C2fBottleneck(self.mid_channels, self.mid_channels, expansion=1.0,
                          add_identity=add_identity, **cfg) for _ in range(num_blocks))

    def forward(self, x: Tensor) -> Tensor:
        """(B, C_in, H, W) -> (B, C_out, H, W)."""
        outs: List[Tensor] = list(self.main_conv(x).split(self.mid_channels, dim=1))
        for block in self.blocks:
            outs.append(block(outs[-1]))
        return self.final_conv(torch.cat(outs, dim=1))
