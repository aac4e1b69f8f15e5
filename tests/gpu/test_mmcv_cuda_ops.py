"""mmcv's CUDA ops give their CPU results (and mmext's pure-PyTorch rotated IoU).

Built against the CUDA build of torch on the GPU machine (``tools/misc/gpu_check.sh``), each op's
CUDA kernel is compared with the CPU kernel on the same inputs: rotated NMS and IoU, deformable
convolutions v1 and v2 (forward and backward), and ``diff_iou_rotated_2d`` (CUDA only) against
``mmext.structures.rotated_box_iou`` and its gradient. Boxes are DOTA-like: 2-80 px, any angle,
including boxes below a stride.
"""
import copy
import math

import pytest
import torch


def random_rboxes(n, seed, img=256, min_size=2., max_size=80.):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * img
    wh = min_size + torch.rand(n, 2, generator=g) * (max_size - min_size)
    theta = (torch.rand(n, 1, generator=g) - 0.5) * math.pi
    return torch.cat([xy, wh, theta], dim=1)


def test_box_iou_rotated_matches_cpu(device):
    from mmcv.ops import box_iou_rotated
    b1, b2 = random_rboxes(300, 0), random_rboxes(200, 1)
    for aligned, (x, y) in ((False, (b1, b2)), (True, (b1[:200], b2))):
        for mode in ('iou', 'iof'):
            cpu = box_iou_rotated(x, y, mode=mode, aligned=aligned)
            dev = box_iou_rotated(x.to(device), y.to(device), mode=mode, aligned=aligned)
            assert (cpu > 0).sum() > 10, 'the scene must have overlapping pairs'
            torch.testing.assert_close(dev.cpu(), cpu, atol=1e-4, rtol=1e-4)


def test_nms_rotated_matches_cpu(device):
    from mmcv.ops import nms_rotated
    # clusters of overlapping boxes, so that NMS suppresses something
    centres = random_rboxes(40, 2)
    g = torch.Generator().manual_seed(3)
    boxes = centres.repeat(8, 1)
    boxes[:, :2] += torch.randn(boxes.shape[0], 2, generator=g) * 3
    boxes[:, 4] += torch.randn(boxes.shape[0], generator=g) * 0.1
    scores = torch.rand(boxes.shape[0], generator=g)
    labels = torch.randint(0, 3, (boxes.shape[0], ), generator=g)
    for lab in (None, labels):
        _, keep_cpu = nms_rotated(boxes, scores, 0.3, labels=lab)
        _, keep_dev = nms_rotated(boxes.to(device), scores.to(device), 0.3,
                                  labels=None if lab is None else lab.to(device))
        assert 0 < keep_cpu.numel() < boxes.shape[0]
        assert sorted(keep_dev.cpu().tolist()) == sorted(keep_cpu.tolist())


@pytest.mark.parametrize('modulated', [False, True])
@pytest.mark.parametrize('stride', [1, 2])
def test_deform_conv_forward_backward_match_cpu(device, modulated, stride):
    from mmcv.ops import DeformConv2dPack, ModulatedDeformConv2dPack
    torch.manual_seed(0)
    cls = ModulatedDeformConv2dPack if modulated else DeformConv2dPack
    conv = cls(8, 16, 3, stride=stride, padding=1)
    # non-zero offsets (the packs initialise them to zero, which would reduce to a plain conv)
    torch.nn.init.normal_(conv.conv_offset.weight, std=0.3)
    conv_dev = copy.deepcopy(conv).to(device)
    x = torch.randn(2, 8, 15, 23)  # non-square, odd sizes
    x_dev = x.clone().to(device).requires_grad_()
    x.requires_grad_()
    out, out_dev = conv(x), conv_dev(x_dev)
    torch.testing.assert_close(out_dev.detach().cpu(), out.detach(), atol=1e-4, rtol=1e-4)
    grad = torch.randn_like(out)
    out.backward(grad)
    out_dev.backward(grad.to(device))
    torch.testing.assert_close(x_dev.grad.cpu(), x.grad, atol=1e-3, rtol=1e-3)
    for (name, p), p_dev in zip(conv.named_parameters(), conv_dev.parameters()):
        torch.testing.assert_close(p_dev.grad.cpu(), p.grad, atol=1e-3, rtol=1e-3, msg=name)


def test_diff_iou_rotated_matches_mmext(device, needs_cuda):
    from mmcv.ops import diff_iou_rotated_2d

    from mmext.structures import rotated_box_iou
    b1 = random_rboxes(500, 4, img=64, min_size=8, max_size=40)
    b2 = b1.clone()
    g = torch.Generator().manual_seed(5)
    b2[:, :2] += torch.randn(500, 2, generator=g) * 6   # overlapping, not identical
    b2[:, 2:4] *= 0.6 + 0.8 * torch.rand(500, 2, generator=g)
    b2[:, 4] += torch.randn(500, generator=g) * 0.4
    ref_in = b1.clone().requires_grad_()
    ref = rotated_box_iou(ref_in, b2, aligned=True)
    mm_in = b1.clone().to(device).requires_grad_()
    mm = diff_iou_rotated_2d(mm_in[None], b2.to(device)[None])[0]
    assert (ref > 0.1).sum() > 100
    torch.testing.assert_close(mm.detach().cpu(), ref.detach(), atol=2e-3, rtol=2e-3)
    ref.sum().backward()
    mm.sum().backward()
    torch.testing.assert_close(mm_in.grad.cpu(), ref_in.grad, atol=2e-3, rtol=2e-2)


def test_mmext_rotated_iou_on_cuda_matches_cpu(device):
    from mmext.structures import rotated_box_iou
    b1, b2 = random_rboxes(120, 6), random_rboxes(80, 7)
    cpu = rotated_box_iou(b1, b2)
    dev = rotated_box_iou(b1.to(device), b2.to(device))
    torch.testing.assert_close(dev.cpu(), cpu, atol=1e-5, rtol=1e-5)
