"""The super-resolution (SR) branch of CogSeg (Sang et al., Sec. 3.1-3.2, Fig. 1).

"We employ the same U-Net encoder-decoder architectures as SR backbone and segmentation backbone
... two encoders with shared weights ... then two decoders to learn task-dependent
representations ... At the end of SR decoder, we apply one 1x1 convolutional layer to reconstruct
high-resolution image." This head is the SR decoder and its x2 reconstruction; the encoder is the
segmentor's backbone (shared weights, run once).

Architecture (``L`` = ``num_stages`` of the U-Net)::

    encoder outputs e_0 .. e_{L-1}  (from the shared mmseg UNet encoder)
    decoder: a copy of the U-Net's decoder (same UpConvBlocks, own weights)
             feats[0] = e_{L-1};  feats[k] = UpConvBlock_k(e_{L-1-k}, feats[k-1]),  k = 1..L-1
    reconstruction: log2(upscale) x upsample layer (default InterpConv) -> num_convs x 3x3
             ConvModule -> 1x1 conv to the image channels          [N, out_channels, 2H, 2W]

``feats`` has exactly the layout of mmseg ``UNet.forward``'s outputs, so ``feats[i]`` of the SR
branch and of the segmentation branch are the "i-th decoder" feature maps compared by CogSeg's
L1 guidance (Eq. 2), ``i = 1 .. L-1``.

The loss of this head is ``loss_weight * MSE(sr_image, hr_image)`` (``lambda_2 = 0.5`` in Eq. 1).
"""
import math
from typing import Dict, List, Tuple

from mmcv.cnn import ConvModule, build_upsample_layer
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor, nn
from torch.nn import functional as F


def unet_encode(unet: nn.Module, x: Tensor) -> List[Tensor]:
    """The encoder outputs ``[e_0, ..., e_{L-1}]`` of an mmseg ``UNet`` (finest first)."""
    unet._check_input_divisible(x)
    outs = []
    for stage in unet.encoder:
        x = stage(x)
        outs.append(x)
    return outs


def unet_decode(decoder: nn.ModuleList, enc_outs: List[Tensor]) -> List[Tensor]:
    """Run an mmseg ``UNet`` decoder on encoder outputs.

    Returns ``[e_{L-1}, d_{L-2}, ..., d_0]`` (coarsest first), what ``UNet.forward`` returns.
    """
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
        unet (dict): config of the mmseg ``UNet`` whose encoder is shared. Its decoder is rebuilt
            here with new weights (same architecture as the segmentation decoder).
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
        if not isinstance(getattr(twin, 'decoder', None), nn.ModuleList) or \
                not hasattr(twin, 'base_channels'):
            raise TypeError(f'UNetSRHead needs an mmseg UNet config, got {unet.get("type")}')
        self.decoder = twin.decoder  # the encoder of the twin is dropped
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

    def forward(self, enc_outs: List[Tensor]) -> Tuple[List[Tensor], Tensor]:
        """SR decoder features (``UNet.forward`` layout) and the image ``[N, out_channels,
        upscale*H, upscale*W]`` from the shared encoder outputs."""
        feats = unet_decode(self.decoder, enc_outs)
        return feats, self.reconstruct(feats[-1])

    def loss(self, sr_img: Tensor, hr_img: Tensor) -> Dict[str, Tensor]:
        """``{'loss_mse': loss_weight * mean((sr_img - hr_img)^2)}``; shapes must match."""
        if sr_img.shape != hr_img.shape:
            raise ValueError(f'SR output {tuple(sr_img.shape)} and high-resolution target '
                             f'{tuple(hr_img.shape)} differ in shape (upscale={self.upscale})')
        return dict(loss_mse=self.loss_weight * F.mse_loss(sr_img, hr_img.to(sr_img.dtype)))
