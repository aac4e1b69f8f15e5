"""YOLOv8(-seg) inference on 16:9 and portrait frames through the configs' letterbox test
pipeline (Resize keep-ratio + Pad to 640 x 640, which overwrites ``img_shape`` with the padded
size): a perfectly predicted object comes back at its place in the original frame (mask and box
IoU ~1), and boxes reaching into the padding are clipped to the original image."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config

import mmext  # noqa: F401
from mmext.models.dense_heads.yolov8_ins_head import YOLOv8InsHead
from mmext.models.utils import unpadded_shape

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_CFG = osp.join(ROOT, 'configs/rgfl/yolov8-seg_s_rgfl_1xb16-100e_road-assets-seg.py')
R = 16  # DFL bins
STRIDES = (8, 16, 32)

# (frame w, h) -> the object's box in the original frame. Both frames are scaled by 1/3 to fit
# 640 x 640 (640 x 360 and 360 x 640). The box is chosen so that its input-frame box has a
# stride-32 grid point inside with side distances of whole bins (2, 2, 4, 2 bins).
CASES = {
    '1920x1080': ((1920, 1080), (432., 336., 1008., 720.)),
    '1080x1920': ((1080, 1920), (336., 432., 720., 1008.)),
}


def run_test_pipeline(tmp_path, size, box):
    """The seg config's test pipeline on a (w, h) image whose only object is ``box``."""
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    w, h = size
    path = str(tmp_path / f'frame_{w}x{h}.jpg')
    cv2.imwrite(path, np.full((h, w, 3), 90, np.uint8))
    x1, y1, x2, y2 = box
    polygon = [x1, y1, x2, y1, x2, y2, x1, y2]
    pipeline = Compose(Config.fromfile(SEG_CFG).test_pipeline)
    out = pipeline(dict(img_path=path, img_id=0, instances=[
        dict(bbox=list(box), bbox_label=1, mask=[polygon], ignore_flag=0)]))
    return out['inputs'], out['data_samples']


def head():
    return YOLOv8InsHead(num_classes=2, in_channels=(16, 32, 64), num_protos=4,
                         proto_channels=16, reg_max=R,
                         test_cfg=dict(nms_pre=1000, score_thr=0.05, mask_thr_binary=0.5,
                                       nms=dict(type='nms', iou_threshold=0.7),
                                       max_per_img=10))


