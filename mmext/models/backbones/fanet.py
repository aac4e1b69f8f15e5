"""FANet: Feature Amplification Network (Ali et al., ICIP 2024, arXiv 2407.09379).

A four-stage convolutional backbone built from Adaptive Feature Enhancement (AFE) blocks
(paper Sec. 3, Fig. 3):

.. code-block:: none

    stem      Conv 5x5 stride 4 (padding 2)                         -> (B, C1, H/4,  W/4)
    stage i   depth_i x FANetBlock(C_i)
    down i    Conv 3x3 stride 2 (padding 1) between stages          -> strides 4, 8, 16, 32

    FANetBlock          = AFEBlock: x + DropPath(AFE(LN(x))), then + DropPath(ConvMLP(LN(.)));
                        AFE = CE, channel squeeze, SCM and FRM, fusion (layers/afe_block.py)

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
  ``non_overlapping_stem=True`` gives a non-overlapping stem instead: a 4x4 stride-4 conv without
  padding (patchify; ``H/4`` exactly for sizes divisible by 4).
* The FRM is the released one (GELU / LayerNorm around its depthwise convs, ``R = F - Q``,
  3x3 stride-2 smoothing). ``afe_cfg`` switches to the paper's literal versions:
  ``frm_plain=True`` (Fig. 4 as drawn), ``frm_high_freq='Q-F'`` (Fig. 4's caption),
  ``frm_down_kernel_size`` / ``frm_down_stride`` (see ``layers/frm.py``).

Kernel sizes are validated: the stem, CE, SCM and FRM kernels must be odd (with padding ``k // 2``
an even kernel silently adds a row and a column: a 4x4 stride-4 stem with padding 2 gives 129
instead of 128 at 512 px).

Loading weights: with ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)`` every
trunk parameter (``downsample_layers.*``, ``stages.*``) must be in the checkpoint with the same
shape, and the checkpoint must hold no trunk parameter this model lacks; otherwise loading stops
with an error listing the keys (a checkpoint of another Table 2 variant does not half-load).
Only the output norms ``norm{i}`` may be present on one side only (the classifier's ``norm3``).
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
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmseg.registry import MODELS as MMSEG_MODELS

from ..layers.afe_block import AFE, AFEBlock, ConvMLP, check_odd_kernel

__all__ = ['FANet', 'AFE', 'ConvMLP', 'FANetBlock']

#: FANet's stage block is the reusable :class:`~mmext.models.layers.AFEBlock`
FANetBlock = AFEBlock


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
        stem_kernel_size (int, optional): Stem conv kernel; stride 4, padding ``k // 2``; must be
            odd. Default: 5 (released code), or 4 with ``non_overlapping_stem``.
        non_overlapping_stem (bool): The text's "non-overlapping" stem: kernel = stride = 4, no
            padding. Default False (the released overlapping 5x5 stem).
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
                 stem_kernel_size: Optional[int] = None,
                 non_overlapping_stem: bool = False,
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
        self.downsample_layers = nn.ModuleList(
            [self._build_stem(in_channels, stem_kernel_size, non_overlapping_stem)])
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

    def _build_stem(self, in_channels: int, kernel_size: Optional[int],
                    non_overlapping: bool) -> nn.Conv2d:
        """Stride-4 stem: overlapping ``k x k`` with padding ``k // 2`` (released, k = 5) or
        non-overlapping 4x4 without padding (the text's)."""
        if non_overlapping:
            if kernel_size not in (None, 4):
                raise ValueError(f'FANet: non_overlapping_stem=True means kernel = stride = 4; '
                                 f'got stem_kernel_size={kernel_size}')
            return nn.Conv2d(in_channels, self.embed_dims[0], 4, stride=4, padding=0)
        kernel_size = 5 if kernel_size is None else kernel_size
        check_odd_kernel('FANet: stem_kernel_size (an even kernel with padding k // 2 gives '
                         'H/4 + 1, e.g. 129 instead of 128 at 512 px; use '
                         'non_overlapping_stem=True for a 4x4 stem)', kernel_size)
        return nn.Conv2d(in_channels, self.embed_dims[0], kernel_size, stride=4,
                         padding=kernel_size // 2)

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
        for i, k in enumerate(arch.get('ce_kernel_sizes', [])):
            check_odd_kernel(f'FANet: arch.ce_kernel_sizes[{i}]', k)
        return arch

    # ------------------------------------------------------------------ pretrained weights
    _TRUNK = ('downsample_layers.', 'stages.')

    def init_weights(self) -> None:
        """Default initialisation, then, for ``init_cfg`` of type ``Pretrained``, a strict load
        of the trunk (see the module docstring); mismatches raise ``KeyError`` / ``ValueError``
        naming the checkpoint and the keys."""
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        self.init_cfg = [dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
                         dict(type='Constant', layer=['LayerNorm'], val=1., bias=0.)]
        try:
            super().init_weights()
        finally:
            self.init_cfg = cfg
        self.load_pretrained(cfg['checkpoint'], cfg.get('prefix'),
                             cfg.get('map_location', 'cpu'))

    def load_pretrained(self, checkpoint: str, prefix: Optional[str] = None,
                        map_location: str = 'cpu') -> None:
        """Load a FANet state dict (``prefix`` stripped, e.g. ``'backbone.'``) strictly."""
        from mmengine.runner.checkpoint import _load_checkpoint
        ckpt = _load_checkpoint(checkpoint, map_location=map_location)
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict):
            raise TypeError(f'FANet: {checkpoint} holds no state dict')
        if state and all(k.startswith('module.') for k in state):
            state = {k[len('module.'):]: v for k, v in state.items()}
        if prefix:
            state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            if not state:
                raise KeyError(f'FANet: no key of {checkpoint} starts with prefix {prefix!r}')
        own = self.state_dict()
        is_trunk = lambda k: k.startswith(self._TRUNK)  # noqa: E731
        missing = sorted(k for k in own if is_trunk(k) and k not in state)
        unexpected = sorted(k for k in state if k not in own and (
            is_trunk(k) or not (k.startswith('norm') and k[4:5].isdigit())))
        if missing or unexpected:
            raise KeyError(
                f'FANet: {checkpoint} (prefix {prefix!r}) is not a checkpoint of this FANet '
                f'variant (arch, afe_cfg): {len(missing)} parameters missing, e.g. '
                f'{missing[:6]}; {len(unexpected)} unexpected, e.g. {unexpected[:6]}')
        shapes = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                  for k in own if k in state and state[k].shape != own[k].shape]
        if shapes:
            raise ValueError(f'FANet: {checkpoint} (prefix {prefix!r}) has {len(shapes)} '
                             f'parameters of another shape (another arch or afe_cfg?): '
                             f'{shapes[:6]}')
        self.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)

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
