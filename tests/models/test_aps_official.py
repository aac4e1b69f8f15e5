"""APSAssigner(official=True) against the literal port of MMMC's released assignment
(mmext.testing.mod_reference, HaoGood/MOD loss.py) on seeded scenes of 0-100 gts."""
import pytest
import torch
from mmengine.structures import InstanceData

import mmext  # noqa: F401
from mmext.models.task_modules.assigners import APSAssigner
from mmext.testing.aps_reference import STRIDES, make_image
from mmext.testing.mod_reference import mod_assign_decoded


def _losses():
    from mmdet.registry import MODELS
    return (MODELS.build(dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25)),
            MODELS.build(dict(type='GIoULoss')))


def _priors_with_strides(points, num_level_priors):
    stride = torch.cat([points.new_full((n, 1), float(s))
                        for n, s in zip(num_level_priors, STRIDES)])
    return torch.cat([points, stride, stride], 1)


@pytest.mark.parametrize('box_sizes', ['coco', 'uniform'])
def test_official_mode_equals_the_released_code(box_sizes):
    """Scenes of a 224 x 160 image (751 points, 6 classes), seeded, 0-100 gts: crowded, nested
    boxes of different classes (two-hot costs, the released candidate order), single-level gts
    and gts with no point inside. Without area ties (the released code orders tied gts by an
    unstable sort), the assignments are identical point for point."""
    pytest.importorskip('sklearn')
    focal, giou = _losses()
    aps = APSAssigner(official=True)
    total_pos = 0
    for seed, num_gts in enumerate((0, 1, 2, 5, 10, 20, 50, 100)):
        points, nlp, scores, pred, gts, labels = make_image(num_gts, (160, 224), 6, seed=seed,
                                                            box_sizes=box_sizes)
        areas = (gts[:, 2] - gts[:, 0] + 1) * (gts[:, 3] - gts[:, 1] + 1)
        assert len(torch.unique(areas)) == num_gts  # no area ties
        got = aps.assign(InstanceData(priors=_priors_with_strides(points, nlp), scores=scores,
                                      bboxes=pred), nlp,
                         InstanceData(bboxes=gts, labels=labels), loss_cls=focal,
                         loss_bbox=giou).gt_inds
        expected = mod_assign_decoded(points, nlp, scores, pred, gts, labels, STRIDES)
        assert torch.equal(got, expected), (seed, num_gts, int((got != expected).sum()))
        total_pos += int((expected > 0).sum())
    assert total_pos > 300  # real assignments, not empty ones


def test_official_mode_differs_from_the_paper_mode():
    """The switch really changes the assignment (score, order, costs) on a crowded scene."""
    focal, giou = _losses()
    points, nlp, scores, pred, gts, labels = make_image(50, (160, 224), 6, seed=7,
                                                        box_sizes='coco')
    pred_instances = InstanceData(priors=_priors_with_strides(points, nlp), scores=scores,
                                  bboxes=pred)
    gt_instances = InstanceData(bboxes=gts, labels=labels)
    paper = APSAssigner().assign(pred_instances, nlp, gt_instances, loss_cls=focal,
                                 loss_bbox=giou).gt_inds
    official = APSAssigner(official=True).assign(pred_instances, nlp, gt_instances,
                                                 loss_cls=focal, loss_bbox=giou).gt_inds
    assert not torch.equal(paper, official)
    assert APSAssigner(official=True, score='paper').score == 'official'
