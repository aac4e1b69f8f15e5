"""GIoU of two boxes given as distances ``(l, t, r, b)`` from a shared point, with the +1
smoothing of FCOS's released code (``fcos_core`` ``get_ious``, used by MMMC's HaoGood/MOD).

For a point and two boxes around it, ``pred = (l, t, r, b)`` and ``target = (l', t', r', b')``
(in stride units when the regression targets are normalised by the level's stride, as both FCOS
and MOD train):

* ``I = (min(l, l') + min(r, r'))_+ * (min(t, t') + min(b, b'))_+``,
* ``U = (l + r)(t + b) + (l' + r')(t' + b') - I``,
* ``C = (max(l, l') + max(r, r')) * (max(t, t') + max(b, b')) + eps``,
* ``IoU = (I + smooth) / (U + smooth)``, ``GIoU = IoU - (C - U) / C``.

With ``smooth=0`` and ``eps=0`` this is the plain GIoU of the two boxes. The released code has
``smooth=1`` (one unit: a stride, with normalised targets) and ``eps=1e-7`` and does not clamp the
intersection (its boxes always contain the point, where the clamp changes nothing).
"""
from typing import Tuple

from torch import Tensor


def ltrb_giou(pred: Tensor, target: Tensor, smooth: float = 1.0,
              eps: float = 1e-7) -> Tuple[Tensor, Tensor]:
    """Smoothed IoU and GIoU of aligned ``(..., 4)`` distance boxes; each ``(...)``."""
    pl, pt, pr, pb = pred.unbind(-1)
    tl, tt, tr, tb = target.unbind(-1)
    target_area = (tl + tr) * (tt + tb)
    pred_area = (pl + pr) * (pt + pb)
    w_inter = (pl.minimum(tl) + pr.minimum(tr)).clamp(min=0)
    h_inter = (pb.minimum(tb) + pt.minimum(tt)).clamp(min=0)
    enclose = (pl.maximum(tl) + pr.maximum(tr)) * (pb.maximum(tb) + pt.maximum(tt)) + eps
    inter = w_inter * h_inter
    union = target_area + pred_area - inter
    iou = (inter + smooth) / (union + smooth)
    giou = iou - (enclose - union) / enclose
    return iou, giou
