"""SPPF: the fast spatial-pyramid-pooling block at the end of the YOLOv8 backbone."""
import torch
from mmdet.models.backbones.csp_darknet import SPPBottleneck
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor


class SPPF(SPPBottleneck):
    """Spatial pyramid pooling, fast variant (YOLOv5 v6+, YOLOv8).

    For x of shape (B, C_in, H, W) with h = C_in // 2:

    ``y0 = conv1(x)`` (1x1, C_in -> h); ``y_{k+1} = maxpool_k(y_k)`` for k = 0, 1, 2, each a k x k
    stride-1 max pool with padding k // 2; ``out = conv2(concat(y0, y1, y2, y3))``
    (1x1, 4h -> C_out).

    Three chained k x k pools equal parallel pools of sizes k, 2k - 1 and 3k - 2, so SPPF(k=5)
    computes exactly mmdet's :class:`SPPBottleneck` with ``kernel_sizes=(5, 9, 13)``, with the
    same parameters, at a lower cost. Only ``forward`` changes; the layers are mmdet's.

    Shapes: (B, C_in, H, W) -> (B, C_out, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 5,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='SiLU', inplace=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_sizes=(kernel_size, ) * 3,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            init_cfg=init_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """(B, C_in, H, W) -> (B, C_out, H, W)."""
        outs = [self.conv1(x)]
        for pool in self.poolings:
            outs.append(pool(outs[-1]))
        return self.conv2(torch.cat(outs, dim=1))
