"""Attention U-Net (Oktay et al., "Attention U-Net: Learning Where to Look for the Pancreas",
MIDL 2018), a baseline of CogSeg's Table 3.

mmseg's ``UNet`` with an additive attention gate on every skip connection. The skip feature
``x^l`` (``[N, C_x, H, W]``) is scaled by attention coefficients computed from it and from the
gating signal ``g`` collected from the coarser scale (the decoder input of that stage,
``[N, C_g, H/2, W/2]``)::

    q_att = psi^T ReLU(W_x^T x + W_g^T g + b_g) + b_psi                 (paper Eq. 1)
    alpha = sigmoid(q_att),  upsampled bilinearly to H x W               (paper Eq. 2, grid
    x_hat = alpha * x                                                     resampling)

``W_x`` is a 2x2 convolution with stride 2 (it brings ``x`` to the resolution of ``g``, as in the
authors' code), ``W_g`` and ``psi`` are 1x1 convolutions, the intermediate width is ``C_x / 2``
(the authors' default). The gated skip replaces the plain one in mmseg's ``UpConvBlock``. The
authors' code gates all but the finest skip and projects ``x_hat`` with a further 1x1 conv + BN;
the paper's Eq. 1-2 are followed here (every skip gated, no projection).

Output: exactly mmseg ``UNet.forward``'s list. ``encode(x)`` / ``decode(enc_outs)`` split the
forward pass into the encoder and the (gated) decoder, the interface ``CogSegSegmentor`` shares
an encoder through.
"""
from typing import List, Tuple

from mmseg.models.backbones import UNet
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor, nn


class AttentionGate(nn.Module):
    """Additive attention gate (paper Eq. 1-2).

    Args:
        in_channels (int): ``C_x`` of the skip feature.
        gating_channels (int): ``C_g`` of the gating signal.
        inter_channels (int): width of the additive attention.
        subsample (int): resolution ratio between ``x`` and ``g`` (``W_x``'s kernel and stride).
    """

    def __init__(self, in_channels: int, gating_channels: int, inter_channels: int,
                 subsample: int = 2):
        super().__init__()
        self.theta = nn.Conv2d(in_channels, inter_channels, kernel_size=subsample,
                               stride=subsample, bias=False)  # W_x
        self.phi = nn.Conv2d(gating_channels, inter_channels, kernel_size=1, bias=True)  # W_g
        self.psi = nn.Conv2d(inter_channels, 1, kernel_size=1, bias=True)

    def forward(self, x: Tensor, g: Tensor) -> Tuple[Tensor, Tensor]:
        """Gated skip ``alpha * x`` (``[N, C_x, H, W]``) and ``alpha`` (``[N, 1, H, W]``)."""
        theta = self.theta(x)
        phi = self.phi(g)
        if phi.shape[-2:] != theta.shape[-2:]:
            phi = resize(phi, size=theta.shape[-2:], mode='bilinear', align_corners=False)
        alpha = self.psi(nn.functional.relu(theta + phi)).sigmoid()
        if alpha.shape[-2:] != x.shape[-2:]:
            alpha = resize(alpha, size=x.shape[-2:], mode='bilinear', align_corners=False)
        return alpha * x, alpha


@MODELS.register_module()
class AttentionUNet(UNet):
    """mmseg ``UNet`` with attention-gated skip connections.

    Takes every argument of mmseg's ``UNet`` (``in_channels``, ``base_channels``,
    ``num_stages``, ``strides``, ``downsamples``, ...), plus:

    Args:
        attention_ratio (float): intermediate width of the gates as a fraction of the skip
            channels. Default 0.5.
    """

    def __init__(self, *args, attention_ratio: float = 0.5, **kwargs):
        super().__init__(*args, **kwargs)
        base = self.base_channels
        self.gates = nn.ModuleList()
        for i in range(1, self.num_stages):
            downsampled = self.strides[i] != 1 or self.downsamples[i - 1]
            skip_channels = base * 2**(i - 1)
            self.gates.append(
                AttentionGate(
                    in_channels=skip_channels,
                    gating_channels=base * 2**i,
                    inter_channels=max(1, int(skip_channels * attention_ratio)),
                    subsample=2 if downsampled else 1))

    def forward(self, x: Tensor) -> List[Tensor]:
        """``UNet.forward`` with ``decoder[i](gate_i(skip_i, x), x)``."""
        return self._run(x)[0]

    def attention_maps(self, x: Tensor) -> List[Tensor]:
        """The attention coefficients ``alpha`` ``[N, 1, H_i, W_i]`` of every gate, finest skip
        first."""
        return self._run(x)[1]

    def encode(self, x: Tensor) -> List[Tensor]:
        """Encoder outputs ``[e_0, ..., e_{L-1}]`` (finest first)."""
        self._check_input_divisible(x)
        enc_outs = []
        for enc in self.encoder:
            x = enc(x)
            enc_outs.append(x)
        return enc_outs

    def decode(self, enc_outs: List[Tensor]) -> List[Tensor]:
        """The gated decoder on encoder outputs: ``UNet.forward``'s layout (coarsest first)."""
        return self._decode(enc_outs)[0]

    def _run(self, x: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
        return self._decode(self.encode(x))

    def _decode(self, enc_outs: List[Tensor]) -> Tuple[List[Tensor], List[Tensor]]:
        x = enc_outs[-1]
        dec_outs = [x]
        alphas = [None] * len(self.decoder)
        for i in reversed(range(len(self.decoder))):
            skip, alphas[i] = self.gates[i](enc_outs[i], x)
            x = self.decoder[i](skip, x)
            dec_outs.append(x)
        return dec_outs, alphas
