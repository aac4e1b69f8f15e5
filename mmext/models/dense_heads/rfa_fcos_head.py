"""FCOS head with MMMC's receptive field adaptor and GIoU quality branch (arXiv 2112.08902)."""
import copy
from typing import Dict, List, Optional, Tuple

import torch
from mmcv.cnn import ConvModule
from mmdet.models.dense_heads import FCOSHead
from mmdet.models.utils import filter_scores_and_topk
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor
from mmdet.utils import ConfigType, InstanceList, OptInstanceList, reduce_mean
from mmengine.config import ConfigDict
from mmengine.model import normal_init
from mmengine.structures import InstanceData
from torch import Tensor

from mmext.structures import ltrb_giou

# mmcv's DCNv1 (DeformConv2d) refuses a bias
_BIASLESS_CONVS = ('DCN', 'DeformConv2dPack', 'DeformConv2d')


def check_gt_instances(batch_gt_instances: InstanceList, batch_img_metas: List[dict]) -> None:
    """Refuse NaN or inf gt box coordinates, naming the image and the field."""
    for i, gt in enumerate(batch_gt_instances):
        boxes = get_box_tensor(gt.bboxes)
        if boxes.numel() and not bool(torch.isfinite(boxes).all()):
            meta = batch_img_metas[i] if i < len(batch_img_metas) else {}
            name = meta.get('img_path', meta.get('img_id', f'image {i} of the batch'))
            row = int((~torch.isfinite(boxes)).any(-1).nonzero()[0])
            raise ValueError(f'RFAFCOSHead: {name}: gt_instances.bboxes[{row}] = '
                             f'{boxes[row].tolist()} holds a NaN or inf coordinate')


