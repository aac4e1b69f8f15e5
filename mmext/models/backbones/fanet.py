"""FANet: Feature Amplification Network (Ali et al., ICIP 2024, arXiv 2407.09379).

A four-stage convolutional backbone built from Adaptive Feature Enhancement (AFE) blocks
(paper Sec. 3, Fig. 3):

.. code-block:: none

    stem      Conv 5x5 stride 4 (padding 2)                         -> (B, C1, H/4,  W/4)
    stage i   depth_i x FANetBlock(C_i)
    down i    Conv 3x3 stride 2 (padding 1) between stages          -> strides 4, 8, 16, 32

    FANetBlock(x):      y = x + DropPath(AFE(LN(x)));  out = y + DropPath(ConvMLP(LN(y)))
    AFE(x):             x = x + LN(GELU(DWConv_k(x)))                 CE: conv. embedding + skip
                        x = LN(GELU(Conv1x1_{C -> C/2}(x)))           channel squeeze
                        a = LN(GELU(GroupConv7x7_{g=4}(x)))           SCM (spatial context)
                        b = FRM(x)                                    FRM (Sec. 3.3, layers/frm.py)
                        out = GELU(Conv1x1_{C -> C}(concat[a, b]))    fusion projection
    ConvMLP(x):         h = GELU(Conv1x1_{C -> 4C}(x)); h = h + GELU(DWConv3x3(h)); out = Conv1x1(h)

All LayerNorms are channels-first with eps 1e-6; there is no layer scale. Sizes and the order
of operations follow the released code (``techmn/fanet``), which is also what its ImageNet
weights were trained with; the module names are the released ones, so those weights load
directly (see ``tools/model_converters/fanet2mmext.py`` for the classification head).

Where the paper and the released code differ (both choices are the released code's, because the
released ImageNet weights need them; the paper's text does not contradict them):

* CE depthwise kernel per stage is (5, 5, 3, 3); Fig. 3(b) draws 3x3. ``arch`` accepts any
  ``ce_kernel_sizes``, e.g. ``(3, 3, 3, 3)`` for the figure's version.
* The stem is a 5x5 stride-4 conv with padding 2 (overlapping); the paper's text calls the
  5x5/stride-4 stem "non-overlapping", which a 5x5 kernel with stride 4 cannot be.
* The released ``fanet_tiny`` class ignored every constructor argument (always the defaults
  below, drop path 0.1). Here every argument takes effect.

Table 2 ablation switches (``afe_cfg``): ``use_scm``, ``use_frm_high``, ``use_frm_low``.
The paper's baseline is "depthwise convolutional embeddings using a skip connection (CE) and
ConvMLP". With all three off the AFE token mixer is therefore just CE, ``x + LN(GELU(DWConv(x)))``
(no squeeze and no fusion projection: they only exist to feed and fuse SCM/FRM); set
``baseline_projections=True`` to keep the 1x1 squeeze (C -> C/2) and a 1x1 expansion (C/2 -> C)
in the baseline instead. With some branches on, the fusion projection takes ``C/2`` channels per
active branch (SCM, FRM) and the FRM projection ``C/2`` per active frequency branch.
"""
import copy
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmseg.registry import MODELS as MMSEG_MODELS

from ..layers.frm import FeatureRefinementModule

__all__ = ['FANet', 'AFE', 'ConvMLP', 'FANetBlock']


class ConvMLP(BaseModule):
    """ConvMLP of the AFE block: ``fc2(h + GELU(DWConv3x3(h)))`` with ``h = GELU(fc1(x))``.

    Shapes: ``(B, C, H, W)`` -> ``(B, C, H, W)``; hidden width ``mlp_ratio * C``.
    """

    def __init__(self, channels: int, mlp_ratio: int = 4, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        hidden = int(channels * mlp_ratio)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.pos = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.fc1(x))
        x = x + self.act(self.pos(x))
        return self.fc2(x)


