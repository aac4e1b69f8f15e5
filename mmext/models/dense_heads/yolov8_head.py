"""YOLOv8's decoupled anchor-free head with DFL box regression, for BCE or the refined GFL."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
from mmdet.models.dense_heads.gfl_head import Integral
from mmdet.models.utils import filter_scores_and_topk
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptInstanceList, OptMultiConfig
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor


@MODELS.register_module()
class YOLOv8Head(BaseDenseHead):
    """Detection head of YOLOv8, with the classification loss of choice.

    Per level l (stride s_l, input channels c_l), two independent branches (no weight sharing
    across levels, as in YOLOv8):

    * box: ConvModule 3x3 (c_l -> c_b), ConvModule 3x3 (c_b -> c_b), Conv2d 1x1 -> 4 * R,
      with c_b = max(16, c_0 / 4, 4R);
    * cls: ConvModule 3x3 (c_l -> c_c), ConvModule 3x3 (c_c -> c_c), Conv2d 1x1 -> C,
      with c_c = max(c_0, min(C, 100)).

    Box decoding (Distribution Focal Loss representation, GFL Eq. 6): each side distance d in
    units of the stride is the expectation of a softmax over R bins with values 0..R-1,
    ``d = sum_i softmax(z)_i * i`` (mmdet's :class:`~mmdet.models.dense_heads.gfl_head.Integral`
    with ``reg_max = R - 1``; YOLOv8 counts R = 16 bins, mmdet's GFL head 17). The box is
    ``(x - d_l s, y - d_t s, x + d_r s, y + d_b s)`` around the grid point (x, y) (offset 0.5).

    Training (per image): :class:`YOLOv8TaskAlignedAssigner` assigns GTs to points and gives each
    positive a soft score t_hat (TOOD normalisation). With T = max(sum of t_hat over the batch, 1):

    * ``loss_cls = L_cls(logits, targets) / T``, targets one-hot times a score that is t_hat
      (``cls_target='assigned'``, YOLOv8), the IoU of the detached predicted box with its GT
      (``cls_target='iou'``, GFL's QFL target) or 1 (``cls_target='hard'``: hard labels, with
      which :class:`RefinedQualityFocalLoss` with ``alpha`` is the paper's Formula 1 as printed,
      ``-alpha_t (1 - p_t)^gamma log p_t``). L_cls is BCE for the YOLOv8 baseline or QFL
      (:class:`RefinedQualityFocalLoss`) for the refined GFL.
    * ``loss_bbox = sum_pos t_hat * (1 - CIoU) / T`` (:class:`YOLOv8CIoULoss`, boxes in stride
      units; Ultralytics' CIoU by default, mmdet's IoU > 0.5 gate on the aspect term as an
      option, or mmdet's ``CIoULoss``).
    * ``loss_dfl = sum_pos t_hat * mean_sides DFL / T`` (mmdet ``DistributionFocalLoss``, GFL
      Eq. 6; targets clamped to [0, R - 1 - 0.01]).

    YOLOv8's gains are box 7.5, cls 0.5, dfl 1.5 (``loss_weight`` of the three losses). Unlike
    Ultralytics and mmyolo the losses are not multiplied by the batch size: gradients are
    ``1 / (batch x accumulation)`` of Ultralytics' (see the configs' ``clip_grad``); with AdamW
    this changes nothing but the logged values and the meaning of a clipping threshold.

    ``monitor_cls`` logs other classification losses on the same logits and targets, without
    gradient (e.g. BCE beside QFL), so runs with different classification losses can be compared
    on one scale.

    Args:
        num_classes (int): C.
        in_channels (Sequence[int]): Channels of the three neck outputs.
        strides (Sequence[int]): Their strides.
        reg_max (int): R, the number of DFL bins per side (YOLOv8: 16).
        cls_target (str): 'assigned', 'iou' or 'hard', see above.
        loss_cls, loss_bbox, loss_dfl (dict): Loss configs.
        monitor_cls (dict, optional): ``{log name: loss config}``, logged only; a name must not
            contain 'loss' (mmengine would add it to the total).
        train_cfg (dict): ``assigner`` config.
        test_cfg (dict): ``nms_pre``, ``score_thr``, ``nms``, ``max_per_img`` (YOLOv8 validation:
            30000, 0.001, IoU 0.7, 300); multi-label, class-aware NMS.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int] = (256, 512, 1024),
                 strides: Sequence[int] = (8, 16, 32),
                 reg_max: int = 16,
                 cls_target: str = 'assigned',
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='SiLU', inplace=True),
                 loss_cls: ConfigType = dict(
                     type='CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                     loss_weight=0.5),
                 loss_bbox: ConfigType = dict(type='YOLOv8CIoULoss', reduction='mean',
                                              loss_weight=7.5),
                 loss_dfl: ConfigType = dict(type='DistributionFocalLoss', reduction='mean',
                                             loss_weight=1.5),
                 monitor_cls: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(strides):
            raise ValueError(f'{type(self).__name__}: in_channels {list(in_channels)} and strides '
                             f'{list(strides)} must have the same length')
        if cls_target not in ('assigned', 'iou', 'hard'):
            raise ValueError(f"{type(self).__name__}: cls_target must be 'assigned', 'iou' or "
                             f"'hard', got {cls_target!r}")
        for name in (monitor_cls or {}):
            if 'loss' in name:
                raise ValueError(f'{type(self).__name__}: monitor_cls name {name!r} contains '
                                 "'loss'; mmengine would add it to the training loss")
        if reg_max < 2:
            raise ValueError(f'{type(self).__name__}: reg_max (bins per side) must be >= 2')
        self.num_classes = num_classes
        self.cls_out_channels = num_classes
        self.use_sigmoid_cls = True
        self.in_channels = list(in_channels)
        self.strides = list(strides)
        self.reg_max = reg_max
        self.cls_target = cls_target
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.prior_generator = TASK_UTILS.build(
            dict(type='MlvlPointGenerator', offset=0.5, strides=self.strides))
        self.bbox_coder = TASK_UTILS.build(dict(type='DistancePointBBoxCoder'))
        self.integral = Integral(reg_max - 1)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_dfl = MODELS.build(loss_dfl)
        self.monitor_cls = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in (monitor_cls or {}).items()})
        if train_cfg:
            self.assigner = TASK_UTILS.build(train_cfg['assigner'])
        self._init_layers()

    def _branch(self, in_ch: int, mid_ch: int, out_ch: int) -> nn.Sequential:
        cfg = dict(padding=1, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        return nn.Sequential(
            ConvModule(in_ch, mid_ch, 3, **cfg), ConvModule(mid_ch, mid_ch, 3, **cfg),
            nn.Conv2d(mid_ch, out_ch, 1))

    def _init_layers(self) -> None:
        reg_ch = max(16, self.in_channels[0] // 4, 4 * self.reg_max)
        cls_ch = max(self.in_channels[0], min(self.num_classes, 100))
        self.reg_branches = nn.ModuleList(
            self._branch(c, reg_ch, 4 * self.reg_max) for c in self.in_channels)
        self.cls_branches = nn.ModuleList(
            self._branch(c, cls_ch, self.num_classes) for c in self.in_channels)

    def init_weights(self) -> None:
        """YOLOv8's bias priors: box logits 1.0, class logits log(5 / C / (640 / s)^2)."""
        super().init_weights()
        for reg, cls, stride in zip(self.reg_branches, self.cls_branches, self.strides):
            nn.init.constant_(reg[-1].bias, 1.0)
            nn.init.constant_(cls[-1].bias, math.log(5 / self.num_classes / (640 / stride)**2))

    def forward(self, x: Tuple[Tensor, ...]) -> Tuple[List[Tensor], List[Tensor]]:
        """Neck features -> (cls_scores, bbox_dists).

        Returns per level: logits (B, C, H_l, W_l) and DFL logits (B, 4R, H_l, W_l) laid out side
        by side (left, top, right, bottom), R bins each.
        """
        if len(x) != len(self.strides):
            raise ValueError(f'{type(self).__name__} got {len(x)} feature maps, expects '
                             f'{len(self.strides)}')
        cls_scores = [branch(f) for f, branch in zip(x, self.cls_branches)]
        bbox_dists = [branch(f) for f, branch in zip(x, self.reg_branches)]
        return cls_scores, bbox_dists

    # ------------------------------------------------------------------ decoding
    def decode_distances(self, dist_logits: Tensor) -> Tensor:
        """DFL logits (..., 4R) -> expected side distances (..., 4), in bins (stride units)."""
        shape = dist_logits.shape[:-1]
        return self.integral(dist_logits.reshape(-1, 4 * self.reg_max)).reshape(*shape, 4)

    def _flatten(self, maps: List[Tensor]) -> Tensor:
        """Per-level (B, K, H, W) maps -> (B, sum H W, K), levels in order, row-major."""
        b = maps[0].size(0)
        return torch.cat([m.permute(0, 2, 3, 1).reshape(b, -1, m.size(1)) for m in maps], dim=1)

    def _priors(self, featmap_sizes, dtype, device) -> Tensor:
        """(N, 4) grid points with strides: x, y, stride_w, stride_h."""
        return torch.cat(self.prior_generator.grid_priors(
            featmap_sizes, dtype=dtype, device=device, with_stride=True))

    def decode_bboxes(self, bbox_dists: List[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """Per-level DFL logits -> (boxes (B, N, 4) xyxy pixels, distances (B, N, 4) in bins,
        priors (N, 4))."""
        priors = self._priors([d.shape[-2:] for d in bbox_dists], bbox_dists[0].dtype,
                              bbox_dists[0].device)
        dist = self.decode_distances(self._flatten(bbox_dists))
        points, stride = priors[:, :2], priors[:, 2:3]
        boxes = torch.cat([points - dist[..., :2] * stride, points + dist[..., 2:] * stride], -1)
        return boxes, dist, priors

    # ------------------------------------------------------------------ training
    def get_targets(self, cls_scores: List[Tensor], bbox_dists: List[Tensor],
                    batch_gt_instances: InstanceList) -> Dict[str, Tensor]:
        """Flatten predictions and assign targets for the whole batch.

        Returns a dict with (B, N, ...) tensors: ``cls`` logits, ``dist_logits``, ``bboxes``
        (decoded, pixels), ``priors`` (N, 4), and targets ``fg`` (bool), ``labels``,
        ``gt_inds`` (0-based index into the image's GTs, -1 background), ``gt_bboxes`` (pixels)
        and ``scores`` (t_hat).
        """
        if not self.train_cfg or not hasattr(self, 'assigner'):
            raise RuntimeError(f'{type(self).__name__}: training needs train_cfg.assigner')
        cls = self._flatten(cls_scores)
        dist_logits = self._flatten(bbox_dists)
        bboxes, _, priors = self.decode_bboxes(bbox_dists)
        probs = cls.detach().sigmoid()
        fg, labels, gt_inds, gt_bboxes, scores = [], [], [], [], []
        for i, gt in enumerate(batch_gt_instances):
            pred = InstanceData(priors=priors, bboxes=bboxes[i].detach(), scores=probs[i])
            result = self.assigner.assign(pred, gt)
            pos = result.gt_inds > 0
            idx = (result.gt_inds - 1).clamp(min=0)
            gtb = gt.bboxes.tensor if hasattr(gt.bboxes, 'tensor') else gt.bboxes
            fg.append(pos)
            labels.append(result.labels)
            gt_inds.append(torch.where(pos, idx, torch.full_like(idx, -1)))
            gt_bboxes.append(gtb[idx] if gtb.numel() else bboxes.new_zeros(bboxes.shape[1:]))
            scores.append(result.assign_metrics * pos)
        return dict(cls=cls, dist_logits=dist_logits, bboxes=bboxes, priors=priors,
                    fg=torch.stack(fg), labels=torch.stack(labels), gt_inds=torch.stack(gt_inds),
                    gt_bboxes=torch.stack(gt_bboxes).to(bboxes.dtype), scores=torch.stack(scores))

    def det_losses(self, t: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The three detection losses from :meth:`get_targets`' output (see class docstring)."""
        fg = t['fg']
        avg_factor = t['scores'].sum().clamp(min=1)
        # classification target: one-hot x score
        if self.cls_target == 'iou':
            iou = bbox_overlaps(t['bboxes'].detach(), t['gt_bboxes'], is_aligned=True)
            score = iou.clamp(min=0) * fg
        elif self.cls_target == 'hard':
            score = fg.to(t['scores'].dtype)
        else:
            score = t['scores']
        cls_target = torch.zeros_like(t['cls'])
        pos_b, pos_n = fg.nonzero(as_tuple=True)
        cls_target[pos_b, pos_n, t['labels'][pos_b, pos_n]] = score[pos_b, pos_n].to(
            cls_target.dtype)
        cls_pred = t['cls'].reshape(-1, self.num_classes)
        cls_target = cls_target.reshape(-1, self.num_classes)
        loss_cls = self.loss_cls(cls_pred, cls_target, avg_factor=avg_factor)
        monitors = {}
        with torch.no_grad():
            for name, loss in self.monitor_cls.items():
                monitors[name] = loss(cls_pred.detach(), cls_target, avg_factor=avg_factor)
        if pos_b.numel() == 0:
            zero = t['dist_logits'].sum() * 0
            return dict(loss_cls=loss_cls, loss_bbox=zero, loss_dfl=zero, **monitors)
        stride = t['priors'][pos_n, 2:3]
        points = t['priors'][pos_n, :2] / stride
        weight = t['scores'][pos_b, pos_n]
        pred_boxes = t['bboxes'][pos_b, pos_n] / stride
        target_boxes = t['gt_bboxes'][pos_b, pos_n] / stride
        loss_bbox = self.loss_bbox(pred_boxes, target_boxes, weight=weight, avg_factor=avg_factor)
        dist_target = self.bbox_coder.encode(points, target_boxes, self.reg_max - 1, eps=0.01)
        loss_dfl = self.loss_dfl(
            t['dist_logits'][pos_b, pos_n].reshape(-1, self.reg_max), dist_target.reshape(-1),
            weight=weight[:, None].expand(-1, 4).reshape(-1), avg_factor=4 * avg_factor)
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox, loss_dfl=loss_dfl, **monitors)

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_dists: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """Losses of a batch (see class docstring)."""
        return self.det_losses(self.get_targets(cls_scores, bbox_dists, batch_gt_instances))

    # ------------------------------------------------------------------ inference
    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_dists: List[Tensor],
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """Boxes per image: decode, keep class scores > ``score_thr`` (multi-label, top
        ``nms_pre``), clip to the image, class-aware NMS, ``max_per_img``, optional rescale."""
        cfg = ConfigDict(self.test_cfg if cfg is None else cfg)
        boxes, _, _ = self.decode_bboxes([d.detach() for d in bbox_dists])
        scores = self._flatten([c.detach() for c in cls_scores]).sigmoid()
        return [
            self.predict_single(scores[i], boxes[i], meta, cfg, rescale, with_nms)
            for i, meta in enumerate(batch_img_metas)
        ]

    def predict_single(self, scores: Tensor, boxes: Tensor, img_meta: dict, cfg: ConfigDict,
                       rescale: bool = False, with_nms: bool = True,
                       **extras: Tensor) -> InstanceData:
        """One image: scores (N, C), boxes (N, 4); ``extras`` (N, ...) are filtered alongside."""
        h, w = img_meta['img_shape'][:2]
        boxes = torch.stack([boxes[:, 0].clamp(0, w), boxes[:, 1].clamp(0, h),
                             boxes[:, 2].clamp(0, w), boxes[:, 3].clamp(0, h)], dim=1)
        score, labels, _, kept = filter_scores_and_topk(
            scores, cfg.get('score_thr', 0), cfg.get('nms_pre', -1) if cfg.get('nms_pre', -1) > 0
            else scores.numel(), dict(bboxes=boxes, **extras))
        results = InstanceData(scores=score, labels=labels, **kept)
        return self._bbox_post_process(results, cfg, rescale=rescale, with_nms=with_nms,
                                       img_meta=img_meta)
