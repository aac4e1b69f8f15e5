"""The Adaptive Feature Enhancement (AFE) block of FANet (Ali et al., ICIP 2024, Sec. 3.2,
Fig. 3(b)) as a reusable, plug-and-play layer (the paper calls it plug-and-play).

.. code-block:: none

    AFEBlock(x):  y = x + DropPath(AFE(LN(x)));  out = y + DropPath(ConvMLP(LN(y)))
    AFE(x):       x = x + LN(GELU(DWConv_k(x)))                 CE: conv. embedding + skip
                  x = LN(GELU(Conv1x1_{C -> C/2}(x)))           channel squeeze
                  a = LN(GELU(GroupConv7x7_{g=4}(x)))           SCM (spatial context)
                  b = FRM(x)                                    FRM (Sec. 3.3, layers/frm.py)
                  out = GELU(Conv1x1_{C -> C}(concat[a, b]))    fusion projection
    ConvMLP(x):   h = GELU(Conv1x1_{C -> 4C}(x)); h = h + GELU(DWConv3x3(h)); out = Conv1x1(h)

``AFEBlock`` maps ``(B, C, H, W)`` to ``(B, C, H, W)`` for any ``H, W``, so it can replace a
residual block in another network, e.g.
``dict(type='AFEBlock', channels=256, ce_kernel_size=3)`` (registered in the mmseg,
mmpretrain and mmdet registries). Module names (``layer_norm1``, ``attn``, ``layer_norm2``,
``mlp``) are those of the released FANet, so its weights load into FANet's blocks.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmseg.registry import MODELS as MMSEG_MODELS

from .frm import FeatureRefinementModule

__all__ = ['AFEBlock', 'AFE', 'ConvMLP']


def check_odd_kernel(name: str, k) -> int:
    """``k`` must be a positive odd int: with padding ``k // 2`` a stride-1 conv keeps the size
    (an even kernel adds one row and column)."""
    if not (isinstance(k, int) and k >= 1 and k % 2 == 1):
        raise ValueError(f'{name} must be a positive odd int (padding k // 2 keeps the map '
                         f'size only for odd kernels), got {k!r}')
    return k


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
        frm_plain (bool): FRM as drawn in Fig. 4 (no GELU / LayerNorm around its depthwise convs
            and projection); see :class:`FeatureRefinementModule` ``plain``.
        frm_high_freq (str): ``'F-Q'`` (released code, default) or ``'Q-F'`` (Fig. 4 caption).
        frm_down_kernel_size (int): FRM smoothing conv kernel (released AFE: 3; odd).
        frm_down_stride (int): Its stride (released AFE: 2, ``P`` at ``H/2`` as Sec. 3.3).
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
                 frm_plain: bool = False,
                 frm_high_freq: str = 'F-Q',
                 frm_down_kernel_size: int = 3,
                 frm_down_stride: int = 2,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        check_odd_kernel('AFE: ce_kernel_size', ce_kernel_size)
        check_odd_kernel('AFE: scm_kernel_size', scm_kernel_size)
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
            self.enhance = FeatureRefinementModule(
                half, half, down_kernel_size=frm_down_kernel_size, down_stride=frm_down_stride,
                use_high=use_frm_high, use_low=use_frm_low, plain=frm_plain,
                high_freq=frm_high_freq)

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


@MMSEG_MODELS.register_module()
@MMPRETRAIN_MODELS.register_module()
@MMDET_MODELS.register_module()
class AFEBlock(BaseModule):
    """Pre-norm block: ``y = x + DropPath(AFE(LN(x)))``, ``out = y + DropPath(ConvMLP(LN(y)))``.

    Shapes: ``(B, C, H, W)`` -> ``(B, C, H, W)``. Module names (``layer_norm1``, ``attn``,
    ``layer_norm2``, ``mlp``) are the released ones.

    Args:
        channels (int): ``C`` (even; with the SCM divisible by ``2 * scm_groups``).
        ce_kernel_size (int): CE depthwise kernel (odd).
        mlp_ratio (int): ConvMLP hidden width ``mlp_ratio * C``.
        drop_path (float): Stochastic depth on both residual branches.
        afe_cfg (dict, optional): Passed to :class:`AFE` (SCM/FRM switches, FRM options).
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
