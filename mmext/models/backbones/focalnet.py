"""FocalNet: Focal Modulation Networks (Yang, Li, Dai, Gao; NeurIPS 2022).

FANet's paper compares against FocalNet-T/B (Tables 1, 3 and 4); neither mmseg 1.2.2 nor mmpretrain
1.2.0 ships it, so it is here, registered in both toolboxes.

.. code-block:: none

    patch_embed   Conv p x p stride p (p = 4) + LayerNorm                  -> (B, C, H/4, W/4)
    stage i       depth_i x FocalNetBlock(C_i), then (i < 3) downsample: Conv 2x2 stride 2 + LN
    FocalNetBlock(x): y = x + DropPath(g1 * FM(LN(x)));  out = y + DropPath(g2 * MLP(LN(y)))
    FocalModulation (FM, paper Eq. 5-7), on channels-last (B, H, W, C):
        [q, z^0, g] = Linear_{C -> 2C + L + 1}(x)
        z^l = GELU(DWConv_{k_l}(z^{l-1})),  k_l = focal_window + 2 (l - 1),   l = 1..L
        z^{L+1} = GELU(GlobalAvgPool(z^L))
        m = Conv1x1( sum_{l=1}^{L+1} g_l * z^l )                            modulator
        out = Linear(q * m)

Sizes (``arch``): ``'tiny'`` = C 96, depths (2, 2, 6, 2); ``'base'`` = C 128, depths (2, 2, 18, 2);
both with the large receptive field setting (LRF: 3 focal levels, focal window 3), the variants
whose sizes the FANet paper quotes (28.6 M and 88.7 M parameters as ImageNet classifiers).
``'tiny-srf'``/``'base-srf'`` are the 2-level versions. Module names follow the official
implementation (``microsoft/FocalNet``): ``patch_embed``, ``layers.{i}.blocks.{j}``,
``layers.{i}.downsample`` and per-output ``norm{i}``; the classification checkpoints' final
``norm`` corresponds to ``norm3``. Focal kernels loaded from a checkpoint trained with another
``focal_windows`` are zero-padded or centre-cropped, as the official segmentation code does.
"""
import copy
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmseg.registry import MODELS as MMSEG_MODELS

__all__ = ['FocalNet', 'FocalModulation', 'FocalNetBlock']


