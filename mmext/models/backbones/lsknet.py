"""LSKNet: Large Selective Kernel Network (Li et al., ICCV 2023, arXiv:2303.09030).

A four-stage hierarchical convolutional backbone (strides 4, 8, 16, 32). Each stage is an
overlapping patch embedding (strided conv + norm) followed by ``depth`` LSK blocks and a
LayerNorm over channels. An LSK block is a VAN-style block

    x = x + DropPath(γ₁ · Attention(BN(x)))        Attention = proj₂ ∘ LSK ∘ GELU ∘ proj₁ (+ x)
    x = x + DropPath(γ₂ · Mlp(BN(x)))               Mlp = fc₂ ∘ GELU ∘ DWConv3x3 ∘ fc₁

whose spatial mixer, the *LSK module* (paper Sec. 3.2, Eqs. 1-6), decomposes a large kernel into
two depth-wise convolutions (5×5, then 7×7 with dilation 3: receptive field 23), reduces each
branch to C/2 channels with a 1×1 conv, pools the concatenated branches over channels (average
and max, Eq. 4), turns the two pooled maps into two spatial selection masks with a 7×7 conv and a
sigmoid (Eq. 5), mixes the branches with the masks and projects back to C channels; the result
gates the input element-wise (Eq. 6).

Sizes (``arch``), as published and as in the official configs:

====  =====================  ============  ===========  =========================
arch  embed dims             depths        mlp ratios   params (backbone, paper)
====  =====================  ============  ===========  =========================
t     32, 64, 160, 256       3, 3, 5, 2    8, 8, 4, 4   4.3 M
s     64, 128, 320, 512      2, 2, 4, 2    8, 8, 4, 4   14.4 M
====  =====================  ============  ===========  =========================

The paper's parameter counts (4.3 M / 14.4 M) are those of the ImageNet models; without the
1000-way classifier the backbones have 3.99 M / 13.84 M parameters.

Module and parameter names follow the official implementation (``patch_embed{i}``,
``block{i}``, ``norm{i}``) so its ImageNet checkpoints load with ``init_cfg=dict(
type='Pretrained', checkpoint=...)``; mmrotate's LSKNet project publishes them as
``https://download.openmmlab.com/mmrotate/v1.0/lsknet/backbones/lsk_t_backbone-2ef8a593.pth``
and ``.../lsk_s_backbone-e9d2e551.pth``. The official configs use ``drop_rate=0.1``,
``drop_path_rate=0.1`` and (Sync)BN in the blocks.
"""
import math
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, normal_init, trunc_normal_init
from torch.nn.modules.batchnorm import _BatchNorm


