"""The image inside a letterboxed network input."""
from typing import Tuple


def unpadded_shape(img_meta: dict) -> Tuple[int, int]:
    """(h, w) of the image inside the network input, without the letterbox padding.

    mmcv's ``Pad`` (and mmdet's) overwrites ``img_shape`` with the padded size, so the resized
    image's extent is recovered from ``ori_shape`` x ``scale_factor`` (``scale_factor`` is
    (w_scale, h_scale)); without a scale factor ``img_shape`` is taken as it is. The image sits
    at the top-left corner of the input, as mmcv pads bottom and right.
    """
    img_h, img_w = img_meta['img_shape'][:2]
    scale = img_meta.get('scale_factor')
    if scale is None or 'ori_shape' not in img_meta:
        return int(img_h), int(img_w)
    ori_h, ori_w = img_meta['ori_shape'][:2]
    return (min(int(img_h), int(round(ori_h * float(scale[1])))),
            min(int(img_w), int(round(ori_w * float(scale[0])))))