class FocalModulation(BaseModule):
    """Focal modulation (FocalNet Sec. 3.2, Eq. 5-7): ``(B, H, W, C)`` -> ``(B, H, W, C)``.

    Args:
        channels (int): ``C``.
        focal_level (int): Number of depthwise context levels ``L``.
        focal_window (int): Kernel of the first level; level ``l`` uses
            ``focal_window + focal_factor * l`` (l from 0).
        focal_factor (int): Kernel growth per level (2).
        proj_drop (float): Dropout after the output projection.
        use_postln_in_modulation (bool): LayerNorm on ``q * m`` before the projection.
        normalize_modulator (bool): Divide the aggregated context by ``L + 1``.
    """

    def __init__(self,
                 channels: int,
                 focal_level: int = 3,
                 focal_window: int = 3,
                 focal_factor: int = 2,
                 proj_drop: float = 0.,
                 use_postln_in_modulation: bool = False,
                 normalize_modulator: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.channels = channels
        self.focal_level = focal_level
        self.normalize_modulator = normalize_modulator
        self.f = nn.Linear(channels, 2 * channels + focal_level + 1)
        self.h = nn.Conv2d(channels, channels, 1)
        self.act = nn.GELU()
        self.proj = nn.Linear(channels, channels)
        self.proj_drop = nn.Dropout(proj_drop)
        self.kernel_sizes = [focal_window + focal_factor * k for k in range(focal_level)]
        self.focal_layers = nn.ModuleList([
            nn.Sequential(
                nn.Conv2d(channels, channels, k, padding=k // 2, groups=channels, bias=False),
                nn.GELU()) for k in self.kernel_sizes
        ])
        self.ln = nn.LayerNorm(channels) if use_postln_in_modulation else None

    def modulator(self, x: torch.Tensor):
        """Return ``(q, m)``, both ``(B, C, H, W)``, for channels-last input ``x``."""
        c = x.shape[-1]
        x = self.f(x).permute(0, 3, 1, 2)
        q, ctx, gates = torch.split(x, (c, c, self.focal_level + 1), dim=1)
        ctx_all = 0
        for level, layer in enumerate(self.focal_layers):
            ctx = layer(ctx)
            ctx_all = ctx_all + ctx * gates[:, level:level + 1]
        ctx_global = self.act(ctx.mean((2, 3), keepdim=True))
        ctx_all = ctx_all + ctx_global * gates[:, self.focal_level:]
        if self.normalize_modulator:
            ctx_all = ctx_all / (self.focal_level + 1)
        return q, self.h(ctx_all)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, m = self.modulator(x)
        out = (q * m).permute(0, 2, 3, 1)
        if self.ln is not None:
            out = self.ln(out)
        return self.proj_drop(self.proj(out))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # focal kernels trained with another focal_window: zero-pad / centre-crop to our size
        for level, k in enumerate(self.kernel_sizes):
            key = f'{prefix}focal_layers.{level}.0.weight'
            w = state_dict.get(key)
            if w is None or w.dim() != 4 or w.shape[-1] == k or w.shape[-1] % 2 != k % 2:
                continue
            d = (k - w.shape[-1]) // 2
            state_dict[key] = F.pad(w, (d, d, d, d)) if d > 0 else w[..., -d:d, -d:d].clone()
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class FocalNetBlock(BaseModule):
    """Pre-norm block on channels-last maps: focal modulation then MLP, each with a residual.

    ``use_layerscale`` multiplies each branch by a learnable per-channel ``gamma`` (init
    ``layerscale_value``); ``use_postln`` applies the LayerNorms after the branches instead.
    """

    def __init__(self,
                 channels: int,
                 mlp_ratio: float = 4.,
                 drop_rate: float = 0.,
                 drop_path: float = 0.,
                 focal_level: int = 3,
                 focal_window: int = 3,
                 use_layerscale: bool = False,
                 layerscale_value: float = 1e-4,
                 use_postln: bool = False,
                 use_postln_in_modulation: bool = False,
                 normalize_modulator: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.use_postln = use_postln
        self.norm1 = nn.LayerNorm(channels)
        self.modulation = FocalModulation(
            channels, focal_level, focal_window, proj_drop=drop_rate,
            use_postln_in_modulation=use_postln_in_modulation,
            normalize_modulator=normalize_modulator)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(channels)
        hidden = int(channels * mlp_ratio)
        self.mlp = nn.Sequential()
        self.mlp.add_module('fc1', nn.Linear(channels, hidden))
        self.mlp.add_module('act', nn.GELU())
        self.mlp.add_module('drop1', nn.Dropout(drop_rate))
        self.mlp.add_module('fc2', nn.Linear(hidden, channels))
        self.mlp.add_module('drop2', nn.Dropout(drop_rate))
        if use_layerscale:
            self.gamma_1 = nn.Parameter(layerscale_value * torch.ones(channels))
            self.gamma_2 = nn.Parameter(layerscale_value * torch.ones(channels))
        else:
            self.gamma_1 = self.gamma_2 = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, H, W, C)`` -> ``(B, H, W, C)``."""
        if self.use_postln:
            x = x + self.drop_path(self.gamma_1 * self.norm1(self.modulation(x)))
            return x + self.drop_path(self.gamma_2 * self.norm2(self.mlp(x)))
        x = x + self.drop_path(self.gamma_1 * self.modulation(self.norm1(x)))
        return x + self.drop_path(self.gamma_2 * self.mlp(self.norm2(x)))


class PatchEmbed(BaseModule):
    """Non-overlapping ``p x p`` stride-``p`` conv (input zero-padded to a multiple of ``p``) + LN.

    ``(B, C_in, H, W)`` -> ``(B, ceil(H/p), ceil(W/p), C_out)`` (channels-last).
    """

    def __init__(self, in_channels: int, out_channels: int, patch_size: int,
                 norm: bool = True, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, out_channels, patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(out_channels) if norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.patch_size
        pad_h, pad_w = -x.shape[-2] % p, -x.shape[-1] % p
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        x = self.proj(x).permute(0, 2, 3, 1)
        return self.norm(x) if self.norm is not None else x


class FocalNetStage(BaseModule):
    """``blocks``, then an optional ``downsample`` (PatchEmbed 2x2): the official ``layers.{i}``."""

    def __init__(self, blocks: nn.ModuleList, downsample: Optional[nn.Module]) -> None:
        super().__init__()
        self.blocks = blocks
        self.downsample = downsample


@MMSEG_MODELS.register_module()
@MMPRETRAIN_MODELS.register_module()
class FocalNet(BaseModule):
    """FocalNet backbone for mmseg and mmpretrain.

    Args:
        arch (str | dict): ``'tiny'``/``'t'``, ``'base'``/``'b'`` (LRF), ``'tiny-srf'``,
            ``'base-srf'``, or a dict with ``embed_dims`` (int, doubled per stage), ``depths``,
            ``focal_levels`` and ``focal_windows`` (one int per stage).
        in_channels (int): Input channels.
        patch_size (int): Stem patch size (4).
        mlp_ratio (float): MLP hidden ratio (4).
        drop_rate (float): Dropout in the MLP and after the modulation projection.
        drop_path_rate (float): Stochastic depth, linear from 0 over all blocks (official
            ImageNet: 0.2 tiny, 0.5 base; segmentation: 0.3).
        focal_windows (Sequence[int], optional): Override the arch's first focal kernel per stage
            (the official segmentation configs use 9).
        out_indices (Sequence[int]): Stages returned (0-3).
        frozen_stages (int): Freeze the stem and the first ``frozen_stages`` stages (with the
            downsampling into each); 0 freezes nothing.
        out_norm (bool): LayerNorm ``norm{i}`` on each returned stage (official: yes).
        gap_before_final_norm (bool): Return ``norm{i}(GAP(x))`` vectors ``(B, C_i)``. The
            official classifier normalises before pooling, i.e. ``out_norm=True`` with this False
            and a ``GlobalAveragePooling`` neck.
        use_layerscale, layerscale_value, use_postln, use_postln_in_modulation,
        normalize_modulator: The official options for the large/isotropic models (off for T/B).
        init_cfg: Defaults to truncated normal (std 0.02) for linears, (1, 0) for LayerNorms.

    Returns:
        tuple[Tensor]: ``(B, C * 2^i, ceil(H / 2^(i+2)), ceil(W / 2^(i+2)))`` per out index.
    """

    arch_zoo = {
        **dict.fromkeys(['t', 'tiny'], dict(
            embed_dims=96, depths=[2, 2, 6, 2], focal_levels=[3] * 4, focal_windows=[3] * 4)),
        **dict.fromkeys(['b', 'base'], dict(
            embed_dims=128, depths=[2, 2, 18, 2], focal_levels=[3] * 4, focal_windows=[3] * 4)),
        'tiny-srf': dict(embed_dims=96, depths=[2, 2, 6, 2], focal_levels=[2] * 4,
                         focal_windows=[3] * 4),
        'base-srf': dict(embed_dims=128, depths=[2, 2, 18, 2], focal_levels=[2] * 4,
                         focal_windows=[3] * 4),
    }

    def __init__(self,
                 arch: Union[str, Dict] = 'tiny',
                 in_channels: int = 3,
                 patch_size: int = 4,
                 mlp_ratio: float = 4.,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.2,
                 focal_windows: Optional[Sequence[int]] = None,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = 0,
                 out_norm: bool = True,
                 gap_before_final_norm: bool = False,
                 use_layerscale: bool = False,
                 layerscale_value: float = 1e-4,
                 use_postln: bool = False,
                 use_postln_in_modulation: bool = False,
                 normalize_modulator: bool = False,
                 init_cfg=(dict(type='TruncNormal', layer=['Linear'], std=.02, bias=0.),
                           dict(type='Constant', layer=['LayerNorm'], val=1., bias=0.))) -> None:
        super().__init__(init_cfg=copy.deepcopy(list(init_cfg)) if isinstance(init_cfg, tuple)
                         else init_cfg)
        if isinstance(arch, str):
            if arch.lower() not in self.arch_zoo:
                raise KeyError(f'FocalNet: unknown arch {arch!r}; choose one of '
                               f'{sorted(self.arch_zoo)} or pass a dict')
            arch = self.arch_zoo[arch.lower()]
        else:
            missing = {'embed_dims', 'depths', 'focal_levels', 'focal_windows'} - set(arch)
            if missing:
                raise KeyError(f'FocalNet: a custom arch needs {sorted(missing)}')
        self.depths = list(arch['depths'])
        self.num_stages = len(self.depths)
        self.embed_dims = [arch['embed_dims'] * 2**i for i in range(self.num_stages)]
        self.focal_levels = list(arch['focal_levels'])
        self.focal_windows = list(focal_windows if focal_windows is not None
                                  else arch['focal_windows'])
        if len(self.focal_windows) != self.num_stages:
            raise ValueError(f'FocalNet: focal_windows needs {self.num_stages} entries, '
                             f'got {self.focal_windows}')
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        self.out_indices = [i + self.num_stages if i < 0 else i for i in out_indices]
        for i in self.out_indices:
            if not 0 <= i < self.num_stages:
                raise ValueError(f'FocalNet: out_indices must be in [0, {self.num_stages}), '
                                 f'got {i}')
        if not 0 <= frozen_stages <= self.num_stages:
            raise ValueError(f'FocalNet: frozen_stages must be in [0, {self.num_stages}]')
        if gap_before_final_norm and not out_norm:
            raise ValueError('FocalNet: gap_before_final_norm=True needs out_norm=True')
        self.frozen_stages = frozen_stages
        self.out_norm = out_norm
        self.gap_before_final_norm = gap_before_final_norm

        self.patch_embed = PatchEmbed(in_channels, self.embed_dims[0], patch_size)
        self.pos_drop = nn.Dropout(drop_rate)
        total = sum(self.depths)  # linear 0 -> drop_path_rate over all blocks
        dpr = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]
        self.drop_path_rates = dpr
        self.layers = nn.ModuleList()
        cur = 0
        for i, depth in enumerate(self.depths):
            blocks = nn.ModuleList([
                FocalNetBlock(self.embed_dims[i], mlp_ratio, drop_rate, dpr[cur + j],
                              self.focal_levels[i], self.focal_windows[i], use_layerscale,
                              layerscale_value, use_postln, use_postln_in_modulation,
                              normalize_modulator) for j in range(depth)
            ])
            down = PatchEmbed(self.embed_dims[i], self.embed_dims[i + 1], 2) \
                if i < self.num_stages - 1 else None
            self.layers.append(FocalNetStage(blocks, down))
            cur += depth
        if out_norm:
            for i in self.out_indices:
                self.add_module(f'norm{i}', nn.LayerNorm(self.embed_dims[i]))
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        frozen = [self.patch_embed] if self.frozen_stages > 0 else []
        for i in range(self.frozen_stages):
            frozen.append(self.layers[i].blocks)
            if i > 0:
                frozen.append(self.layers[i - 1].downsample)
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        return self

    def forward(self, x: torch.Tensor) -> tuple:
        x = self.pos_drop(self.patch_embed(x))  # (B, H, W, C)
        outs = []
        for i, layer in enumerate(self.layers):
            for block in layer.blocks:
                x = block(x)
            if i in self.out_indices:
                if self.gap_before_final_norm:
                    outs.append(getattr(self, f'norm{i}')(x.mean((1, 2))))
                else:
                    out = getattr(self, f'norm{i}')(x) if self.out_norm else x
                    outs.append(out.permute(0, 3, 1, 2).contiguous())
            if layer.downsample is not None:
                x = layer.downsample(x.permute(0, 3, 1, 2))
        return tuple(outs)
