"""Random and degenerate rotated boxes for the property ("fuzz") tests of the rotated IoU and
the Gaussian divergences."""
import math

import torch

W, H = 160.0, 96.0  # the "image" the ordinary boxes are drawn in
KINDS = ('ordinary', 'zero_w', 'zero_h', 'point', 'huge', 'outside', 'tiny', 'thin', 'far_angle')


def degenerate_rotated_boxes(num: int, seed: int):
    """``num`` boxes ``[num, 5]`` (cx, cy, w, h, theta) of every kind in ``KINDS``, plus
    duplicates; also returns the kind index of each box."""
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(num, 2, generator=gen) * torch.tensor([W, H])
    wh = 1 + torch.rand(num, 2, generator=gen) * 60
    theta = (torch.rand(num, 1, generator=gen) - 0.5) * 2 * math.pi
    kind = torch.randint(0, len(KINDS), (num, ), generator=gen)
    wh[kind == 1, 0] = 0
    wh[kind == 2, 1] = 0
    wh[kind == 3] = 0
    wh[kind == 4] = 1e5 * (0.5 + torch.rand(int((kind == 4).sum()), 2, generator=gen))
    xy[kind == 5] = xy[kind == 5] * -3 - 500  # wholly outside the image
    wh[kind == 6] = torch.rand(int((kind == 6).sum()), 2, generator=gen) * 0.1 + 1e-3
    wh[kind == 7, 1] = 1e-2  # a needle
    theta[kind == 8] = theta[kind == 8] * 7 + 4 * math.pi * torch.sign(theta[kind == 8])
    boxes = torch.cat([xy, wh, theta], 1)
    if num >= 6:  # duplicates
        boxes[num // 2:num // 2 + 3] = boxes[:3]
    return boxes, kind
