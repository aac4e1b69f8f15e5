"""YOLOv8's path-aggregation neck built from C2f blocks."""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from ..layers.c2f import C2f


@MODELS.register_module()
class YOLOv8PAFPN(BaseModule):
    """PAFPN of YOLOv8: a top-down then a bottom-up path, each merge a C2f without shortcuts.

    With backbone features (P3, P4, P5) of channels (c3, c4, c5), strides (8, 16, 32):

    * top-down:  T4 = C2f(cat(up2(P5), P4)) -> c4;  N3 = C2f(cat(up2(T4), P3)) -> c3
    * bottom-up: N4 = C2f(cat(conv3x3s2(N3), T4)) -> c4;  N5 = C2f(cat(conv3x3s2(N4), P5)) -> c5

    Unlike mmdet's YOLOXPAFPN there are no 1x1 reduce layers, and each output keeps the width of
    the backbone level it sits on, so ``out_channels == in_channels``. ``up2`` is nearest
    upsampling by 2.

    Args:
        in_channels (Sequence[int]): (c3, c4, c5), e.g. ``YOLOv8CSPDarknet.out_channels``.
        num_csp_blocks (int): Bottlenecks per C2f, ``max(round(3 * deepen_factor), 1)`` in YOLOv8
            (1 for n/s, 2 for m, 3 for l/x).

    Forward: tuple of 3 maps (B, c_i, H_i, W_i) -> tuple (N3, N4, N5) of the same shapes.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 512, 1024),
                 num_csp_blocks: int = 3,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='SiLU', inplace=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != 3:
            raise ValueError(f'YOLOv8PAFPN expects 3 input levels (P3, P4, P5), got in_channels='
                             f'{list(in_channels)}')
        c3, c4, c5 = in_channels
        self.in_channels = list(in_channels)
        self.out_channels = list(in_channels)
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.upsample = nn.Upsample(scale_factor=2, mode='nearest')
        self.top_down_p4 = C2f(c5 + c4, c4, num_csp_blocks, add_identity=False, **cfg)
        self.top_down_p3 = C2f(c4 + c3, c3, num_csp_blocks, add_identity=False, **cfg)
        self.downsample_p3 = ConvModule(c3, c3, 3, stride=2, padding=1, **cfg)
        self.bottom_up_p4 = C2f(c3 + c4, c4, num_csp_blocks, add_identity=False, **cfg)
        self.downsample_p4 = ConvModule(c4, c4, 3, stride=2, padding=1, **cfg)
        self.bottom_up_p5 = C2f(c4 + c5, c5, num_csp_blocks, add_identity=False, **cfg)

    def forward(self, inputs: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        """(P3, P4, P5) -> (N3, N4, N5), shapes preserved."""
        if len(inputs) != 3:
            raise ValueError(f'YOLOv8PAFPN got {len(inputs)} feature maps, expected 3')
        p3, p4, p5 = inputs
        t4 = self.top_down_p4(torch.cat([self.upsample(p5), p4], 1))
        n3 = self.top_down_p3(torch.cat([self.upsample(t4), p3], 1))
        n4 = self.bottom_up_p4(torch.cat([self.downsample_p3(n3), t4], 1))
        n5 = self.bottom_up_p5(torch.cat([self.downsample_p4(n4), p5], 1))
        outs: List[Tensor] = [n3, n4, n5]
        return tuple(outs)