@MODELS.register_module()
class RFAFCOSHead(FCOSHead):
    """FCOS head with a receptive field adaptor (RFA), a GIoU quality branch and, optionally, the
    aligned points sampler (APS) as its assigner: the head of MMMC (arXiv 2112.08902).

    * **RFA** (Sec. 3.1, Eqs. 2-3). The conv at position ``rfa_position`` (1-4, 1-based) of the
      classification tower and the one at the same position of the regression tower are deformable
      convs (``rfa_conv_cfg``: ``DCNv2`` as the official code, or ``DCN``): two independent DCNs,
      each shared across FPN levels. The paper places them at the first conv ("the first step of
      detector's head", Table 3 ablates 1-4); the official code (HaoGood/MOD) at the last, 4.
      ``rfa_position=None`` gives the plain FCOS towers. The offset convs start at zero (mmdet's
      ``BaseDenseHead.init_weights``); ``rfa_offset_std=0.01`` reproduces the official code, whose
      tower init also draws them from N(0, 0.01).
    * **Quality branch** (Sec. 4.1). ``conv_centerness`` (on the regression tower with
      ``centerness_on_reg=True``) predicts the GIoU of the decoded box with its target, trained with
      ``loss_centerness`` (BCE) at the positives (``quality='giou'``). The official code does not
      detach that target (``detach_quality_target=False``, default) and only clamps it at 1; here
      it is also clamped from below at ``quality_target_min`` (0), because mmdet's BCE ignores
      negative targets and a negative BCE target makes the loss unbounded. ``quality='centerness'``
      is FCOS's centerness branch (Table 2, "FCOS*").
    * **Scores** (official ``inference.py``). ``score_fusion='sqrt'`` ranks boxes by
      ``sqrt(sigmoid(cls) * sigmoid(quality))``; ``'product'`` is FCOS's ``cls * quality``. The
      ``score_thr`` of ``test_cfg`` applies to the classification score before fusion, as in both.
    * **Assignment**. With ``train_cfg=dict(assigner=dict(type='APSAssigner', ...))`` every image's
      points are assigned by APS from the head's own ``loss_cls`` and ``loss_bbox`` (under
      ``no_grad``); without it, by FCOS's rules (regress ranges, ``center_sampling``).
    * **Losses**. Focal loss on all points (``avg_factor`` = #positives); the GIoU loss of the
      positives weighted by FCOS's centerness target (``reg_loss_weight='centerness'``, FCOS and the
      official code) or unweighted (``'none'``); the quality loss above. ``iou_smooth=1`` computes
      the GIoU of the box loss and of the quality target as the released code does: on the
      ``(l, t, r, b)`` distances in the units of the regression targets (strides, with
      ``norm_on_bbox``) with the IoU smoothed as ``(I + 1) / (U + 1)``
      (:func:`~mmext.structures.ltrb_giou`); 0 (default) is mmdet's ``GIoULoss`` and
      ``bbox_overlaps``.
    * **Pre-NMS selection**. ``nms_pre_score='cls'`` (default, mmdet's FCOS): the ``nms_pre``
      boxes of each level with the highest classification score; ``'fused'`` (the released
      ``inference.py``): of the boxes whose classification score passes ``score_thr``, the
      ``nms_pre`` with the highest ``cls * quality``.
    * **Official options**. The released code's head is ``rfa_position=4, rfa_offset_std=0.01,
      iou_smooth=1.0, nms_pre_score='fused'`` with ``APSAssigner(official=True)``
      (``configs/mmmc/mmmc-official_r50-caffe_fpn_gn-head_1x_coco.py``).

    Ground truths with no grid point inside their box, zero-area boxes and boxes partly or wholly
    outside the image get no positive (with APS or FCOS targets); the image still trains. A NaN or
    inf gt coordinate raises a ``ValueError`` naming the image and the field.

    With ``record_instance_loss = True`` (set by :class:`~mmext.engine.hooks.LossGapHook`), each
    training step also stores ``instance_loss_stats``: for every gt with positives, the mean over
    its positives of ``L_cls`` (focal loss summed over classes) and ``L_reg`` (box loss), as
    ``gap = |L_cls - L_reg|`` and ``sum = L_cls + L_reg`` (Tables 4-5).

    Args:
        num_classes (int): number of classes.
        in_channels (int): channels of the input feature maps.
        rfa_position (int, optional): 1-based tower position of the two DCNs; None for none.
            Defaults to 1 (the paper).
        rfa_conv_cfg (dict): conv config of the DCNs. Defaults to ``dict(type='DCNv2')``.
        rfa_offset_std (float): std of the offset convs' normal init; 0 for zero init.
        quality (str): 'giou' or 'centerness'. Defaults to 'giou'.
        detach_quality_target (bool): detach the GIoU target. Defaults to False (official code).
        quality_target_min (float, optional): lower clamp of the GIoU target. Defaults to 0.
        score_fusion (str): 'sqrt' or 'product'. Defaults to 'sqrt'.
        reg_loss_weight (str): 'centerness' or 'none'. Defaults to 'centerness'.
        iou_smooth (float): IoU smoothing of the released code (1.0) or none (0.0, default).
        nms_pre_score (str): 'cls' (default) or 'fused', see above.
        **kwargs: the arguments of :class:`mmdet.models.dense_heads.FCOSHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 rfa_position: Optional[int] = 1,
                 rfa_conv_cfg: ConfigType = dict(type='DCNv2'),
                 rfa_offset_std: float = 0.0,
                 quality: str = 'giou',
                 detach_quality_target: bool = False,
                 quality_target_min: Optional[float] = 0.0,
                 score_fusion: str = 'sqrt',
                 reg_loss_weight: str = 'centerness',
                 iou_smooth: float = 0.0,
                 nms_pre_score: str = 'cls',
                 **kwargs) -> None:
        stacked_convs = kwargs.get('stacked_convs', 4)
        if rfa_position is not None and not 1 <= rfa_position <= stacked_convs:
            raise ValueError(f'RFAFCOSHead: rfa_position={rfa_position} must be None or in '
                             f'1..stacked_convs ({stacked_convs})')
        for name, value, allowed in (('quality', quality, ('giou', 'centerness')),
                                     ('score_fusion', score_fusion, ('sqrt', 'product')),
                                     ('reg_loss_weight', reg_loss_weight,
                                      ('centerness', 'none')),
                                     ('nms_pre_score', nms_pre_score, ('cls', 'fused'))):
            if value not in allowed:
                raise ValueError(f'RFAFCOSHead: {name}={value!r} is not one of {allowed}')
        self.rfa_position = rfa_position
        self.rfa_conv_cfg = dict(rfa_conv_cfg)
        self.rfa_offset_std = rfa_offset_std
        self.quality = quality
        self.detach_quality_target = detach_quality_target
        self.quality_target_min = quality_target_min
        self.score_fusion = score_fusion
        self.reg_loss_weight = reg_loss_weight
        if iou_smooth < 0:
            raise ValueError(f'RFAFCOSHead: iou_smooth={iou_smooth} must be >= 0')
        self.iou_smooth = float(iou_smooth)
        self.nms_pre_score = nms_pre_score
        super().__init__(num_classes, in_channels, **kwargs)
        if self.iou_smooth > 0 and type(self.loss_bbox).__name__ != 'GIoULoss':
            raise ValueError(f'RFAFCOSHead: iou_smooth={iou_smooth} replaces the GIoU of the box '
                             f'loss, so loss_bbox must be a GIoULoss; got '
                             f'{type(self.loss_bbox).__name__}')
        assigner_cfg = (self.train_cfg or {}).get('assigner', None)
        self.assigner = TASK_UTILS.build(assigner_cfg) if assigner_cfg else None
        # read and written by LossGapHook
        self.record_instance_loss = False
        self.instance_loss_stats: Optional[Dict[str, Tensor]] = None

    # ------------------------------------------------------------------ layers
    def _init_layers(self) -> None:
        """FCOS's layers, then the conv at ``rfa_position`` of each tower becomes a DCN."""
        super()._init_layers()
        if self.rfa_position is None:
            return
        idx = self.rfa_position - 1
        bias = False if self.rfa_conv_cfg['type'] in _BIASLESS_CONVS else self.conv_bias
        for tower in (self.cls_convs, self.reg_convs):
            tower[idx] = ConvModule(
                self.in_channels if idx == 0 else self.feat_channels,
                self.feat_channels,
                3,
                stride=1,
                padding=1,
                conv_cfg=self.rfa_conv_cfg,
                norm_cfg=self.norm_cfg,
                bias=bias)

    def rfa_convs(self) -> List[torch.nn.Module]:
        """The two deformable convs (classification, regression); empty without RFA."""
        if self.rfa_position is None:
            return []
        return [tower[self.rfa_position - 1].conv for tower in (self.cls_convs, self.reg_convs)]

    def init_weights(self) -> None:
        """mmdet's init (offset convs zeroed), then N(0, rfa_offset_std) offsets if asked."""
        super().init_weights()
        if self.rfa_offset_std > 0:
            for conv in self.rfa_convs():
                normal_init(conv.conv_offset, std=self.rfa_offset_std, bias=0)

    # ------------------------------------------------------------------ loss
    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     centernesses: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """Focal, GIoU and quality losses; targets from APS or, without an assigner, FCOS.

        Args:
            cls_scores (list[Tensor]): per level (B, C, H, W) logits.
            bbox_preds (list[Tensor]): per level (B, 4, H, W) distances (stride units when
                ``norm_on_bbox``).
            centernesses (list[Tensor]): per level (B, 1, H, W) quality logits.
            batch_gt_instances (list[InstanceData]): ``bboxes`` and ``labels`` per image.
            batch_img_metas (list[dict]): image metas.
            batch_gt_instances_ignore: unused (neither FCOS nor APS has ignore regions).

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox`` and ``loss_quality`` (``quality='giou'``)
            or ``loss_centerness``.
        """
        assert len(cls_scores) == len(bbox_preds) == len(centernesses)
        check_gt_instances(batch_gt_instances, batch_img_metas)
        num_imgs = cls_scores[0].size(0)
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        points = self.prior_generator.grid_priors(
            featmap_sizes, dtype=bbox_preds[0].dtype, device=bbox_preds[0].device)
        num_points = [p.size(0) for p in points]

        def by_image(feats: List[Tensor], channels: int) -> Tensor:
            """per-level (B, c, H, W) -> (B, P, c), levels concatenated."""
            return torch.cat(
                [f.permute(0, 2, 3, 1).reshape(num_imgs, -1, channels) for f in feats], dim=1)

        cls_all = by_image(cls_scores, self.cls_out_channels)
        bbox_all = by_image(bbox_preds, 4)
        quality_all = by_image(centernesses, 1)[..., 0]
        points_all = torch.cat(points)
        strides_all = torch.cat([
            p.new_full((p.size(0), ), float(s if isinstance(s, (int, float)) else s[0]))
            for p, s in zip(points, self.strides)
        ])

        if self.assigner is None:
            labels_lvl, targets_lvl = self.get_targets(points, batch_gt_instances)
            labels = torch.cat([t.view(num_imgs, -1) for t in labels_lvl], dim=1)
            bbox_targets = torch.cat([t.view(num_imgs, -1, 4) for t in targets_lvl], dim=1)
            gt_inds = None
        else:
            labels, bbox_targets, gt_inds = self.get_aps_targets(
                cls_all, bbox_all, points_all, strides_all, num_points, batch_gt_instances)

        flat_cls = cls_all.reshape(-1, self.cls_out_channels)
        flat_labels = labels.reshape(-1)
        pos_inds = ((flat_labels >= 0) & (flat_labels < self.num_classes)).nonzero().reshape(-1)
        num_pos = max(
            reduce_mean(torch.tensor(len(pos_inds), dtype=torch.float, device=flat_cls.device)),
            1.0)
        loss_cls = self.loss_cls(flat_cls, flat_labels, avg_factor=num_pos)

        pos_bbox_preds = bbox_all.reshape(-1, 4)[pos_inds]
        pos_bbox_targets = bbox_targets.reshape(-1, 4)[pos_inds]
        pos_quality = quality_all.reshape(-1)[pos_inds]
        pos_points = points_all.repeat(num_imgs, 1)[pos_inds]
        centerness_targets = self.centerness_target(pos_bbox_targets)
        if self.reg_loss_weight == 'centerness':
            reg_weight = centerness_targets
            reg_denorm = max(reduce_mean(centerness_targets.sum().detach()), 1e-6)
        else:
            reg_weight, reg_denorm = None, num_pos
        quality_key = 'loss_quality' if self.quality == 'giou' else 'loss_centerness'

        if len(pos_inds) > 0:
            pos_decoded_preds = self.bbox_coder.decode(pos_points, pos_bbox_preds)
            pos_decoded_targets = self.bbox_coder.decode(pos_points, pos_bbox_targets)
            if self.iou_smooth > 0:
                giou = ltrb_giou(pos_bbox_preds, pos_bbox_targets, smooth=self.iou_smooth)[1]
                weight = 1.0 if reg_weight is None else reg_weight
                loss_bbox = self.loss_bbox.loss_weight * ((1 - giou) * weight).sum() / reg_denorm
            else:
                loss_bbox = self.loss_bbox(pos_decoded_preds, pos_decoded_targets,
                                           weight=reg_weight, avg_factor=reg_denorm)
            quality_targets = self.quality_targets(pos_decoded_preds, pos_decoded_targets,
                                                   centerness_targets, pos_bbox_preds,
                                                   pos_bbox_targets)
            loss_quality = self.loss_centerness(pos_quality, quality_targets, avg_factor=num_pos)
        else:
            pos_decoded_preds = pos_decoded_targets = None
            loss_bbox = pos_bbox_preds.sum()
            loss_quality = pos_quality.sum()

        if self.record_instance_loss:
            self.instance_loss_stats = self._instance_loss_stats(
                flat_cls, flat_labels, pos_inds, pos_decoded_preds, pos_decoded_targets, gt_inds,
                pos_points, strides_all.repeat(num_imgs)[pos_inds], points_all.size(0),
                batch_gt_instances)
        return {'loss_cls': loss_cls, 'loss_bbox': loss_bbox, quality_key: loss_quality}

    def quality_targets(self, pos_decoded_preds: Tensor, pos_decoded_targets: Tensor,
                        centerness_targets: Tensor, pos_bbox_preds: Optional[Tensor] = None,
                        pos_bbox_targets: Optional[Tensor] = None) -> Tensor:
        """(num_pos,) targets of the quality branch: GIoU(pred, target) or FCOS centerness.

        With ``iou_smooth > 0`` the GIoU is the released smoothed one of the distances
        ``pos_bbox_preds`` and ``pos_bbox_targets`` (num_pos, 4)."""
        if self.quality == 'centerness':
            return centerness_targets
        if self.iou_smooth > 0:
            giou = ltrb_giou(pos_bbox_preds, pos_bbox_targets, smooth=self.iou_smooth)[1]
        else:
            giou = bbox_overlaps(pos_decoded_preds, pos_decoded_targets, mode='giou',
                                 is_aligned=True)
        if self.detach_quality_target:
            giou = giou.detach()
        return giou.clamp(min=self.quality_target_min, max=1.0)

    def get_aps_targets(self, cls_all: Tensor, bbox_all: Tensor, points_all: Tensor,
                        strides_all: Tensor, num_points: List[int],
                        batch_gt_instances: InstanceList) -> Tuple[Tensor, Tensor, Tensor]:
        """Labels (B, P), distance targets (B, P, 4) and 1-based gt indices (B, P) from APS.

        The assigner sees each image's logits and decoded boxes (image coordinates), detached, and
        computes its losses with this head's ``loss_cls`` and ``loss_bbox``.
        """
        scale = strides_all[:, None] if self.norm_on_bbox else strides_all.new_ones((1, 1))
        # (P, 4) points with their strides, as MlvlPointGenerator(with_stride=True) gives them
        priors = torch.cat([points_all, strides_all[:, None].expand(-1, 2)], dim=1)
        labels, targets, gt_inds = [], [], []
        for cls_img, bbox_img, gt_instances in zip(cls_all, bbox_all, batch_gt_instances):
            with torch.no_grad():
                pred_boxes = self.bbox_coder.decode(points_all, bbox_img.detach() * scale)
                result = self.assigner.assign(
                    InstanceData(priors=priors, scores=cls_img.detach(), bboxes=pred_boxes),
                    num_points, gt_instances, loss_cls=self.loss_cls, loss_bbox=self.loss_bbox)
            inds = result.gt_inds
            pos = inds > 0
            gt_bboxes = get_box_tensor(gt_instances.bboxes)
            label = inds.new_full((inds.size(0), ), self.num_classes)
            label[pos] = gt_instances.labels[inds[pos] - 1]
            target = bbox_img.new_zeros((inds.size(0), 4))
            if bool(pos.any()):
                target[pos] = self.bbox_coder.encode(points_all[pos],
                                                     gt_bboxes[inds[pos] - 1]) / scale.expand(
                                                         inds.size(0), 1)[pos]
            labels.append(label)
            targets.append(target)
            gt_inds.append(inds)
        return torch.stack(labels), torch.stack(targets), torch.stack(gt_inds)

    @torch.no_grad()
    def _instance_loss_stats(self, flat_cls: Tensor, flat_labels: Tensor, pos_inds: Tensor,
                             pos_decoded_preds: Optional[Tensor],
                             pos_decoded_targets: Optional[Tensor], gt_inds: Optional[Tensor],
                             pos_points: Tensor, pos_strides: Tensor, points_per_img: int,
                             batch_gt_instances: InstanceList) -> Dict[str, Tensor]:
        """Per gt with positives: ``gap = |mean L_cls - mean L_reg|``, ``sum = mean L_cls +
        mean L_reg`` over its positives (Tables 4-5); (num_instances,) each, on the CPU."""
        if len(pos_inds) == 0:
            empty = flat_cls.new_zeros((0, )).cpu()
            return dict(gap=empty, sum=empty.clone())
        pos_labels = flat_labels[pos_inds]
        onehot = torch.zeros_like(flat_cls[pos_inds])
        onehot[torch.arange(len(pos_inds), device=onehot.device), pos_labels] = 1
        cls_loss = self.loss_cls(
            flat_cls[pos_inds].detach(), onehot, reduction_override='none').sum(-1)
        reg_loss = self.loss_bbox(
            pos_decoded_preds.detach(), pos_decoded_targets,
            reduction_override='none').reshape(-1)
        img_ids = pos_inds // points_per_img
        max_gts = max(max(len(g) for g in batch_gt_instances), 1)
        if gt_inds is not None:
            pos_gt = gt_inds.reshape(-1)[pos_inds] - 1
        else:
            # FCOS targets carry no gt index: match each positive's target box to its image's gts
            scale = pos_strides[:, None] if self.norm_on_bbox else 1.0
            boxes = pos_decoded_targets.new_full((len(batch_gt_instances), max_gts, 4), 1e8)
            for i, gt in enumerate(batch_gt_instances):
                if len(gt) > 0:
                    boxes[i, :len(gt)] = get_box_tensor(gt.bboxes)
            xyxy = pos_points.repeat(1, 2)
            target_abs = xyxy + (pos_decoded_targets - xyxy) * scale
            pos_gt = (boxes[img_ids] - target_abs[:, None]).abs().sum(-1).argmin(1)
        keys = img_ids * max_gts + pos_gt
        uniq, inverse = torch.unique(keys, return_inverse=True)
        count = torch.zeros(len(uniq), device=keys.device).index_add_(
            0, inverse, torch.ones_like(cls_loss))
        mean_cls = torch.zeros_like(count).index_add_(0, inverse, cls_loss.float()) / count
        mean_reg = torch.zeros_like(count).index_add_(0, inverse, reg_loss.float()) / count
        return dict(gap=(mean_cls - mean_reg).abs().cpu(), sum=(mean_cls + mean_reg).cpu())

    # ------------------------------------------------------------------ predict
    def _predict_by_feat_single(self,
                                cls_score_list: List[Tensor],
                                bbox_pred_list: List[Tensor],
                                score_factor_list: List[Tensor],
                                mlvl_priors: List[Tensor],
                                img_meta: dict,
                                cfg: ConfigDict,
                                rescale: bool = False,
                                with_nms: bool = True) -> InstanceData:
        """mmdet's per-image prediction; with ``nms_pre_score='fused'`` the ``nms_pre`` boxes of
        each level are those with the highest ``cls * quality`` among the (box, class) pairs whose
        classification score passes ``score_thr`` (the released ``inference.py``)."""
        if self.nms_pre_score == 'cls' or score_factor_list[0] is None:
            return super()._predict_by_feat_single(cls_score_list, bbox_pred_list,
                                                   score_factor_list, mlvl_priors, img_meta, cfg,
                                                   rescale=rescale, with_nms=with_nms)
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        nms_pre = cfg.get('nms_pre', -1)
        score_thr = cfg.get('score_thr', 0)
        bboxes, scores, labels = [], [], []
        for cls_score, bbox_pred, quality, priors in zip(cls_score_list, bbox_pred_list,
                                                          score_factor_list, mlvl_priors):
            bbox_pred = bbox_pred.permute(1, 2, 0).reshape(-1, self.bbox_coder.encode_size)
            quality = quality.permute(1, 2, 0).reshape(-1).sigmoid()
            cls = cls_score.permute(1, 2, 0).reshape(-1, self.cls_out_channels).sigmoid()
            fused = torch.where(cls > score_thr, cls * quality[:, None], cls.new_tensor(-1.0))
            fused, level_labels, _, kept = filter_scores_and_topk(
                fused, -0.5, nms_pre, dict(bbox_pred=bbox_pred, priors=priors))
            bboxes.append(self.bbox_coder.decode(kept['priors'], kept['bbox_pred'],
                                                 max_shape=img_meta['img_shape']))
            scores.append(fused)
            labels.append(level_labels)
        results = InstanceData()
        results.bboxes = torch.cat(bboxes)
        results.scores = torch.cat(scores)
        results.labels = torch.cat(labels)
        results.score_factors = torch.ones_like(results.scores)  # already fused
        return self._bbox_post_process(results=results, cfg=cfg, rescale=rescale,
                                       with_nms=with_nms, img_meta=img_meta)

    def _bbox_post_process(self,
                           results: InstanceData,
                           cfg: ConfigDict,
                           rescale: bool = False,
                           with_nms: bool = True,
                           img_meta: Optional[dict] = None) -> InstanceData:
        """mmdet's post-processing; with ``score_fusion='sqrt'`` the score is
        ``sqrt(cls * quality)`` instead of ``cls * quality``."""
        if self.score_fusion == 'sqrt' and hasattr(results, 'score_factors'):
            score_factors = results.pop('score_factors')
            results.scores = (results.scores * score_factors).sqrt()
        return super()._bbox_post_process(
            results, cfg, rescale=rescale, with_nms=with_nms, img_meta=img_meta)
