"""Property tests of the rotated-box Gaussian divergences (``mmext.structures.gaussian``: GJSD,
KLD, GWD, ``gaussian_similarity``) on random and degenerate boxes: 0, 1, 37 and 2,000 boxes
mixing ordinary, zero-size, huge (1e5 px), out-of-image, duplicate, tiny and needle boxes, with
angles far beyond +-pi. No crash; divergences finite and >= 0, 0 for identical Gaussians (also
the same box written with w/h swapped or the angle + pi), symmetric where they are by definition,
close to float64; similarities in (0, 1]; finite gradients (float32 and float64, also at
identical boxes through the square root of the official KLD / GWD similarity); NaN / inf
coordinates give a ValueError naming the function and argument."""
import math

import pytest
import torch

from mmext.structures import gaussian_similarity, gjsd, gwd, kld, rbox_to_gaussian
from mmext.testing.degenerate_boxes import degenerate_rotated_boxes

DIVERGENCES = {
    'gjsd': gjsd,
    'gjsd_0.3': lambda a, b, aligned=False: gjsd(a, b, alpha=0.3, aligned=aligned),
    'kld': kld,
    'gwd': gwd,
}


scene = degenerate_rotated_boxes


def same_gaussian(boxes):
    """The same Gaussians written differently: w/h swapped with the angle + pi/2, or the angle
    - 3 pi (in float64, so that the angle itself is not rounded)."""
    out = boxes.double().clone()
    out[0::2, 2], out[0::2, 3] = boxes[0::2, 3].double(), boxes[0::2, 2].double()
    out[0::2, 4] += math.pi / 2
    out[1::2, 4] -= 3 * math.pi
    return out


