"""CogSeg: super-resolution and infection-edge co-guided segmentation (Sang et al.), as an mmseg
``EncoderDecoder``.

One U-Net encoder (the backbone: mmseg's ``UNet`` or any U-Net-shaped backbone with
``encode(x)`` / ``decode(enc_outs)``, e.g. ``UNetPlusPlus``, ``AttentionUNet``) is shared by the
segmentation decoder (the backbone's own decoder, followed by ``decode_head``, e.g. the x2
:class:`UpscaleSegHead`) and a super-resolution decoder (``sr_head``, :class:`UNetSRHead`). The training objective is Eq. 1::

    L = lambda_1 L_CE + lambda_4 L_RMI^Edge                 decode_head.loss_decode (its weights)
      + lambda_2 MSE(SR(x_LR), x_HR)                        sr_head.loss_weight      (0.5)
      + lambda_3 sum_{i in feat_l1_levels} L1(i)            loss_feat_weight         (0.5)

    L1(i) = 1 / (C_i N) sum_c sum_j |F^SR_i[c, j] - F^seg_i[c, j]|                    (Eq. 2)

where ``F_i`` is the output of the ``i``-th decoder stage of each branch (``i = 1`` coarsest,
``L-1`` finest; ``UNet.forward``'s output list without its bottleneck entry) and the mean also
runs over the batch. ``feat_l1_levels=(1, 2, 3, 4)`` is the paper's "4 L1 losses";
"1 L1 loss" (Table 1) is taken as the finest level, ``(4,)`` (the paper does not say which); the
sum has no normalisation function ``G`` beyond the identity (Eq. 2 names ``G`` but does not
define it). Both branches receive the L1 gradient (``detach_sr_feats=True``: only the
segmentation branch, the SR features act as a fixed teacher). The SR target is the
high-resolution image normalised with the data preprocessor's mean and std, the same
normalisation as the input (``sr_target_range``: ``'normalized'``; ``'unit'`` divides the 0-255
image by 255, ``'raw'`` keeps 0-255; the paper does not say).

Deep supervision at several decoder scales (Sec. 3.2 "additional supervision at different scales
of decoder"): ``auxiliary_head`` (mmseg's, a list of heads with ``in_index`` = decoder stage)
for the segmentation branch and ``sr_head.deep_supervision_levels`` for the SR branch; both
off in the paper's configs (the paper gives no scales or weights).

**The SR branch runs only in training.** ``predict``, ``_forward`` (``mode='tensor'``) and
therefore ``tools/test.py`` are ``EncoderDecoder``'s own: backbone -> decode head. The inference
cost equals that of the same U-Net without the branch, and deleting ``sr_head`` (or loading the
checkpoint into a plain ``EncoderDecoder`` with ``strict=False``) gives identical predictions.

Without ``sr_head`` (and ``feat_l1_levels=()``) this is exactly ``EncoderDecoder``: the U-Net
baselines of Tables 1 and 3 use it that way.
"""
import copy
from typing import Dict, Optional, Sequence

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, OptSampleList, SampleList
from mmengine.utils import is_list_of
from torch import Tensor
from torch.nn import functional as F

from ..decode_heads.unet_sr_head import is_unet_shaped, unet_decode, unet_encode

SR_TARGET_RANGES = ('normalized', 'unit', 'raw')


def add_prefix(inputs: Dict[str, Tensor], prefix: str) -> Dict[str, Tensor]:
    """``{f'{prefix}.{k}': v}``."""
    return {f'{prefix}.{k}': v for k, v in inputs.items()}


