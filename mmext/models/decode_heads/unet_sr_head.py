"""The super-resolution (SR) branch of CogSeg (Sang et al., Sec. 3.1-3.2, Fig. 1).

"We employ the same U-Net encoder-decoder architectures as SR backbone and segmentation backbone
... two encoders with shared weights ... then two decoders to learn task-dependent
representations ... At the end of SR decoder, we apply one 1x1 convolutional layer to reconstruct
high-resolution image." This head is the SR decoder and its x2 reconstruction; the encoder is the
segmentor's backbone (shared weights, run once).

Architecture (``L`` = ``num_stages`` of the U-Net)::

    encoder outputs e_0 .. e_{L-1}  (from the shared encoder of a U-Net-shaped backbone: mmseg's
                                     UNet, UNetPlusPlus, AttentionUNet, see is_unet_shaped)
    decoder: a copy of the backbone's decoder (same architecture, own weights), e.g. for UNet
             feats[0] = e_{L-1};  feats[k] = UpConvBlock_k(e_{L-1-k}, feats[k-1]),  k = 1..L-1
    reconstruction: log2(upscale) x upsample layer (default InterpConv) -> num_convs x 3x3
             ConvModule -> 1x1 conv to the image channels          [N, out_channels, 2H, 2W]

``feats`` has exactly the layout of mmseg ``UNet.forward``'s outputs, so ``feats[i]`` of the SR
branch and of the segmentation branch are the "i-th decoder" feature maps compared by CogSeg's
L1 guidance (Eq. 2), ``i = 1 .. L-1``.

The loss of this head is ``loss_weight * MSE(sr_image, hr_image)`` (``lambda_2 = 0.5`` in Eq. 1).

Deep supervision (``deep_supervision_levels``, off by default): the paper's Sec. 3.2 mentions
"additional supervision at different scales of decoder"; each listed decoder stage ``i`` gets a
1x1 convolution to the image channels and ``deep_supervision_weight * MSE`` against the HR target
average-pooled to that stage's resolution.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

from mmcv.cnn import ConvModule, build_upsample_layer
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor, nn
from torch.nn import functional as F


def is_unet_shaped(net: nn.Module) -> bool:
    """Whether ``net`` can share its encoder with a second decoder: mmseg's ``UNet`` (its
    ``encoder`` / ``decoder`` lists), or any backbone with ``encode(x)`` and ``decode(enc_outs)``
    methods whose ``decode`` returns ``UNet.forward``'s layout (``UNetPlusPlus``,
    ``AttentionUNet``), and ``num_stages`` / ``base_channels`` attributes."""
    has_split = callable(getattr(net, 'encode', None)) and callable(getattr(net, 'decode', None))
    mmseg_unet = isinstance(getattr(net, 'encoder', None), nn.ModuleList) and \
        isinstance(getattr(net, 'decoder', None), nn.ModuleList)
    return (has_split or mmseg_unet) and hasattr(net, 'num_stages') and \
        hasattr(net, 'base_channels')


def unet_encode(unet: nn.Module, x: Tensor) -> List[Tensor]:
    """The encoder outputs ``[e_0, ..., e_{L-1}]`` of a U-Net-shaped backbone (finest first)."""
    if callable(getattr(unet, 'encode', None)):
        return unet.encode(x)
    unet._check_input_divisible(x)
    outs = []
    for stage in unet.encoder:
        x = stage(x)
        outs.append(x)
    return outs


def unet_decode(unet: nn.Module, enc_outs: List[Tensor]) -> List[Tensor]:
    """Run the decoder of a U-Net-shaped backbone on encoder outputs.

    ``unet``: the backbone (its ``decode`` method, or mmseg ``UNet``'s ``decoder`` list), or an
    mmseg ``UNet`` decoder ``nn.ModuleList`` itself. Returns ``[e_{L-1}, d_{L-2}, ..., d_0]``
    (coarsest first), what ``UNet.forward`` returns.
    """
    if callable(getattr(unet, 'decode', None)):
        return unet.decode(enc_outs)
    decoder = unet if isinstance(unet, nn.ModuleList) else unet.decoder
    x = enc_outs[-1]
    outs = [x]
    for i in reversed(range(len(decoder))):
        x = decoder[i](enc_outs[i], x)
        outs.append(x)
    return outs


@MODELS.register_module()
class UNetSRHead(BaseModule):
    """CogSeg's SR branch: a second U-Net decoder on the shared encoder + x2 reconstruction.

    Args:
        unet (dict): config of the U-Net-shaped backbone whose encoder is shared (mmseg ``UNet``,
            ``UNetPlusPlus``, ``AttentionUNet``, ...). It is rebuilt here without its encoder:
            a decoder of the same architecture with new weights.
            :class:`~mmext.models.segmentors.CogSegSegmentor` fills it with its backbone config.
        out_channels (int): channels of the reconstructed image (1 for CT). Default 1.
        upscale (int): SR factor, a power of 2. Default 2.
        channels (int, optional): width of the reconstruction layers; default the last decoder
            width (``base_channels``).
        num_convs (int): 3x3 convolutions after the upsampling. Default 1.
        upsample_cfg (dict): mmseg upsample module, as in the U-Net. Default InterpConv.
        norm_cfg (dict): norm of the reconstruction layers. Default BN.
        act_cfg (dict): activation of the reconstruction layers. Default ReLU.
        loss_weight (float): ``lambda_2`` of Eq. 1 (MSE). Default 0.5.
        deep_supervision_levels (Sequence[int]): decoder stages ``1 .. L-1`` with an extra
            image output and MSE. Default ``()``.
        deep_supervision_weight (float): weight of each of those MSE terms. Default 0.5.
        init_cfg (dict | list[dict]): default as mmseg's UNet (Kaiming convs, unit norms).
    """

    def __init__(self,
                 unet: dict,
                 out_channels: int = 1,
                 upscale: int = 2,
                 channels=None,
                 num_convs: int = 1,
                 upsample_cfg: dict = dict(type='InterpConv'),
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 loss_weight: float = 0.5,
                 deep_supervision_levels: Sequence[int] = (),
                 deep_supervision_weight: float = 0.5,
                 init_cfg=[
                     dict(type='Kaiming', layer='Conv2d'),
                     dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
                 ]):
        super().__init__(init_cfg)
        if upscale < 1 or upscale & (upscale - 1):
            raise ValueError(f'upscale must be a power of 2, got {upscale}')
        unet = dict(unet)
        unet.pop('init_cfg', None)
        unet.pop('pretrained', None)
        twin = MODELS.build(unet)
        if not is_unet_shaped(twin):
            raise TypeError('UNetSRHead needs a U-Net-shaped backbone config (mmseg UNet or one '
                            'with encode()/decode(), num_stages and base_channels), got '
                            f'{unet.get("type")}')
        del twin.encoder  # the encoder is the segmentor's (shared weights)
        self.unet = twin
        self.num_stages = twin.num_stages
        base = twin.base_channels
        # channels of feats[k]: the bottleneck, then each decoder stage, coarse to fine
        self.feat_channels = [base * 2**(self.num_stages - 1 - k) for k in range(self.num_stages)]
        self.upscale = upscale
        self.out_channels = out_channels
        self.loss_weight = loss_weight
        channels = channels or base
        layers: List[nn.Module] = []
        in_channels = base
        for _ in range(int(math.log2(upscale))):
            layers.append(
                build_upsample_layer(
                    cfg=upsample_cfg,
                    in_channels=in_channels,
                    out_channels=channels,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg))
            in_channels = channels
        for _ in range(num_convs):
            layers.append(
                ConvModule(in_channels, channels, 3, padding=1, norm_cfg=norm_cfg,
                           act_cfg=act_cfg))
            in_channels = channels
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=1))
        self.reconstruct = nn.Sequential(*layers)
        self.deep_supervision_levels = tuple(int(i) for i in deep_supervision_levels)
        bad = [i for i in self.deep_supervision_levels if not 1 <= i < self.num_stages]
        if bad:
            raise ValueError(f'UNetSRHead: deep_supervision_levels {bad} out of range 1..'
                             f'{self.num_stages - 1}')
        self.deep_supervision_weight = deep_supervision_weight
        self.side_outputs = nn.ModuleDict({
            str(i): nn.Conv2d(self.feat_channels[i], out_channels, kernel_size=1)
            for i in self.deep_supervision_levels
        })

    def forward(self, enc_outs: List[Tensor]) -> Tuple[List[Tensor], Tensor]:
        """SR decoder features (``UNet.forward`` layout) and the image ``[N, out_channels,
        upscale*H, upscale*W]`` from the shared encoder outputs."""
        feats = unet_decode(self.unet, enc_outs)
        return feats, self.reconstruct(feats[-1])

    def side_images(self, feats: List[Tensor]) -> Dict[int, Tensor]:
        """The deep-supervision image outputs ``{i: [N, out_channels, h_i, w_i]}``."""
        return {i: self.side_outputs[str(i)](feats[i]) for i in self.deep_supervision_levels}

    def loss(self, sr_img: Tensor, hr_img: Tensor, feats: Optional[List[Tensor]] = None
             ) -> Dict[str, Tensor]:
        """``{'loss_mse': loss_weight * mean((sr_img - hr_img)^2)}`` (shapes must match), plus
        ``loss_mse_ds{i}`` for the deep-supervision stages (``feats``: the decoder features
        returned by :meth:`forward`, required then)."""
        if sr_img.shape != hr_img.shape:
            raise ValueError(f'SR output {tuple(sr_img.shape)} and high-resolution target '
                             f'{tuple(hr_img.shape)} differ in shape (upscale={self.upscale})')
        hr_img = hr_img.to(sr_img.dtype)
        losses = dict(loss_mse=self.loss_weight * F.mse_loss(sr_img, hr_img))
        if self.deep_supervision_levels:
            if feats is None:
                raise ValueError('UNetSRHead.loss: deep_supervision_levels need the decoder '
                                 'features (feats=) of forward()')
            for i, img in self.side_images(feats).items():
                target = F.adaptive_avg_pool2d(hr_img, img.shape[-2:])
                losses[f'loss_mse_ds{i}'] = self.deep_supervision_weight * F.mse_loss(img, target)
        return losses
