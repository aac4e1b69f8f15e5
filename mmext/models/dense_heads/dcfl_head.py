"""DCFL head: RetinaNet-O with the prior capturing block and dynamic priors (Xu et al., CVPR 2023).

Per branch (classification and regression, ``feat_channels`` wide), following the official
``RDCFLHead`` of mmrotate-dcfl with ``stacked_convs=4``:

1. ``stacked_convs - 2`` 3×3 ``ConvModule`` s (conv + ReLU), as in RetinaHead;
2. a 3×3 conv with dilation ``dilation`` (official 3; 4 for DOTA-v1.0), no bias, no activation
   (the official code writes it as a deformable conv with fixed offsets, which is exactly this);
3. the **prior capturing block (PCB)**: a modulated deformable 3×3 conv (no bias, no activation).
   The regression branch predicts its offsets ``Δo`` (``[N, 18, H, W]``, mmcv's ``(y, x)`` per
   tap) and mask from its own feature (``pcb_offset``, 27 channels, like mmcv's
   ``ModulatedDeformConv2dPack``); the classification branch's deformable conv reuses them;
4. ``retina_cls`` / ``retina_reg`` 3×3 predictors.

**Dynamic priors** (Sec. 3.1, ``s̃ = s + st · Σᵢ Δoᵢ / (2n)``, n = 9 taps): each prior's centre
moves by the stride times half the mean sampling offset of its location. They are used only for
label assignment (:class:`DCFLAssigner`: similarity and DGMM positions); regression decoding and
inference keep the static square priors, so inference costs only the deformable convs. The
offsets are detached for assignment.

The head predicts with one square prior per location (``num_base_priors`` must be 1) and, like the
official configs, trains with focal loss and a rotated IoU loss on decoded boxes
(``reg_decoded_bbox=True``). ``forward`` returns ``(cls_scores, bbox_preds, offsets)``; the
assigner receives the dynamic priors, the predicted boxes (by default decoded from the static
priors with the head's coder) and the sigmoid class scores.

**The released head** (``RDCFLHead`` of Chasel-Tsui/mmrotate-dcfl, mmrotate 0.3 / mmcv 1.x) as an
option: ``official=True`` sets every behaviour below to the released one; each has its own
argument too, which wins over the switch when given (``None`` follows the switch).

- ``offset_scale``, the prior-shift scale: mmext ``'paper'``, ``st · Σᵢ Δoᵢ / (2n)`` (Sec. 3.1);
  released ``'official'``, ``img_h / 256 · 2^l · Σᵢ Δoᵢ / n`` on level l (``img_h`` of the batch's
  first image), i.e. the paper's times ``img_h / 1024`` for strides ``8 · 2^l`` (DIOR-R's 800 px:
  0.78).
- ``assign_pred_priors``, the priors the assigner's predicted boxes (its IoU in PT) are decoded
  from: mmext ``'static'``; released ``'dynamic'`` (the moved priors). The paper does not say.
- ``assign_bbox_coder``, the coder of those boxes: mmext ``'head'`` (the head's coder: le135,
  ``norm_factor=1``, ``proj_xy``); released ``'official'``, the released assigner's default
  ``DeltaXYWHAOBBoxCoder`` (:data:`OFFICIAL_ASSIGN_CODER`: angle version 'oc' and no norm factor,
  so the angle is the prior's plus the raw delta, not the delta times π, and is not wrapped;
  centre and size as the head's coder). The released priors have angle 0, mmrotate 1.x's square
  le135 priors π/2; with ``proj_xy`` the decode is the same box in either frame.
- ``dilated_init``, the init of the dilated convs: mmext ``'normal'``, the head's
  ``Normal(std=0.01)``; released ``'official'``: the released layer is mmcv's ``DeformConv2d``
  (fixed offsets), which keeps its own init, kaiming-uniform with ReLU gain,
  ``U(±√(6 / fan_in))``, std ``√(2 / fan_in)`` (0.029 for 256 channels, ``fan_in = C · 9``).

The other parts of the PCB already initialise as released: the offset conv gets the head's
``Normal(std=0.01)`` (the released ``ModulatedDeformConvG`` zero-initialises it, but the head's
init overrides that), the two modulated deformable convs keep mmcv's ``U(±1/√(C·9))`` and the
plain convs get ``Normal(std=0.01)``. Unchanged in both modes: regression decoding for the loss
and inference use the static priors; the offsets are detached for assignment; the losses are
normalised by ``Σ max(num_pos, 1)`` over the images (mmdet 2.x and 3.x alike). The assigner's
side of the released code is ``DCFLAssigner(official=True)``.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmcv.ops import ModulatedDeformConv2d
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.models.utils import images_to_levels, multi_apply, unmap
from mmdet.structures.bbox import cat_boxes, get_box_tensor
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.structures import InstanceData
from mmrotate.models.dense_heads import RotatedRetinaHead
from mmrotate.registry import MODELS, TASK_UTILS
from torch import Tensor

_OFFSET_SCALES = ('paper', 'official')
_ASSIGN_PRED_PRIORS = ('static', 'dynamic')
_ASSIGN_CODERS = ('head', 'official')
_DILATED_INITS = ('normal', 'official')
# the coder the released C2FAssigner decodes the predictions for PT with: its default
# DeltaXYWHAOBBoxCoder of mmrotate 0.3 ('oc', no norm factor, proj_xy=False) on priors with
# angle 0. mmrotate 1.x's FakeRotatedAnchorGenerator regularises the square priors to angle pi/2
# under le135, so proj_xy=True here: on angle-0 priors it changes nothing (the released decode
# exactly), on the pi/2 priors it keeps the released geometry (the head's centre and size, the
# angle prior angle + the raw delta).
OFFICIAL_ASSIGN_CODER = dict(type='DeltaXYWHTRBBoxCoder', angle_version='oc', norm_factor=None,
                             edge_swap=False, proj_xy=True, target_means=(0., ) * 5,
                             target_stds=(1., ) * 5, use_box_type=False)


@MODELS.register_module()
class DCFLHead(RotatedRetinaHead):
    """RetinaNet-O head with DCFL's prior capturing block and dynamic priors.

    Args:
        num_classes (int): number of object classes.
        in_channels (int): channels of the FPN features.
        stacked_convs (int): depth of each branch including the dilated conv and the deformable
            conv (official 4, i.e. two plain convs); must be >= 2.
        dilation (int): dilation of the fixed-offset conv (official 3; DOTA-v1.0 4).
        dynamic_prior (bool): shift the priors by the PCB offsets for assignment (paper); False
            assigns with the static priors.
        official (bool): the released head's behaviours (module docstring): sets each option
            below that is left ``None`` to its released value; False (default) to mmext's.
        offset_scale (str, optional): ``'paper'`` (``st/(2n)``, default) or ``'official'``
            (``img_h / 256 · 2^l / n`` on level l).
        assign_pred_priors (str, optional): priors the assigner's predicted boxes are decoded
            from: ``'static'`` (default) or ``'dynamic'`` (released).
        assign_bbox_coder (str | dict, optional): coder of the assigner's predicted boxes:
            ``'head'`` (the head's ``bbox_coder``, default), ``'official'``
            (:data:`OFFICIAL_ASSIGN_CODER`, released) or a coder config.
        dilated_init (str, optional): init of the dilated convs: ``'normal'`` (the head's
            ``Normal(std=0.01)``, default) or ``'official'`` (kaiming-uniform with ReLU gain,
            mmcv's ``DeformConv2d`` init, released).
        **kwargs: RotatedRetinaHead / RetinaHead / AnchorHead arguments.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 stacked_convs: int = 4,
                 dilation: int = 3,
                 dynamic_prior: bool = True,
                 official: bool = False,
                 offset_scale: Optional[str] = None,
                 assign_pred_priors: Optional[str] = None,
                 assign_bbox_coder: Optional[Union[str, dict]] = None,
                 dilated_init: Optional[str] = None,
                 **kwargs) -> None:
        official = bool(official)

        def pick(value, paper, released):
            return (released if official else paper) if value is None else value

        offset_scale = pick(offset_scale, 'paper', 'official')
        assign_pred_priors = pick(assign_pred_priors, 'static', 'dynamic')
        assign_bbox_coder = pick(assign_bbox_coder, 'head', 'official')
        dilated_init = pick(dilated_init, 'normal', 'official')
        if stacked_convs < 2:
            raise ValueError(f'DCFLHead: stacked_convs counts the dilated and the deformable conv '
                             f'and must be >= 2, got {stacked_convs}')
        for name, value, allowed in (('offset_scale', offset_scale, _OFFSET_SCALES),
                                     ('assign_pred_priors', assign_pred_priors,
                                      _ASSIGN_PRED_PRIORS),
                                     ('dilated_init', dilated_init, _DILATED_INITS)):
            if value not in allowed:
                raise ValueError(f'DCFLHead: {name} must be one of {allowed}, got {value!r}')
        if not isinstance(assign_bbox_coder, dict) and assign_bbox_coder not in _ASSIGN_CODERS:
            raise ValueError(f'DCFLHead: assign_bbox_coder must be one of {_ASSIGN_CODERS} or a '
                             f'coder config, got {assign_bbox_coder!r}')
        if int(dilation) < 1:
            raise ValueError(f'DCFLHead: dilation must be >= 1, got {dilation}')
        self.dilation = int(dilation)
        self.dynamic_prior = bool(dynamic_prior)
        self.official = official
        self.offset_scale = offset_scale
        self.assign_pred_priors = assign_pred_priors
        self.dilated_init = dilated_init
        super().__init__(num_classes, in_channels, stacked_convs=stacked_convs, **kwargs)
        if self.num_base_priors != 1:
            raise ValueError('DCFLHead: the dynamic prior needs exactly one prior per location '
                             f'(one scale, one ratio); the anchor generator gives '
                             f'{self.num_base_priors}')
        if assign_bbox_coder == 'head':
            self.assign_bbox_coder = self.bbox_coder
        else:
            self.assign_bbox_coder = TASK_UTILS.build(
                OFFICIAL_ASSIGN_CODER if assign_bbox_coder == 'official' else assign_bbox_coder)

    def init_weights(self) -> None:
        """The head's ``init_cfg``; then, with ``dilated_init='official'``, the dilated convs get
        mmcv ``DeformConv2d``'s init (the released layer): ``kaiming_uniform_(nonlinearity=
        'relu')``, i.e. ``U(±√(6 / fan_in))`` with ``fan_in = C·9``."""
        first = not self.is_init
        super().init_weights()
        if first and self.dilated_init == 'official':
            for conv in (self.cls_dilated, self.reg_dilated):
                nn.init.kaiming_uniform_(conv.weight, nonlinearity='relu')

    def _init_layers(self) -> None:
        """Two plain conv stacks, the dilated convs, the PCB and the predictors."""
        self.relu = nn.ReLU(inplace=True)
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        chn = self.in_channels
        for _ in range(self.stacked_convs - 2):
            for convs in (self.cls_convs, self.reg_convs):
                convs.append(ConvModule(chn, self.feat_channels, 3, stride=1, padding=1,
                                        conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg))
            chn = self.feat_channels
        d = self.dilation
        self.cls_dilated = nn.Conv2d(chn, self.feat_channels, 3, padding=d, dilation=d,
                                     bias=False)
        self.reg_dilated = nn.Conv2d(chn, self.feat_channels, 3, padding=d, dilation=d,
                                     bias=False)
        # PCB: offsets (18) and mask (9) of a 3x3 modulated deformable conv, from the reg branch
        self.pcb_offset = nn.Conv2d(self.feat_channels, 27, 3, padding=1)
        self.reg_dcn = ModulatedDeformConv2d(self.feat_channels, self.feat_channels, 3,
                                             padding=1, bias=False)
        self.cls_dcn = ModulatedDeformConv2d(self.feat_channels, self.feat_channels, 3,
                                             padding=1, bias=False)
        self.retina_cls = nn.Conv2d(self.feat_channels,
                                    self.num_base_priors * self.cls_out_channels, 3, padding=1)
        self.retina_reg = nn.Conv2d(self.feat_channels,
                                    self.num_base_priors * self.bbox_coder.encode_size, 3,
                                    padding=1)

    def forward_single(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Returns cls scores ``[N, C, H, W]``, box deltas ``[N, 5, H, W]`` and the PCB offsets
        ``[N, 18, H, W]`` (``(Δy, Δx)`` per tap, in feature-map pixels)."""
        cls_feat, reg_feat = x, x
        for conv in self.cls_convs:
            cls_feat = conv(cls_feat)
        for conv in self.reg_convs:
            reg_feat = conv(reg_feat)
        cls_feat = self.cls_dilated(cls_feat)
        reg_feat = self.reg_dilated(reg_feat)
        o1, o2, mask = torch.chunk(self.pcb_offset(reg_feat), 3, dim=1)
        offset = torch.cat((o1, o2), dim=1)
        mask = mask.sigmoid()
        reg_feat = self.reg_dcn(reg_feat, offset, mask)
        cls_feat = self.cls_dcn(cls_feat, offset, mask)
        return self.retina_cls(cls_feat), self.retina_reg(reg_feat), offset

    # ------------------------------------------------------------------ dynamic priors
    def prior_shifts(self, offsets: Sequence[Tensor], batch_img_metas: List[dict]) -> Tensor:
        """Centre shifts ``[N, A, 2]`` (x, y) of all priors: ``scale_l · Σᵢ Δoᵢ / n`` on level l,
        ``scale_l = st / 2`` (paper) or ``img_h / 256 · 2^l`` (official: the first image's
        height, whatever the strides)."""
        shifts = []
        for level, offset in enumerate(offsets):
            if self.offset_scale == 'official':
                scale_w = scale_h = batch_img_metas[0]['img_shape'][0] / 256.0 * 2**level
            else:
                stride_w, stride_h = self.prior_generator.strides[level]
                scale_w, scale_h = stride_w / 2, stride_h / 2
            num_imgs, channels = offset.shape[:2]
            taps = channels // 2
            off = offset.detach().permute(0, 2, 3, 1).reshape(num_imgs, -1, taps, 2)
            mean_dy, mean_dx = off[..., 0].mean(dim=-1), off[..., 1].mean(dim=-1)
            shifts.append(torch.stack([mean_dx * scale_w, mean_dy * scale_h], dim=-1))
        return torch.cat(shifts, dim=1)

    def dynamic_priors(self, flat_anchors: Tensor, shifts: Tensor) -> Tensor:
        """``s̃ = s + shift`` for one image's priors ``[A, 5]`` (sizes and angles unchanged)."""
        priors = flat_anchors.clone()
        if self.dynamic_prior:
            priors[:, :2] = priors[:, :2] + shifts.to(priors.dtype)
        return priors

    # ------------------------------------------------------------------ training
    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     offsets: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """Focal loss and rotated IoU loss with targets from the DCFL assigner.

        Same as ``AnchorHead.loss_by_feat`` except that the assigner also sees the dynamic priors,
        the decoded predictions (from ``assign_pred_priors`` with ``assign_bbox_coder``) and the
        class scores of each image.
        """
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        assert len(featmap_sizes) == self.prior_generator.num_levels
        device = cls_scores[0].device
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, batch_img_metas,
                                                        device=device)
        num_imgs = len(batch_img_metas)
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        concat_anchor_list = [cat_boxes(anchors) for anchors in anchor_list]

        with torch.no_grad():
            flat_cls = torch.cat([s.detach().permute(0, 2, 3, 1).reshape(
                num_imgs, -1, self.cls_out_channels) for s in cls_scores], dim=1).sigmoid()
            flat_reg = torch.cat([b.detach().permute(0, 2, 3, 1).reshape(
                num_imgs, -1, self.bbox_coder.encode_size) for b in bbox_preds], dim=1)
            shifts = self.prior_shifts(offsets, batch_img_metas)
            batch_pred_instances = []
            for i in range(num_imgs):
                static = get_box_tensor(concat_anchor_list[i])
                priors = self.dynamic_priors(static, shifts[i])
                base = priors if self.assign_pred_priors == 'dynamic' else static
                decoded = get_box_tensor(self.assign_bbox_coder.decode(base, flat_reg[i]))
                batch_pred_instances.append(
                    InstanceData(priors=priors, bboxes=decoded, scores=flat_cls[i]))

        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list,
         avg_factor) = self.get_targets(
             anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
             batch_gt_instances_ignore=batch_gt_instances_ignore,
             batch_pred_instances=batch_pred_instances)
        all_anchor_list = images_to_levels(concat_anchor_list, num_level_anchors)
        losses_cls, losses_bbox = multi_apply(
            self.loss_by_feat_single, cls_scores, bbox_preds, all_anchor_list, labels_list,
            label_weights_list, bbox_targets_list, bbox_weights_list, avg_factor=avg_factor)
        return dict(loss_cls=losses_cls, loss_bbox=losses_bbox)

    def get_targets(self,
                    anchor_list: List[List[Tensor]],
                    valid_flag_list: List[List[Tensor]],
                    batch_gt_instances: InstanceList,
                    batch_img_metas: List[dict],
                    batch_gt_instances_ignore: OptInstanceList = None,
                    unmap_outputs: bool = True,
                    return_sampling_results: bool = False,
                    batch_pred_instances: Optional[InstanceList] = None) -> tuple:
        """``AnchorHead.get_targets`` with each image's assigner inputs
        (``batch_pred_instances``: ``priors``, ``bboxes``, ``scores`` over all levels)."""
        num_imgs = len(batch_img_metas)
        if batch_pred_instances is None or len(batch_pred_instances) != num_imgs:
            raise ValueError('DCFLHead.get_targets needs batch_pred_instances (dynamic priors, '
                             'decoded boxes and scores) for each image')
        if batch_gt_instances_ignore is None:
            batch_gt_instances_ignore = [None] * num_imgs
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        concat_anchor_list = [cat_boxes(anchors) for anchors in anchor_list]
        concat_valid_flag_list = [torch.cat(flags) for flags in valid_flag_list]
        (all_labels, all_label_weights, all_bbox_targets, all_bbox_weights, _, _,
         sampling_results_list) = multi_apply(
             self._get_targets_single, concat_anchor_list, concat_valid_flag_list,
             batch_pred_instances, batch_gt_instances, batch_img_metas,
             batch_gt_instances_ignore, unmap_outputs=unmap_outputs)
        avg_factor = sum(result.avg_factor for result in sampling_results_list)
        self._raw_positive_infos.update(sampling_results=sampling_results_list)
        res = (images_to_levels(all_labels, num_level_anchors),
               images_to_levels(all_label_weights, num_level_anchors),
               images_to_levels(all_bbox_targets, num_level_anchors),
               images_to_levels(all_bbox_weights, num_level_anchors), avg_factor)
        if return_sampling_results:
            res = res + (sampling_results_list, )
        return res

    def _get_targets_single(self,
                            flat_anchors: Tensor,
                            valid_flags: Tensor,
                            pred_instances: InstanceData,
                            gt_instances: InstanceData,
                            img_meta: dict,
                            gt_instances_ignore: Optional[InstanceData] = None,
                            unmap_outputs: bool = True) -> tuple:
        """``AnchorHead._get_targets_single`` with the DCFL assigner's inputs."""
        inside_flags = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                           self.train_cfg['allowed_border'])
        if not inside_flags.any():
            raise ValueError('There is no valid anchor inside the image boundary. Please check '
                             'the image size and anchor sizes, or set ``allowed_border`` to -1.')
        anchors = flat_anchors[inside_flags]
        assign_result = self.assigner.assign(pred_instances[inside_flags], gt_instances,
                                             gt_instances_ignore)
        sampling_result = self.sampler.sample(assign_result, InstanceData(priors=anchors),
                                              gt_instances)

        num_valid = anchors.shape[0]
        target_dim = gt_instances.bboxes.size(-1) if self.reg_decoded_bbox \
            else self.bbox_coder.encode_size
        bbox_targets = anchors.new_zeros(num_valid, target_dim)
        bbox_weights = anchors.new_zeros(num_valid, target_dim)
        labels = anchors.new_full((num_valid, ), self.num_classes, dtype=torch.long)
        label_weights = anchors.new_zeros(num_valid, dtype=torch.float)
        pos_inds, neg_inds = sampling_result.pos_inds, sampling_result.neg_inds
        if len(pos_inds) > 0:
            if self.reg_decoded_bbox:
                pos_bbox_targets = get_box_tensor(sampling_result.pos_gt_bboxes)
            else:
                pos_bbox_targets = self.bbox_coder.encode(sampling_result.pos_priors,
                                                          sampling_result.pos_gt_bboxes)
            bbox_targets[pos_inds, :] = pos_bbox_targets
            bbox_weights[pos_inds, :] = 1.0
            labels[pos_inds] = sampling_result.pos_gt_labels
            pos_weight = self.train_cfg['pos_weight']
            label_weights[pos_inds] = 1.0 if pos_weight <= 0 else pos_weight
        if len(neg_inds) > 0:
            label_weights[neg_inds] = 1.0

        if unmap_outputs:
            total = flat_anchors.size(0)
            labels = unmap(labels, total, inside_flags, fill=self.num_classes)
            label_weights = unmap(label_weights, total, inside_flags)
            bbox_targets = unmap(bbox_targets, total, inside_flags)
            bbox_weights = unmap(bbox_weights, total, inside_flags)
        return (labels, label_weights, bbox_targets, bbox_weights, pos_inds, neg_inds,
                sampling_result)

    # ------------------------------------------------------------------ inference
    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        offsets: Optional[List[Tensor]] = None,
                        score_factors: Optional[List[Tensor]] = None,
                        **kwargs) -> InstanceList:
        """Inference ignores the PCB offsets: boxes are decoded from the static priors."""
        return super().predict_by_feat(cls_scores, bbox_preds, score_factors, **kwargs)
