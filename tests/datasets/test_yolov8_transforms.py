"""YOLOv8RandomAffine: the centred warp in closed form, masks warped with their boxes, YOLOv8's
box filter; YOLOv8CachedMosaic: a mosaic from the first sample on."""
import numpy as np
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

import mmext  # noqa: F401
from mmext.datasets.transforms import YOLOv8CachedMosaic, YOLOv8RandomAffine


def results(h=40, w=60, boxes=((10, 8, 30, 20), ), masks=True):
    img = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    out = dict(img=img, img_shape=(h, w), gt_bboxes=HorizontalBoxes(
        torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)),
        gt_bboxes_labels=np.arange(len(boxes)), gt_ignore_flags=np.zeros(len(boxes), bool))
    if masks:
        m = np.zeros((len(boxes), h, w), np.uint8)
        for k, (x1, y1, x2, y2) in enumerate(boxes):
            m[k, y1:y2, x1:x2] = 1
        out['gt_masks'] = BitmapMasks(m, h, w)
    return out


def test_scaling_about_the_centre():
    """scale s, no translation: x -> W/2 + s (x - W/2), y -> H/2 + s (y - H/2)."""
    t = YOLOv8RandomAffine(scaling_ratio_range=(2.0, 2.0), max_translate_ratio=0.0)
    out = t.transform(results(masks=False))
    assert out['img'].shape == (40, 60, 3)
    # box (10, 8, 30, 20): x: 30 + 2 (x - 30), y: 20 + 2 (y - 20)
    assert out['gt_bboxes'].tensor.tolist() == [[0.0, 0.0, 30.0, 20.0]]  # clipped at 0
    out = t.transform(results(masks=True))
    # masks: the box is the warped mask's tight box, the same box up to a pixel (cv2 samples
    # pixel centres at integer coordinates)
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(), [[0, 0, 30, 20]], atol=1)
    mask = out['gt_masks'].masks[0]
    assert mask[:19, :29].all() and not mask[21:].any() and not mask[:, 31:].any()


def test_border_crops_a_mosaic_back_to_the_training_size():
    t = YOLOv8RandomAffine(scaling_ratio_range=(1.0, 1.0), max_translate_ratio=0.0,
                           border=(-30, -20))
    out = t.transform(results(h=80, w=120, boxes=((40, 30, 80, 50), )))
    assert out['img'].shape == (40, 60, 3) and out['img_shape'] == (40, 60)
    # the centre crop: shift by (-30, -20)
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(), [[10, 10, 50, 30]], atol=1)
    assert out['gt_masks'].masks.shape == (1, 40, 60)


def test_box_filter_drops_outside_and_shrunk_objects():
    t = YOLOv8RandomAffine(scaling_ratio_range=(1.0, 1.0), max_translate_ratio=0.0,
                           border=(-25, -25))
    # 100 x 100 -> centre 50 x 50 (shift -25): object 1 falls outside; object 2 keeps a 9 x 9
    # corner of its 33 x 33 box (7.4 % of the area): dropped under YOLOv8's 10 % rule for
    # boxes, kept under its 1 % rule for masks
    boxes = ((30, 30, 60, 60), (0, 0, 10, 10), (66, 66, 99, 99))
    out = t.transform(results(h=100, w=100, boxes=boxes, masks=False))
    assert out['gt_bboxes_labels'].tolist() == [0]
    out = t.transform(results(h=100, w=100, boxes=boxes))
    assert out['gt_bboxes_labels'].tolist() == [0, 2] and len(out['gt_masks']) == 2


def test_cached_mosaic_mosaics_from_the_first_sample():
    t = YOLOv8CachedMosaic(img_scale=(32, 32), max_cached_images=10, random_pop=False)
    out = t.transform(results(h=40, w=60, masks=False))
    assert out['img'].shape == (64, 64, 3)
    assert len(out['gt_bboxes']) >= 1