@pytest.mark.parametrize('name', list(DIVERGENCES))
@pytest.mark.parametrize('num', [0, 1, 37, 2000])
def test_pairwise_divergence_invariants(name, num):
    fn = DIVERGENCES[name]
    boxes, _ = scene(num, seed=num)
    other = scene(min(num, 40), seed=num + 1)[0]
    d = fn(boxes, other)
    assert d.shape == (num, other.shape[0]) and d.dtype == torch.float32
    assert torch.isfinite(d).all() and (d >= 0).all()
    d64 = fn(boxes.double(), other.double())
    assert torch.allclose(d.double(), d64, rtol=1e-3, atol=1e-3), (d.double() - d64).abs().max()
    k = min(num, other.shape[0])
    assert torch.allclose(fn(boxes[:k], other[:k], aligned=True), torch.diagonal(d[:k, :k]),
                          rtol=1e-6)
    if name in ('gjsd', 'gwd'):  # symmetric by definition
        assert torch.allclose(d, fn(other, boxes).T, rtol=1e-4, atol=1e-4)
    if name == 'gjsd_0.3':  # gjsd(a, b, alpha) == gjsd(b, a, 1 - alpha)
        assert torch.allclose(d, gjsd(other, boxes, alpha=0.7).T, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('name', list(DIVERGENCES))
@pytest.mark.parametrize('num', [1, 37, 2000])
def test_identical_gaussians_give_zero(name, num):
    fn = DIVERGENCES[name]
    boxes, _ = scene(num, seed=10 + num)
    assert torch.equal(fn(boxes, boxes, aligned=True), torch.zeros(num))
    # the same Gaussians written with w/h swapped or the angle - 3 pi (float64, relative to the
    # scale of the divergence between different boxes)
    b64 = boxes.double()
    d = fn(b64, same_gaussian(boxes), aligned=True)
    assert torch.isfinite(d).all() and (d >= 0).all()
    assert (d < 1e-6).all(), d.max()


@pytest.mark.parametrize('num', [1, 37, 2000])
def test_rbox_to_gaussian_is_a_covariance(num):
    boxes, _ = scene(num, seed=20 + num)
    mu, sigma = rbox_to_gaussian(boxes)
    assert torch.equal(mu, boxes[:, :2])
    assert torch.isfinite(sigma).all() and torch.equal(sigma, sigma.transpose(-2, -1))
    assert (sigma[:, 0, 0] > 0).all() and (sigma[:, 1, 1] > 0).all()
    # det = (w h / 4)^2 with the sizes clamped to [1e-7, 1e7] (float64 to avoid cancellation)
    s64 = rbox_to_gaussian(boxes.double())[1]
    wh = boxes[:, 2:4].double().clamp(1e-7, 1e7)
    assert torch.allclose(torch.linalg.det(s64), (wh[:, 0] * wh[:, 1] / 4)**2, rtol=1e-6)


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('num', [1, 37, 2000])
def test_aligned_gradients_are_finite(dtype, num):
    """Aligned pairs as a loss would use them: random partners, identical boxes and the same
    Gaussians written differently; gradients to both sides. (Float32 gradients overflowed for
    zero-size boxes, whose variance is clamped to 2.5e-15.)"""
    boxes, _ = scene(num, seed=30 + num)
    rand = scene(num, seed=40 + num)[0]
    other = torch.where((torch.arange(num) % 3 == 0)[:, None], boxes,
                        torch.where((torch.arange(num) % 3 == 1)[:, None],
                                    same_gaussian(boxes).to(boxes.dtype), rand))
    for name, fn in DIVERGENCES.items():
        b1 = boxes.to(dtype).requires_grad_()
        b2 = other.to(dtype).requires_grad_()
        d = fn(b1, b2, aligned=True)
        assert d.dtype == dtype and torch.isfinite(d).all() and (d >= 0).all(), name
        d.sum().backward()
        assert torch.isfinite(b1.grad).all() and torch.isfinite(b2.grad).all(), name
    for measure in ('gjsd', 'kld', 'gwd'):
        for options in (dict(), dict(fun='none'), dict(fun='sqrt'), dict(fun='log1p'),
                        dict(form='exp', tau=2.0)):
            b1 = boxes.to(dtype).requires_grad_()
            b2 = other.to(dtype).requires_grad_()
            sim = gaussian_similarity(b1, b2, measure, aligned=True, **options)
            assert torch.isfinite(sim).all() and (sim <= 1).all()
            # exp(-d / tau) underflows to 0 for the divergence of a point and a 1e5 px box
            assert (sim >= 0).all() if 'form' in options else (sim > 0).all()
            assert torch.equal(sim[::3], torch.ones_like(sim[::3]))  # identical boxes
            sim.sum().backward()
            assert torch.isfinite(b1.grad).all() and torch.isfinite(b2.grad).all(), \
                (measure, options)


def test_pairwise_similarity_gradient_of_a_set_against_itself():
    boxes, _ = scene(60, seed=5)
    for measure in ('gjsd', 'kld', 'gwd'):
        b = boxes.clone().requires_grad_()
        sim = gaussian_similarity(b, b, measure)
        assert torch.isfinite(sim).all() and (sim > 0).all() and (sim <= 1).all()
        assert torch.equal(torch.diagonal(sim), torch.ones(60))
        sim.sum().backward()
        assert torch.isfinite(b.grad).all(), measure


def test_empty_inputs():
    none, some = torch.zeros(0, 5), scene(4, seed=6)[0]
    for fn in DIVERGENCES.values():
        assert fn(none, some).shape == (0, 4) and fn(some, none).shape == (4, 0)
        assert fn(none, none, aligned=True).shape == (0, )
    empty = torch.zeros(0, 5, requires_grad=True)
    gaussian_similarity(empty, empty, 'kld', aligned=True).sum().backward()
    assert empty.grad.shape == (0, 5)


@pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize('column', [1, 3, 4])
def test_non_finite_coordinates_are_named(value, column):
    good = scene(6, seed=7)[0]
    bad = good.clone()
    bad[2, column] = value
    for name, fn in (('gjsd', gjsd), ('kld', kld), ('gwd', gwd)):
        with pytest.raises(ValueError, match=f'{name}: boxes1 holds NaN/inf'):
            fn(bad, good)
        with pytest.raises(ValueError, match=f'{name}: boxes2 holds NaN/inf'):
            fn(good, bad, aligned=True)
        with pytest.raises(ValueError, match=f'{name}: boxes2 holds NaN/inf'):
            gaussian_similarity(good, bad, name)
    with pytest.raises(ValueError, match='rbox_to_gaussian: rboxes holds NaN/inf'):
        rbox_to_gaussian(bad)
