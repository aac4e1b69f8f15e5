"""YOLOv8-style instance segmentation head: prototype masks and per-detection coefficients."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, InstanceList, OptInstanceList
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from ..utils.letterbox import unpadded_shape
from .yolov8_head import YOLOv8Head


def box_crop_mask(boxes: Tensor, height: int, width: int) -> Tensor:
    """(P, 4) xyxy boxes in pixel units -> (P, H, W) bool, pixel (y, x) kept when
    x1 <= x < x2 and y1 <= y < y2 (pixel indices, as YOLOv8's ``crop_mask``)."""
    xs = torch.arange(width, device=boxes.device, dtype=boxes.dtype)[None, None, :]
    ys = torch.arange(height, device=boxes.device, dtype=boxes.dtype)[None, :, None]
    x1, y1, x2, y2 = (boxes[:, i, None, None] for i in range(4))
    return (xs >= x1) & (xs < x2) & (ys >= y1) & (ys < y2)


@MODELS.register_module()
class YOLOv8InsHead(YOLOv8Head):
    """:class:`YOLOv8Head` plus YOLACT-style masks, as in YOLOv8-seg.

    Added layers:

    * prototypes from the stride-8 feature: ConvModule 3x3 (c_0 -> c_p), ConvTranspose2d 2x2 s2
      (c_p -> c_p), ConvModule 3x3 (c_p -> c_p), ConvModule 1x1 (c_p -> K); output
      P (B, K, H/4, W/4) with K = ``num_protos`` (32);
    * per level a coefficient branch: ConvModule 3x3 (c_l -> c_m), ConvModule 3x3 (c_m -> c_m),
      Conv2d 1x1 -> K, with c_m = max(c_0 / 4, K).

    The mask of detection j is ``sigmoid(sum_k a_jk P_k)`` (a = its coefficients), cropped to its
    box and upsampled to the image.

    Mask loss, over the positives of the detection assignment (each takes the mask of its GT,
    downsampled to H/4 x W/4 by area averaging and thresholded at 0.5):

        loss_mask = (1 / N_pos) * sum_j (1 / |box_j|) * sum_{pixels in box_j} l(m_j, y_j),

    with |box_j| the GT box area in mask pixels and l the per-pixel loss of ``loss_mask``: BCE
    (``CrossEntropyLoss(use_sigmoid=True)``, YOLOv8) or the focal weighting of the paper's
    Formula 2, ``-alpha_t (1 - p_t)^gamma log p_t`` (mmdet ``FocalLoss`` with a dense target).
    YOLOv8's gain for it is the box gain, 7.5.

    Args:
        num_protos (int): K, the number of prototypes and coefficients (YOLOv8: 32).
        proto_channels (int): c_p; YOLOv8 scales 256 by the width factor (n 64, s 128, m 192,
            l 256, x 320).
        loss_mask (dict): The per-pixel mask loss.
        Others as :class:`YOLOv8Head`; ``test_cfg.mask_thr_binary`` (0.5) binarises the masks.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int] = (256, 512, 1024),
                 num_protos: int = 32,
                 proto_channels: int = 256,
                 loss_mask: ConfigType = dict(
                     type='CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                     loss_weight=7.5),
                 **kwargs) -> None:
        self.num_protos = num_protos
        self.proto_channels = proto_channels
        super().__init__(num_classes, in_channels, **kwargs)
        self.loss_mask = MODELS.build(loss_mask)

    def _init_layers(self) -> None:
        super()._init_layers()
        cfg = dict(norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        c_p = self.proto_channels
        self.proto = nn.Sequential(
            ConvModule(self.in_channels[0], c_p, 3, padding=1, **cfg),
            nn.ConvTranspose2d(c_p, c_p, 2, stride=2, bias=True),
            ConvModule(c_p, c_p, 3, padding=1, **cfg),
            ConvModule(c_p, self.num_protos, 1, **cfg))
        coeff_ch = max(self.in_channels[0] // 4, self.num_protos)
        self.coeff_branches = nn.ModuleList(
            self._branch(c, coeff_ch, self.num_protos) for c in self.in_channels)

    def forward(self, x: Tuple[Tensor, ...]) -> tuple:
        """Neck features -> (cls_scores, bbox_dists, coeff_preds, protos): per-level logits
        (B, C, H_l, W_l), DFL logits (B, 4R, H_l, W_l), coefficients (B, K, H_l, W_l) and the
        prototypes (B, K, H_0 * 2, W_0 * 2)."""
        cls_scores, bbox_dists = super().forward(x)
        coeff_preds = [branch(f) for f, branch in zip(x, self.coeff_branches)]
        return cls_scores, bbox_dists, coeff_preds, self.proto(x[0])

    # ------------------------------------------------------------------ training
    def _gt_masks_at(self, gt: InstanceData, size: Tuple[int, int], stride: int) -> Tensor:
        """GT masks (G, H, W) -> (G, size) float {0, 1} by area averaging over stride x stride."""
        if not hasattr(gt, 'masks'):
            raise KeyError(f'{type(self).__name__}: gt_instances have no masks; load them with '
                           "LoadAnnotations(with_mask=True) (the dataset needs 'segmentation')")
        masks = gt.masks
        if not isinstance(masks, Tensor):
            masks = masks.to_tensor(dtype=torch.float32, device=gt.labels.device)
        masks = masks.float()
        hm, wm = size
        full_h, full_w = hm * stride, wm * stride
        masks = F.pad(masks[:, :full_h, :full_w],
                      (0, max(full_w - masks.size(-1), 0), 0, max(full_h - masks.size(-2), 0)))
        return (F.avg_pool2d(masks[None], stride)[0] >= 0.5).float()

    def mask_loss(self, coeff_preds: List[Tensor], protos: Tensor, t: Dict[str, Tensor],
                  batch_gt_instances: InstanceList) -> Tensor:
        """``loss_mask`` of the class docstring, vectorised over the positives of each image."""
        coeffs = self._flatten(coeff_preds)  # (B, N, K)
        hm, wm = protos.shape[-2:]
        stride = int(round(self.strides[0] / 2))
        logits, targets, weights = [], [], []
        for i, gt in enumerate(batch_gt_instances):
            pos = t['fg'][i].nonzero(as_tuple=True)[0]
            if pos.numel() == 0:
                continue
            gt_masks = self._gt_masks_at(gt, (hm, wm), stride).to(protos.dtype)
            pred = (coeffs[i, pos] @ protos[i].reshape(self.num_protos, -1)).reshape(-1, hm, wm)
            boxes = t['gt_bboxes'][i, pos] / stride
            area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).clamp(min=1e-6)
            crop = box_crop_mask(boxes, hm, wm).to(pred.dtype) / area[:, None, None]
            logits.append(pred)
            targets.append(gt_masks[t['gt_inds'][i, pos]])
            weights.append(crop)
        num_pos = t['fg'].sum().clamp(min=1).to(protos.dtype)
        if not logits:
            return coeffs.sum() * 0 + protos.sum() * 0
        return self.loss_mask(torch.cat(logits), torch.cat(targets), weight=torch.cat(weights),
                              avg_factor=num_pos)

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_dists: List[Tensor],
                     coeff_preds: List[Tensor],
                     protos: Tensor,
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """Detection losses of :class:`YOLOv8Head` plus ``loss_mask``."""
        t = self.get_targets(cls_scores, bbox_dists, batch_gt_instances)
        losses = self.det_losses(t)
        losses['loss_mask'] = self.mask_loss(coeff_preds, protos, t, batch_gt_instances)
        return losses

    # ------------------------------------------------------------------ inference
    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_dists: List[Tensor],
                        coeff_preds: List[Tensor],
                        protos: Tensor,
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """Boxes as :class:`YOLOv8Head`, then for each kept detection a binary mask (n, H, W) at
        the original image size (``rescale``) or the network input size."""
        cfg = ConfigDict(self.test_cfg if cfg is None else cfg)
        boxes, _, _ = self.decode_bboxes([d.detach() for d in bbox_dists])
        scores = self._flatten([c.detach() for c in cls_scores]).sigmoid()
        coeffs = self._flatten([c.detach() for c in coeff_preds])
        results_list = []
        for i, meta in enumerate(batch_img_metas):
            results = self.predict_single(scores[i], boxes[i], meta, cfg, rescale, with_nms,
                                          coeffs=coeffs[i])
            results.masks = self.masks_from_coeffs(results.pop('coeffs'), protos[i].detach(),
                                                   results.bboxes, meta, cfg, rescale)
            results_list.append(results)
        return results_list

    def predict_single(self, scores: Tensor, boxes: Tensor, img_meta: dict, cfg: ConfigDict,
                       rescale: bool = False, with_nms: bool = True,
                       **extras: Tensor) -> InstanceData:
        """:meth:`YOLOv8Head.predict_single` with the boxes clipped to the image inside the
        letterbox (:func:`unpadded_shape`), not to the padded canvas, so that after ``rescale``
        they lie inside the original image."""
        meta = dict(img_meta, img_shape=unpadded_shape(img_meta))
        return super().predict_single(scores, boxes, meta, cfg, rescale, with_nms, **extras)

    def masks_from_coeffs(self, coeffs: Tensor, proto: Tensor, bboxes: Tensor, img_meta: dict,
                          cfg: ConfigDict, rescale: bool) -> Tensor:
        """(n, K) coefficients and (K, Hm, Wm) prototypes -> (n, H, W) bool masks cropped to the
        (n, 4) boxes, which are in the output frame.

        The output frame is the original image (``ori_shape``) if ``rescale``, else the network
        input (``img_shape``). With ``rescale`` the prototype canvas (input size / s_p, s_p the
        prototype stride) is upsampled by s_p / scale_factor in one bilinear step and cropped
        to ``ori_shape`` (as mmdet's RTMDet-Ins): the letterbox padding falls outside the crop
        instead of being stretched onto the image.
        """
        img_h, img_w = img_meta['img_shape'][:2]
        out_h, out_w = img_meta['ori_shape'][:2] if rescale else (img_h, img_w)
        if coeffs.size(0) == 0:
            return torch.zeros((0, out_h, out_w), dtype=torch.bool, device=proto.device)
        hm, wm = proto.shape[-2:]
        stride = self.strides[0] / 2
        scale_w, scale_h = (1.0, 1.0)
        if rescale and img_meta.get('scale_factor') is not None:
            scale_w, scale_h = (float(v) for v in img_meta['scale_factor'][:2])
        probs = (coeffs @ proto.reshape(self.num_protos, -1)).sigmoid().reshape(1, -1, hm, wm)
        size = (math.ceil(hm * stride / scale_h), math.ceil(wm * stride / scale_w))
        probs = F.interpolate(probs, size=size, mode='bilinear', align_corners=False)
        probs = probs[..., :out_h, :out_w]
        if probs.shape[-2:] != (out_h, out_w):  # the canvas is smaller than the output frame
            probs = F.pad(probs, (0, out_w - probs.size(-1), 0, out_h - probs.size(-2)))
        masks = probs[0] > cfg.get('mask_thr_binary', 0.5)
        return masks & box_crop_mask(bboxes, out_h, out_w)
