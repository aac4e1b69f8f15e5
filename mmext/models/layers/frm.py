"""Feature Refinement Module (FRM) of FANet (Ali et al., ICIP 2024, Sec. 3.3 and Fig. 4).

FRM splits a feature map into a high-frequency and a low-frequency view and mixes them:

.. code-block:: none

    P = DWConv_{k x k, stride s}(F)                 (C, ceil(H/s), ceil(W/s))   smoothed
    Q = BilinearUp(P) to (H, W)                     (C, H, W)                   blurred copy of F
    R = F - Q                                       high frequencies (the "sharpening" of Eq. 1)
    S = F * Q                                       low frequencies / blobs (the Hadamard
                                                    "contrast enhancement" of Eq. 2)
    T = concat[LN(DWConv3x3(GELU(S))), LN(DWConv3x3(GELU(R)))]
    F_bar = GELU(Conv1x1(T))                        (C_out, H, W)

The GELU before each depthwise conv, the LayerNorm after it and the GELU after the projection are
not drawn in the paper's Fig. 4; they are in the released code (``techmn/fanet``,
``fa_modules.py``) and in its ImageNet weights, so they are the default. The concatenation order
(low, then high) and the sign ``R = F - Q`` are the released code's (and the text's, Sec. 3.3:
"the difference between F and Q"). Paper-literal switches:

* ``plain=True``: Fig. 4 as drawn, ``T = concat[DWConv3x3(S), DWConv3x3(R)]``,
  ``F_bar = Conv1x1(T)`` (no GELU, no LayerNorm; no ``norm1``/``norm2`` parameters).
* ``high_freq='Q-F'``: the sign of Fig. 4's caption ("F are subtracted from Q"), ``R = Q - F``.
* ``down_kernel_size`` / ``down_stride``: the smoothing conv. The paper only says a depthwise
  conv gives ``P`` at ``H/2 x W/2``; the released AFE uses 3x3 stride 2 (the released module's
  own, unused default is 5x5 stride 4, ``P`` at ``H/4``). The kernel must be odd (padding
  ``k // 2`` keeps ``P`` at ``ceil(H / s)``).
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d

__all__ = ['FeatureRefinementModule']


class FeatureRefinementModule(BaseModule):
    """FRM: high/low-frequency refinement of a ``(B, C, H, W)`` feature map (FANet, Sec. 3.3).

    Args:
        in_channels (int): Channels ``C`` of the input ``F``.
        out_channels (int, optional): Channels of the output ``F_bar``. Defaults to ``in_channels``.
        down_kernel_size (int): Kernel of the depthwise smoothing/downsampling conv that gives
            ``P``. FANet's AFE uses 3 (the released module's own default, 5, is never used).
        down_stride (int): Its stride; 2 gives ``P`` at ``H/2 x W/2`` as in the paper.
        use_high (bool): Keep the high-frequency branch ``R = F - Q`` (Table 2, "High Frequency
            Context").
        use_low (bool): Keep the low-frequency branch ``S = F * Q`` (Table 2, "Low Frequency
            Context"). With one branch off, its depthwise conv and LayerNorm are not built and
            the projection takes ``C`` instead of ``2C`` input channels.
        plain (bool): Fig. 4 as drawn: no GELU before and no LayerNorm after the depthwise convs,
            no GELU after the projection. Default False (the released code).
        high_freq (str): ``'F-Q'`` (released code and Sec. 3.3's text, default) or ``'Q-F'``
            (Fig. 4's caption) for the high-frequency map ``R``.
        init_cfg (dict or list[dict], optional): mmengine initialisation config.

    Shapes:
        input ``(B, C, H, W)`` -> output ``(B, out_channels, H, W)``; any ``H, W`` (odd sizes
        are fine: ``Q`` is resized back to exactly ``(H, W)``).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 down_kernel_size: int = 3,
                 down_stride: int = 2,
                 use_high: bool = True,
                 use_low: bool = True,
                 plain: bool = False,
                 high_freq: str = 'F-Q',
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not (isinstance(down_kernel_size, int) and down_kernel_size >= 1
                and down_kernel_size % 2 == 1):
            raise ValueError(f'FeatureRefinementModule: down_kernel_size must be a positive odd '
                             f'int (padding k // 2 keeps P at ceil(H / stride)), got '
                             f'{down_kernel_size!r}')
        if not (isinstance(down_stride, int) and down_stride >= 1):
            raise ValueError(f'FeatureRefinementModule: down_stride must be a positive int, '
                             f'got {down_stride!r}')
        if high_freq not in ('F-Q', 'Q-F'):
            raise ValueError(f"FeatureRefinementModule: high_freq must be 'F-Q' (released code) "
                             f"or 'Q-F' (Fig. 4 caption), got {high_freq!r}")
        if not (use_high or use_low):
            raise ValueError('FeatureRefinementModule needs at least one of use_high / use_low; '
                             'to drop the FRM altogether switch it off in the AFE block '
                             '(afe_cfg=dict(use_frm_high=False, use_frm_low=False)).')
        out_channels = out_channels or in_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.use_high = use_high
        self.use_low = use_low
        self.plain = plain
        self.high_freq = high_freq
        self.act = nn.GELU()
        # P: depthwise smoothing + downsampling
        self.down = nn.Conv2d(in_channels, in_channels, down_kernel_size, down_stride,
                              padding=down_kernel_size // 2, groups=in_channels)
        if use_low:  # S branch
            self.lconv = nn.Conv2d(in_channels, in_channels, 3, 1, 1, groups=in_channels)
            if not plain:
                self.norm1 = LayerNorm2d(in_channels, eps=1e-6)
        if use_high:  # R branch
            self.hconv = nn.Conv2d(in_channels, in_channels, 3, 1, 1, groups=in_channels)
            if not plain:
                self.norm2 = LayerNorm2d(in_channels, eps=1e-6)
        self.proj = nn.Conv2d(in_channels * (int(use_low) + int(use_high)), out_channels, 1)

    def decompose(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The FRM's intermediate maps for ``F = x``: ``P``, ``Q``, ``R = F - Q`` (or ``Q - F``
        with ``high_freq='Q-F'``), ``S = F * Q``.

        All maps are ``(B, C, H, W)`` except ``P``, which is ``(B, C, ceil(H/s), ceil(W/s))``.
        """
        p = self.down(x)
        q = F.interpolate(p, size=x.shape[-2:], mode='bilinear', align_corners=False)
        r = x - q if self.high_freq == 'F-Q' else q - x
        return dict(P=p, Q=q, R=r, S=x * q)

    def forward_with_intermediates(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Run the FRM; return ``dict(F, P, Q, R, S, T, out)`` (Fig. 6 shows F, R, S and out)."""
        maps = dict(F=x, **self.decompose(x))
        parts = []
        if self.plain:  # Fig. 4 as drawn
            if self.use_low:
                parts.append(self.lconv(maps['S']))
            if self.use_high:
                parts.append(self.hconv(maps['R']))
        else:  # released code
            if self.use_low:
                parts.append(self.norm1(self.lconv(self.act(maps['S']))))
            if self.use_high:
                parts.append(self.norm2(self.hconv(self.act(maps['R']))))
        maps['T'] = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
        out = self.proj(maps['T'])
        maps['out'] = out if self.plain else self.act(out)
        return maps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, out_channels, H, W)``."""
        return self.forward_with_intermediates(x)['out']