class AFE(BaseModule):
    """Adaptive Feature Enhancement token mixer (Sec. 3.2, Fig. 3(b)): ``(B, C, H, W)`` -> same.

    Args:
        channels (int): ``C``; must be even (the squeeze halves it).
        ce_kernel_size (int): Depthwise kernel of the convolutional embedding (CE).
        use_scm (bool): Build the spatial context module (4-group 7x7 conv on ``C/2`` channels).
        use_frm_high (bool): FRM high-frequency branch ``R = F - Q``.
        use_frm_low (bool): FRM low-frequency branch ``S = F * Q``.
        baseline_projections (bool): Only used when SCM and FRM are both off (Table 2 row 1):
            keep the squeeze ``C -> C/2`` and a ``C/2 -> C`` projection around nothing instead of
            returning the CE output alone (the default, the paper's literal "CE + ConvMLP").
        scm_kernel_size (int): SCM kernel (paper: 7).
        scm_groups (int): SCM groups (released code: 4; the paper says "group-wise").
    """

    def __init__(self,
                 channels: int,
                 ce_kernel_size: int = 3,
                 use_scm: bool = True,
                 use_frm_high: bool = True,
                 use_frm_low: bool = True,
                 baseline_projections: bool = False,
                 scm_kernel_size: int = 7,
                 scm_groups: int = 4,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if channels % 2:
            raise ValueError(f'AFE needs an even channel count (it squeezes C to C/2), '
                             f'got {channels}')
        half = channels // 2
        if (use_scm and half % scm_groups):
            raise ValueError(f'AFE: the SCM splits C/2={half} channels into '
                             f'scm_groups={scm_groups} groups; choose channels divisible by '
                             '2 * scm_groups')
        self.use_scm = use_scm
        self.use_frm = use_frm_high or use_frm_low
        self.squeeze = use_scm or self.use_frm or baseline_projections
        self.act = nn.GELU()
        # CE: depthwise conv embedding with a skip connection
        self.dwconv = nn.Conv2d(channels, channels, ce_kernel_size, padding=ce_kernel_size // 2,
                                groups=channels)
        self.norm1 = LayerNorm2d(channels, eps=1e-6)
        if self.squeeze:
            self.proj1 = nn.Conv2d(channels, half, 1)
            self.norm2 = LayerNorm2d(half, eps=1e-6)
            num_branches = max(int(use_scm) + int(self.use_frm), 1)
            self.proj2 = nn.Conv2d(half * num_branches, channels, 1)
        if use_scm:
            self.ctx_conv = nn.Conv2d(half, half, scm_kernel_size, padding=scm_kernel_size // 2,
                                      groups=scm_groups)
            self.norm3 = LayerNorm2d(half, eps=1e-6)
        if self.use_frm:
            self.enhance = FeatureRefinementModule(half, half, down_kernel_size=3, down_stride=2,
                                                   use_high=use_frm_high, use_low=use_frm_low)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.norm1(self.act(self.dwconv(x)))  # CE
        if not self.squeeze:
            return x
        x = self.norm2(self.act(self.proj1(x)))  # squeeze C -> C/2
        branches = []
        if self.use_scm:
            branches.append(self.norm3(self.act(self.ctx_conv(x))))
        if self.use_frm:
            branches.append(self.enhance(x))
        x = torch.cat(branches, dim=1) if len(branches) > 1 else (branches[0] if branches else x)
        return self.act(self.proj2(x))


class FANetBlock(BaseModule):
    """Pre-norm block: ``y = x + DropPath(AFE(LN(x)))``, ``out = y + DropPath(ConvMLP(LN(y)))``.

    Module names (``layer_norm1``, ``attn``, ``layer_norm2``, ``mlp``) are the released ones.
    """

    def __init__(self,
                 channels: int,
                 ce_kernel_size: int = 3,
                 mlp_ratio: int = 4,
                 drop_path: float = 0.,
                 afe_cfg: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layer_norm1 = LayerNorm2d(channels, eps=1e-6)
        self.attn = AFE(channels, ce_kernel_size=ce_kernel_size, **(afe_cfg or {}))
        self.layer_norm2 = LayerNorm2d(channels, eps=1e-6)
        self.mlp = ConvMLP(channels, mlp_ratio)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.layer_norm1(x)))
        return x + self.drop_path(self.mlp(self.layer_norm2(x)))