def perfect_prediction(input_hw, box_in, extra_box_in=None):
    """Head outputs for an input of ``input_hw`` that predict class 1 with ``box_in`` (input
    frame) at one stride-32 point, its mask = the box (via prototype 0), optionally a second
    detection ``extra_box_in`` at another stride-32 point."""
    H, W = input_hw
    cls, dists, coeffs = [], [], []
    for s in STRIDES:
        cls.append(torch.full((1, 2, H // s, W // s), -20.))
        dists.append(torch.zeros((1, 4 * R, H // s, W // s)))
        coeffs.append(torch.zeros((1, 4, H // s, W // s)))
    protos = torch.full((1, 4, H // 4, W // 4), -20.)

    def put(box, mask_channel):
        x1, y1, x2, y2 = box
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        gx, gy = int(cx // 32), int(cy // 32)
        px, py = gx * 32 + 16, gy * 32 + 16
        sides = [(px - x1) / 32, (py - y1) / 32, (x2 - px) / 32, (y2 - py) / 32]
        assert all(abs(v - round(v)) < 1e-6 and 0 <= v < R - 1 for v in sides), sides
        cls[2][0, 1, gy, gx] = 10.
        for k, v in enumerate(sides):
            dists[2][0, k * R + int(round(v)), gy, gx] = 40.
        coeffs[2][0, mask_channel, gy, gx] = 1.
        protos[0, mask_channel, int(y1 // 4):int(y2 // 4), int(x1 // 4):int(x2 // 4)] = 20.

    put(box_in, 0)
    if extra_box_in is not None:
        put(extra_box_in, 1)
    return cls, dists, coeffs, protos


def box_iou(a, b):
    ix = max(0., min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0., min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize('case', sorted(CASES))
def test_perfect_prediction_lands_in_place(tmp_path, case):
    size, box = CASES[case]
    inputs, sample = run_test_pipeline(tmp_path, size, box)
    meta = sample.metainfo
    assert tuple(inputs.shape[-2:]) == (640, 640) and meta['img_shape'] == (640, 640)
    assert unpadded_shape(meta) == (round(size[1] / 3), round(size[0] / 3))
    box_in = [v / 3 for v in box]
    outs = perfect_prediction((640, 640), box_in)
    result = head().predict_by_feat(*outs, batch_img_metas=[meta], rescale=True)[0]
    assert len(result) == 1 and int(result.labels[0]) == 1
    pred_box = result.bboxes[0].tolist()
    assert box_iou(pred_box, box) > 0.99, (pred_box, box)
    masks = result.masks
    assert tuple(masks.shape) == (1, size[1], size[0])
    gt = sample.gt_instances.masks.to_ndarray()[0].astype(bool)
    assert gt.shape == (size[1], size[0])
    pred = masks[0].numpy()
    iou = (pred & gt).sum() / (pred | gt).sum()
    assert iou > 0.98, iou
    # the same through the network-input frame (no rescale): the mask is at box / 3
    result = head().predict_by_feat(*outs, batch_img_metas=[meta], rescale=False)[0]
    ys, xs = np.nonzero(result.masks[0].numpy())
    assert abs(xs.min() - box_in[0]) <= 1 and abs(ys.max() + 1 - box_in[3]) <= 1


def test_boxes_into_the_padding_are_clipped_to_the_original_image(tmp_path):
    size, box = CASES['1920x1080']
    _, sample = run_test_pipeline(tmp_path, size, box)
    meta = sample.metainfo
    # a second detection whose box runs from y = 304 to y = 432 of the input: the image ends at
    # y = 360 (1080 / 3), the padded canvas at 640
    extra = (464., 304., 592., 432.)
    outs = perfect_prediction((640, 640), [v / 3 for v in box], extra)
    result = head().predict_by_feat(*outs, batch_img_metas=[meta], rescale=True)[0]
    assert len(result) == 2
    boxes = result.bboxes
    assert float(boxes[:, 3].max()) <= 1080 + 1e-3 and float(boxes[:, 2].max()) <= 1920 + 1e-3
    clipped = boxes[boxes[:, 1] > 800][0].tolist()
    assert clipped == pytest.approx([1392., 912., 1776., 1080.], abs=1e-2)
    # its mask stops at the image's bottom edge and covers the part inside it
    mask = result.masks[int((boxes[:, 1] > 800).nonzero()[0])].numpy()
    assert mask.shape == (1080, 1920) and mask[912:1080, 1392:1776].mean() > 0.98


@pytest.mark.parametrize('case', sorted(CASES))
def test_detection_head_box_lands_in_place(tmp_path, case):
    from mmext.models.dense_heads.yolov8_head import YOLOv8Head
    size, box = CASES[case]
    _, sample = run_test_pipeline(tmp_path, size, box)
    det = YOLOv8Head(num_classes=2, in_channels=(16, 32, 64), reg_max=R,
                     test_cfg=dict(nms_pre=1000, score_thr=0.05, max_per_img=10,
                                   nms=dict(type='nms', iou_threshold=0.7)))
    cls, dists, _, _ = perfect_prediction((640, 640), [v / 3 for v in box])
    result = det.predict_by_feat(cls, dists, batch_img_metas=[sample.metainfo], rescale=True)[0]
    assert len(result) == 1 and box_iou(result.bboxes[0].tolist(), box) > 0.99


def test_unpadded_shape_by_hand():
    # 1000 x 750 frame resized by 0.64 to 640 x 480, padded to 640 x 640
    meta = dict(img_shape=(640, 640), ori_shape=(750, 1000), scale_factor=(0.64, 0.64))
    assert unpadded_shape(meta) == (480, 640)
    assert unpadded_shape(dict(img_shape=(320, 320))) == (320, 320)  # nothing to recover
    # never larger than the input (a crop after the resize)
    assert unpadded_shape(dict(meta, img_shape=(400, 640))) == (400, 640)