class DWConv(nn.Module):
    """Depth-wise 3×3 convolution with bias (``[B, C, H, W] -> [B, C, H, W]``)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 3, 1, 1, bias=True, groups=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dwconv(x)


class Mlp(nn.Module):
    """Convolutional feed-forward: 1×1 conv → DWConv 3×3 → GELU → dropout → 1×1 conv → dropout."""

    def __init__(self, in_features: int, hidden_features: int, drop: float = 0.):
        super().__init__()
        self.fc1 = nn.Conv2d(in_features, hidden_features, 1)
        self.dwconv = DWConv(hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden_features, in_features, 1)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.act(self.dwconv(self.fc1(x))))
        return self.drop(self.fc2(x))


class LSKModule(nn.Module):
    """The large selective kernel module (paper Eqs. 1-6). ``[B, C, H, W] -> [B, C, H, W]``.

    Args:
        dim: channels C.
        kernel_sizes: the two depth-wise kernels of the decomposition, ((k, dilation), ...);
            the published LSKNet uses (5, 1) then (7, 3).
    """

    def __init__(self, dim: int, kernel_sizes=((5, 1), (7, 3))):
        super().__init__()
        (k0, d0), (k1, d1) = kernel_sizes
        self.conv0 = nn.Conv2d(dim, dim, k0, padding=d0 * (k0 - 1) // 2, groups=dim, dilation=d0)
        self.conv_spatial = nn.Conv2d(dim, dim, k1, padding=d1 * (k1 - 1) // 2, groups=dim,
                                      dilation=d1)
        self.conv1 = nn.Conv2d(dim, dim // 2, 1)
        self.conv2 = nn.Conv2d(dim, dim // 2, 1)
        self.conv_squeeze = nn.Conv2d(2, 2, 7, padding=3)
        self.conv = nn.Conv2d(dim // 2, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat1 = self.conv0(x)  # Eq. 1: U1, small receptive field
        feat2 = self.conv_spatial(feat1)  # U2, large receptive field (23 px)
        feat1, feat2 = self.conv1(feat1), self.conv2(feat2)  # Eq. 2: channel reduction
        feats = torch.cat([feat1, feat2], dim=1)  # Eq. 3
        pooled = torch.cat([feats.mean(dim=1, keepdim=True),
                            feats.amax(dim=1, keepdim=True)], dim=1)  # Eq. 4
        masks = self.conv_squeeze(pooled).sigmoid()  # Eq. 5: spatial selection masks
        selected = feat1 * masks[:, 0:1] + feat2 * masks[:, 1:2]
        return x * self.conv(selected)  # Eq. 6


class Attention(nn.Module):
    """proj₁ → GELU → LSK module → proj₂, plus a residual connection."""

    def __init__(self, dim: int):
        super().__init__()
        self.proj_1 = nn.Conv2d(dim, dim, 1)
        self.activation = nn.GELU()
        self.spatial_gating_unit = LSKModule(dim)
        self.proj_2 = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj_2(self.spatial_gating_unit(self.activation(self.proj_1(x)))) + x


class Block(nn.Module):
    """An LSK block: attention and MLP sub-blocks with norm, layer scale (1e-2) and drop path."""

    def __init__(self, dim: int, mlp_ratio: float = 4., drop: float = 0., drop_path: float = 0.,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN', requires_grad=True)
        self.norm1 = build_norm_layer(norm_cfg, dim)[1]
        self.attn = Attention(dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = build_norm_layer(norm_cfg, dim)[1]
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)
        self.layer_scale_1 = nn.Parameter(1e-2 * torch.ones(dim))
        self.layer_scale_2 = nn.Parameter(1e-2 * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.layer_scale_1[:, None, None] * self.attn(self.norm1(x)))
        return x + self.drop_path(self.layer_scale_2[:, None, None] * self.mlp(self.norm2(x)))


class OverlapPatchEmbed(nn.Module):
    """Strided conv (kernel 7 stride 4 for stage 1, else 3 / 2) followed by a norm layer."""

    def __init__(self, patch_size: int, stride: int, in_chans: int, embed_dim: int,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN', requires_grad=True)
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, stride=stride,
                              padding=patch_size // 2)
        self.norm = build_norm_layer(norm_cfg, embed_dim)[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x))


class LSKNet(BaseModule):
    """LSKNet backbone. Input ``[B, in_chans, H, W]``; output a tuple of the stage features in
    ``out_indices``, stage ``i`` being ``[B, embed_dims[i], H / 2^(i+2), W / 2^(i+2)]``.

    Args:
        arch: ``'t'``, ``'s'`` or a dict with ``embed_dims``, ``depths`` and ``mlp_ratios``.
        in_chans: input channels.
        drop_rate: dropout in the MLPs.
        drop_path_rate: stochastic depth, increased linearly over all blocks from 0.
        out_indices: stages whose features are returned.
        frozen_stages: stages ``0..frozen_stages`` (patch embedding, blocks and norm) are frozen
            (no gradient, norm layers in eval mode); -1 freezes nothing.
        norm_cfg: norm of the patch embeddings and blocks (official: BN / SyncBN).
        norm_eval: keep every BN layer in eval mode during training.
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint='lsk_t_backbone.pth.tar')``; without
            one, the official initialisation (conv ``N(0, √(2/fan_out))``, LayerNorm 1/0).
    """

    arch_settings: Dict[str, dict] = {
        't': dict(embed_dims=[32, 64, 160, 256], depths=[3, 3, 5, 2], mlp_ratios=[8, 8, 4, 4]),
        's': dict(embed_dims=[64, 128, 320, 512], depths=[2, 2, 4, 2], mlp_ratios=[8, 8, 4, 4]),
    }

    def __init__(self,
                 arch: Union[str, dict] = 't',
                 in_chans: int = 3,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.1,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_cfg: Optional[dict] = None,
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch.lower() not in self.arch_settings:
                raise KeyError(f'LSKNet: unknown arch {arch!r}, expected one of '
                               f'{sorted(self.arch_settings)} or a dict')
            arch = self.arch_settings[arch.lower()]
        missing = {'embed_dims', 'depths', 'mlp_ratios'} - set(arch)
        if missing:
            raise KeyError(f'LSKNet: arch dict is missing {sorted(missing)}')
        self.embed_dims = list(arch['embed_dims'])
        self.depths = list(arch['depths'])
        self.mlp_ratios = list(arch['mlp_ratios'])
        self.num_stages = len(self.embed_dims)
        if not (len(self.depths) == len(self.mlp_ratios) == self.num_stages):
            raise ValueError('LSKNet: embed_dims, depths and mlp_ratios must have equal lengths')
        out_indices = tuple(out_indices)
        for i in out_indices:
            if not 0 <= i < self.num_stages:
                raise ValueError(f'LSKNet: out_indices {out_indices} out of range '
                                 f'[0, {self.num_stages})')
        if not -1 <= frozen_stages < self.num_stages:
            raise ValueError(f'LSKNet: frozen_stages must be in [-1, {self.num_stages}), '
                             f'got {frozen_stages}')
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        dpr = torch.linspace(0, drop_path_rate, sum(self.depths)).tolist()
        cur = 0
        for i in range(self.num_stages):
            patch_embed = OverlapPatchEmbed(
                patch_size=7 if i == 0 else 3,
                stride=4 if i == 0 else 2,
                in_chans=in_chans if i == 0 else self.embed_dims[i - 1],
                embed_dim=self.embed_dims[i],
                norm_cfg=norm_cfg)
            blocks = nn.ModuleList([
                Block(self.embed_dims[i], self.mlp_ratios[i], drop=drop_rate,
                      drop_path=dpr[cur + j], norm_cfg=norm_cfg) for j in range(self.depths[i])
            ])
            cur += self.depths[i]
            setattr(self, f'patch_embed{i + 1}', patch_embed)
            setattr(self, f'block{i + 1}', blocks)
            setattr(self, f'norm{i + 1}', nn.LayerNorm(self.embed_dims[i], eps=1e-6))
        self._freeze_stages()

    def init_weights(self) -> None:
        if self.init_cfg is not None:
            super().init_weights()
            return
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_init(m, std=.02, bias=0.)
            elif isinstance(m, nn.LayerNorm):
                constant_init(m, val=1.0, bias=0.)
            elif isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
                normal_init(m, mean=0, std=math.sqrt(2.0 / fan_out), bias=0)

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages + 1):
            for name in (f'patch_embed{i + 1}', f'block{i + 1}', f'norm{i + 1}'):
                module = getattr(self, name)
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'LSKNet':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple:
        outs = []
        for i in range(self.num_stages):
            x = getattr(self, f'patch_embed{i + 1}')(x)
            for blk in getattr(self, f'block{i + 1}'):
                x = blk(x)
            # LayerNorm over channels, applied channels-last
            x = getattr(self, f'norm{i + 1}')(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            x = x.contiguous()
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)


def _register() -> None:
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmrotate.registry import MODELS as MMROTATE_MODELS
    MMROTATE_MODELS.register_module(module=LSKNet)
    MMDET_MODELS.register_module(module=LSKNet)


_register()
