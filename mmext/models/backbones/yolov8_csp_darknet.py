"""YOLOv8's CSP-Darknet backbone (C2f stages, SPPF), sizes n/s/m/l/x.

The backbone of the YOLOv8 detectors that the refined-GFL road-asset paper (Panboonyuen et al.,
2024, "Comparison of YOLOv8 Variants" table) trains at sizes n to x. Layout, per output stride:

====== ============================== ==============================
stride layer                          channels at widen factor w
====== ============================== ==============================
2      stem: 3x3 s2 ConvModule         c(64)
4      stage1: 3x3 s2 conv, C2f x 3d   c(128)
8      stage2: 3x3 s2 conv, C2f x 6d   c(256)
16     stage3: 3x3 s2 conv, C2f x 6d   c(512)
32     stage4: 3x3 s2 conv, C2f x 3d,  c(min(1024, max_channels))
       SPPF(k=5)
====== ============================== ==============================

with ``c(n) = ceil(n * w / 8) * 8`` and ``blocks(n) = max(round(n * d), 1)`` for the deepen
factor d. The sizes (:attr:`YOLOv8CSPDarknet.arch_zoo`) are Ultralytics' ``(d, w, max_channels)``:
n (0.33, 0.25, 1024), s (0.33, 0.5, 1024), m (0.67, 0.75, 768), l (1, 1, 512), x (1, 1.25, 512).
"""
import math
from typing import Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from ..layers.c2f import C2f
from ..layers.sppf import SPPF


def make_divisible(channels: float, divisor: int = 8) -> int:
    """Smallest multiple of ``divisor`` that is >= ``channels`` (Ultralytics' width rounding)."""
    return int(math.ceil(channels / divisor) * divisor)


def scale_depth(num_blocks: int, deepen_factor: float) -> int:
    """Ultralytics' depth rounding: ``max(round(n * d), 1)`` for n > 1, else n."""
    return max(round(num_blocks * deepen_factor), 1) if num_blocks > 1 else num_blocks


@MODELS.register_module()
class YOLOv8CSPDarknet(BaseModule):
    """YOLOv8 backbone.

    Args:
        arch (str | dict): A size from :attr:`arch_zoo` ('n', 's', 'm', 'l', 'x') or a dict with
            ``deepen_factor``, ``widen_factor`` and ``max_channels``.
        deepen_factor (float, optional): Overrides the size's depth factor.
        widen_factor (float, optional): Overrides the size's width factor.
        max_channels (int, optional): Overrides the size's channel cap of the last stage.
        out_indices (Sequence[int]): Which outputs to return, 0 = stem, 1..4 = stages.
            Defaults to (2, 3, 4): strides 8, 16, 32.
        frozen_stages (int): Stages (0 = stem) to freeze; -1 freezes nothing.
        norm_eval (bool): Keep BN layers in eval mode during training.
        norm_cfg, act_cfg: BN(momentum=0.03, eps=1e-3) and SiLU, as in YOLOv8.

    Forward: (B, 3, H, W) -> tuple of (B, C_i, H / s_i, W / s_i) for the selected outputs;
    :attr:`out_channels` lists the C_i.
    """

    arch_zoo = {
        'n': dict(deepen_factor=0.33, widen_factor=0.25, max_channels=1024),
        's': dict(deepen_factor=0.33, widen_factor=0.50, max_channels=1024),
        'm': dict(deepen_factor=0.67, widen_factor=0.75, max_channels=768),
        'l': dict(deepen_factor=1.00, widen_factor=1.00, max_channels=512),
        'x': dict(deepen_factor=1.00, widen_factor=1.25, max_channels=512),
    }
    # P5 layout at unit width/depth: stem channels, then per stage
    # (out_channels, num_c2f_blocks, use_sppf)
    stem_channels = 64
    stage_settings = ((128, 3, False), (256, 6, False), (512, 6, False), (1024, 3, True))

    def __init__(self,
                 arch='s',
                 deepen_factor: Optional[float] = None,
                 widen_factor: Optional[float] = None,
                 max_channels: Optional[int] = None,
                 out_indices: Sequence[int] = (2, 3, 4),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='SiLU', inplace=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_zoo:
                raise KeyError(f'YOLOv8CSPDarknet: unknown arch {arch!r}; '
                               f'choose from {sorted(self.arch_zoo)} or pass a dict')
            arch = self.arch_zoo[arch]
        else:
            missing = {'deepen_factor', 'widen_factor', 'max_channels'} - set(arch)
            if missing:
                raise KeyError(f'YOLOv8CSPDarknet: arch dict lacks {sorted(missing)}')
        self.deepen_factor = arch['deepen_factor'] if deepen_factor is None else deepen_factor
        self.widen_factor = arch['widen_factor'] if widen_factor is None else widen_factor
        self.max_channels = arch['max_channels'] if max_channels is None else max_channels
        if not set(out_indices) <= set(range(len(self.stage_settings) + 1)):
            raise ValueError(f'YOLOv8CSPDarknet: out_indices {tuple(out_indices)} must lie in '
                             f'0..{len(self.stage_settings)}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        cfg = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)

        def width(c):
            return make_divisible(min(c, self.max_channels) * self.widen_factor)

        in_ch = width(self.stem_channels)
        self.stem = ConvModule(3, in_ch, 3, stride=2, padding=1, **cfg)
        self.layers = ['stem']
        channels = [in_ch]
        for i, (out_c, n, use_sppf) in enumerate(self.stage_settings):
            out_ch = width(out_c)
            stage = [
                ConvModule(in_ch, out_ch, 3, stride=2, padding=1, **cfg),
                C2f(out_ch, out_ch, scale_depth(n, self.deepen_factor), add_identity=True, **cfg)
            ]
            if use_sppf:
                stage.append(SPPF(out_ch, out_ch, kernel_size=5, **cfg))
            self.add_module(f'stage{i + 1}', nn.Sequential(*stage))
            self.layers.append(f'stage{i + 1}')
            channels.append(out_ch)
            in_ch = out_ch
        self.out_channels = [channels[i] for i in self.out_indices]

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages + 1):
            m = getattr(self, self.layers[i])
            m.eval()
            for param in m.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        """Switch mode, keeping frozen stages (and BN, if ``norm_eval``) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x):
        """(B, 3, H, W) -> tuple of the selected feature maps (see class docstring)."""
        outs = []
        for i, name in enumerate(self.layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