@MODELS.register_module()
class CogSegSegmentor(EncoderDecoder):
    """CogSeg segmentor: ``EncoderDecoder`` + a training-only super-resolution branch.

    Args:
        backbone (dict): with ``sr_head``, a U-Net-shaped backbone: mmseg ``UNet``, or one with
            ``encode``/``decode`` methods, ``num_stages`` and ``base_channels``
            (``UNetPlusPlus``, ``AttentionUNet``).
        decode_head (dict): the segmentation head, e.g. ``UpscaleSegHead`` with
            ``loss_decode=[CrossEntropyLoss (lambda_1), EdgeRMILoss (lambda_4)]``.
        sr_head (dict, optional): the SR branch, e.g. ``dict(type='UNetSRHead', out_channels=1,
            upscale=2, loss_weight=0.5)``; its ``unet`` defaults to ``backbone``. ``None``: no SR
            branch (a plain ``EncoderDecoder``).
        feat_l1_levels (Sequence[int]): decoder stages ``i`` of the L1 guidance (Eq. 2),
            ``1 <= i <= num_stages - 1``. Default ``(1, 2, 3, 4)``; must be empty without
            ``sr_head``.
        loss_feat_weight (float): ``lambda_3``. Default 0.5.
        detach_sr_feats (bool): stop the L1 gradient into the SR branch (SR as teacher).
            Default False (both branches get it).
        sr_target_range (str): ``'normalized'`` (default; the input's mean/std), ``'unit'``
            (``[0, 1]``) or ``'raw'`` (0-255).
        neck, auxiliary_head, train_cfg, test_cfg, data_preprocessor, pretrained, init_cfg: as
            ``EncoderDecoder`` (no neck with ``sr_head``).
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 sr_head: OptConfigType = None,
                 feat_l1_levels: Sequence[int] = (1, 2, 3, 4),
                 loss_feat_weight: float = 0.5,
                 detach_sr_feats: bool = False,
                 sr_target_range: str = 'normalized',
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None):
        backbone_cfg = copy.deepcopy(backbone)
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            auxiliary_head=auxiliary_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        self.feat_l1_levels = tuple(int(i) for i in feat_l1_levels)
        self.loss_feat_weight = loss_feat_weight
        self.detach_sr_feats = detach_sr_feats
        if sr_target_range not in SR_TARGET_RANGES:
            raise ValueError(f'CogSegSegmentor: sr_target_range must be one of '
                             f'{SR_TARGET_RANGES}, got {sr_target_range!r}')
        self.sr_target_range = sr_target_range
        upscale = getattr(self.decode_head, 'upscale', 1)
        if upscale != 1 and (test_cfg or {}).get('mode', 'whole') == 'slide':
            raise ValueError('CogSegSegmentor: slide inference (test_cfg.mode="slide") is not '
                             f'supported with an upscaling decode head (upscale={upscale}); use '
                             'test_cfg=dict(mode="whole")')
        if sr_head is None:
            if self.feat_l1_levels:
                raise ValueError('CogSegSegmentor: feat_l1_levels='
                                 f'{self.feat_l1_levels} needs an sr_head; set '
                                 'feat_l1_levels=() for a model without the SR branch')
            self.sr_head = None
            return
        if neck is not None:
            raise ValueError('CogSegSegmentor: the SR branch shares the U-Net encoder directly; '
                             'a neck is not supported with sr_head')
        if not is_unet_shaped(self.backbone):
            raise TypeError('CogSegSegmentor: the SR branch shares the encoder of a U-Net-shaped '
                            'backbone (mmseg UNet, or encode()/decode() returning UNet.forward\'s '
                            f'layout, num_stages, base_channels); got '
                            f'{type(self.backbone).__name__}')
        sr_head = copy.deepcopy(sr_head)
        sr_head.setdefault('unet', backbone_cfg)
        self.sr_head = MODELS.build(sr_head)
        bad = [i for i in self.feat_l1_levels if not 1 <= i < self.backbone.num_stages]
        if bad:
            raise ValueError(f'CogSegSegmentor: feat_l1_levels {bad} out of range; decoder '
                             f'stages are 1..{self.backbone.num_stages - 1}')
        if self.sr_head.num_stages != self.backbone.num_stages:
            raise ValueError('CogSegSegmentor: sr_head.unet must have the backbone\'s num_stages '
                             f'({self.sr_head.num_stages} vs {self.backbone.num_stages})')
        if getattr(self.sr_head.unet, 'base_channels', None) != self.backbone.base_channels:
            raise ValueError('CogSegSegmentor: sr_head.unet must have the backbone\'s '
                             f'base_channels ({self.sr_head.unet.base_channels} vs '
                             f'{self.backbone.base_channels}): the L1 terms compare their '
                             'decoder features')
        if getattr(self.sr_head, 'upscale', upscale) != upscale:
            raise ValueError(f'CogSegSegmentor: sr_head.upscale ({self.sr_head.upscale}) differs '
                             f'from decode_head.upscale ({upscale})')

    @property
    def with_sr_head(self) -> bool:
        """Whether the model has the (training-only) SR branch."""
        return self.sr_head is not None

    def sr_targets(self, data_samples: SampleList) -> Tensor:
        """The high-resolution images ``[N, C, H', W']``, normalised like the network input.

        They are ``data_samples[i].gt_sr_img`` (packed by ``PackSRSegInputs``), scaled as
        ``sr_target_range`` says.
        """
        missing = [i for i, ds in enumerate(data_samples) if 'gt_sr_img' not in ds]
        if missing:
            paths = [data_samples[i].metainfo.get('img_path', '?') for i in missing]
            raise KeyError('CogSegSegmentor: the SR branch needs the high-resolution image as '
                           f'data_samples[i].gt_sr_img; missing for {paths}. Use '
                           'LoadSRPairFromFile and PackSRSegInputs in the train pipeline.')
        hr = torch.stack([ds.gt_sr_img.data for ds in data_samples]).float()
        pre = self.data_preprocessor
        if getattr(pre, 'channel_conversion', False) and hr.shape[1] == 3:
            hr = hr[:, [2, 1, 0]]
        if self.sr_target_range == 'unit':
            return hr / 255.0
        if self.sr_target_range == 'normalized' and getattr(pre, '_enable_normalize', False):
            hr = (hr - pre.mean) / pre.std
        return hr

    def _check_target_size(self, inputs: Tensor, data_samples: SampleList) -> None:
        """With an upscaling head the label map must be exactly ``upscale`` x the input."""
        upscale = getattr(self.decode_head, 'upscale', 1)
        if upscale == 1:
            return
        want = tuple(s * upscale for s in inputs.shape[-2:])
        for ds in data_samples:
            if 'gt_sem_seg' in ds and tuple(ds.gt_sem_seg.shape) != want:
                raise ValueError(
                    f'{ds.metainfo.get("seg_map_path", "label map")}: size '
                    f'{tuple(ds.gt_sem_seg.shape)} but the x{upscale} head predicts {want} from '
                    f'the {tuple(inputs.shape[-2:])} input (a padded batch or a pipeline that '
                    'resizes input and target differently)')

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Eq. 1: the decode head's losses (CE, Edge-RMI), the SR MSE and the feature L1 terms."""
        self._check_target_size(inputs, data_samples)
        if self.sr_head is None:
            return super().loss(inputs, data_samples)
        enc_outs = unet_encode(self.backbone, inputs)
        seg_feats = unet_decode(self.backbone, enc_outs)
        losses = self._decode_head_forward_train(seg_feats, data_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(seg_feats, data_samples))
        sr_feats, sr_img = self.sr_head(enc_outs)
        losses.update(add_prefix(
            self.sr_head.loss(sr_img, self.sr_targets(data_samples), sr_feats), 'sr'))
        for level in self.feat_l1_levels:
            teacher = sr_feats[level].detach() if self.detach_sr_feats else sr_feats[level]
            losses[f'sr.loss_feat_l1_{level}'] = self.loss_feat_weight * F.l1_loss(
                teacher, seg_feats[level])
        return losses

    def postprocess_result(self, seg_logits: Tensor,
                           data_samples: OptSampleList = None) -> SampleList:
        """``EncoderDecoder``'s, with test-time padding scaled to the upscaled logits."""
        upscale = getattr(self.decode_head, 'upscale', 1)
        if upscale != 1 and data_samples is not None:
            for ds in data_samples:
                for key in ('img_padding_size', 'padding_size'):
                    pad = ds.metainfo.get(key, None)
                    if pad is not None and is_list_of(list(pad), int) and any(pad):
                        ds.set_metainfo({key: [p * upscale for p in pad]})
        return super().postprocess_result(seg_logits, data_samples)