@MMSEG_MODELS.register_module()
@MMPRETRAIN_MODELS.register_module()
class FANet(BaseModule):
    """FANet backbone for mmseg (dense features) and mmpretrain (classification).

    Args:
        arch (str | dict): ``'tiny'`` (alias ``'t'``; the paper's only model, 36.7 M parameters
            with a LayerNorm + Linear-1000 head) or a dict with ``embed_dims`` (4 ints),
            ``depths`` (4 ints) and optionally ``ce_kernel_sizes`` (4 ints, default 3s) and
            ``mlp_ratio`` (default 4).
        in_channels (int): Input image channels.
        stem_kernel_size (int): Stem conv kernel (5); its stride is 4 and padding ``k // 2``.
        drop_path_rate (float): Stochastic depth, linear from 0 to this over all blocks (0.1).
        out_indices (Sequence[int]): Stages whose outputs are returned, 0-3 (negative allowed).
        frozen_stages (int): Freeze (no grad, eval mode) the first ``frozen_stages`` stages and the
            conv in front of each (stem for stage 0). 0 freezes nothing.
        afe_cfg (dict, optional): Passed to every :class:`AFE`: ``use_scm``, ``use_frm_high``,
            ``use_frm_low``, ``baseline_projections``, ``scm_kernel_size``, ``scm_groups``.
        out_norm (bool): Add a channels-first LayerNorm ``norm{i}`` on each returned stage. The
            segmentation backbone has none (released code); the classifier uses one on stage 3.
        gap_before_final_norm (bool): Return ``norm{i}(GAP(x))`` as ``(B, C)`` vectors instead of
            maps (the classification head's "pool, LayerNorm, Linear"). Needs ``out_norm``.
        init_cfg (dict | list[dict], optional): Defaults to truncated normal (std 0.02, bias 0)
            for convs/linears and (1, 0) for LayerNorms, the released initialisation; use
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')`` for converted weights.

    Returns:
        tuple[Tensor]: for each out index, ``(B, C_i, H / 2^(i+2), W / 2^(i+2))`` (rounded up),
        or ``(B, C_i)`` with ``gap_before_final_norm``.
    """

    arch_zoo = {
        **dict.fromkeys(['t', 'tiny'], dict(
            embed_dims=[96, 192, 384, 768], depths=[2, 2, 8, 2], ce_kernel_sizes=[5, 5, 3, 3],
            mlp_ratio=4)),
    }

    def __init__(self,
                 arch: Union[str, Dict] = 'tiny',
                 in_channels: int = 3,
                 stem_kernel_size: int = 5,
                 drop_path_rate: float = 0.1,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = 0,
                 afe_cfg: Optional[dict] = None,
                 out_norm: bool = False,
                 gap_before_final_norm: bool = False,
                 init_cfg=(dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
                           dict(type='Constant', layer=['LayerNorm'], val=1., bias=0.))) -> None:
        super().__init__(init_cfg=copy.deepcopy(list(init_cfg)) if isinstance(init_cfg, tuple)
                         else init_cfg)
        arch = self._parse_arch(arch)
        self.embed_dims = list(arch['embed_dims'])
        self.depths = list(arch['depths'])
        self.ce_kernel_sizes = list(arch.get('ce_kernel_sizes', [3] * 4))
        self.mlp_ratio = arch.get('mlp_ratio', 4)
        self.num_stages = len(self.depths)

        if isinstance(out_indices, int):
            out_indices = [out_indices]
        out_indices = [i + self.num_stages if i < 0 else i for i in out_indices]
        for i in out_indices:
            if not 0 <= i < self.num_stages:
                raise ValueError(f'FANet: out_indices must be in [0, {self.num_stages}), got {i}')
        self.out_indices = out_indices
        if not 0 <= frozen_stages <= self.num_stages:
            raise ValueError(f'FANet: frozen_stages must be in [0, {self.num_stages}], '
                             f'got {frozen_stages}')
        self.frozen_stages = frozen_stages
        if gap_before_final_norm and not out_norm:
            raise ValueError('FANet: gap_before_final_norm=True needs out_norm=True')
        self.out_norm = out_norm
        self.gap_before_final_norm = gap_before_final_norm
        self.afe_cfg = dict(afe_cfg or {})

        # stem + 3 downsampling convs, named as in the released code
        self.downsample_layers = nn.ModuleList([
            nn.Conv2d(in_channels, self.embed_dims[0], stem_kernel_size, stride=4,
                      padding=stem_kernel_size // 2)
        ])
        for i in range(self.num_stages - 1):
            self.downsample_layers.append(
                nn.Conv2d(self.embed_dims[i], self.embed_dims[i + 1], 3, stride=2, padding=1))

        total = sum(self.depths)  # linear 0 -> drop_path_rate over all blocks
        dpr = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]
        self.stages = nn.ModuleList()
        cur = 0
        for i, depth in enumerate(self.depths):
            self.stages.append(nn.Sequential(*[
                FANetBlock(self.embed_dims[i], ce_kernel_size=self.ce_kernel_sizes[i],
                           mlp_ratio=self.mlp_ratio, drop_path=dpr[cur + j],
                           afe_cfg=self.afe_cfg) for j in range(depth)
            ]))
            cur += depth
        self.drop_path_rates = dpr

        if out_norm:
            for i in self.out_indices:
                self.add_module(f'norm{i}', LayerNorm2d(self.embed_dims[i], eps=1e-6))
        self._freeze_stages()

    @classmethod
    def _parse_arch(cls, arch) -> dict:
        if isinstance(arch, str):
            if arch.lower() not in cls.arch_zoo:
                raise KeyError(f'FANet: unknown arch {arch!r}; choose one of '
                               f'{sorted(cls.arch_zoo)} or pass a dict')
            return cls.arch_zoo[arch.lower()]
        if not isinstance(arch, dict):
            raise TypeError(f'FANet: arch must be a str or dict, got {type(arch).__name__}')
        missing = {'embed_dims', 'depths'} - set(arch)
        if missing:
            raise KeyError(f'FANet: a custom arch needs {sorted(missing)}; got keys {sorted(arch)}')
        unknown = set(arch) - {'embed_dims', 'depths', 'ce_kernel_sizes', 'mlp_ratio'}
        if unknown:
            raise KeyError(f'FANet: unknown arch keys {sorted(unknown)}')
        n = len(arch['depths'])
        for key in ('embed_dims', 'ce_kernel_sizes'):
            if key in arch and len(arch[key]) != n:
                raise ValueError(f'FANet: arch.{key} has {len(arch[key])} entries, depths has {n}')
        return arch

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages):
            for module in (self.downsample_layers[i], self.stages[i]):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        return self

    def forward(self, x: torch.Tensor) -> tuple:
        outs = []
        for i in range(self.num_stages):
            x = self.stages[i](self.downsample_layers[i](x))
            if i in self.out_indices:
                if not self.out_norm:
                    outs.append(x)
                elif self.gap_before_final_norm:
                    outs.append(getattr(self, f'norm{i}')(x.mean((2, 3), keepdim=True)).flatten(1))
                else:
                    outs.append(getattr(self, f'norm{i}')(x))
        return tuple(outs)
