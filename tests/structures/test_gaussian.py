"""Gaussian box math: every divergence against an independent computation."""
import math

import pytest
import torch

from mmext.structures import gaussian_similarity, gjsd, gwd, kld, rbox_to_gaussian

F64 = torch.float64


def _random_boxes(n, seed, centre=50.0, spread=60.0):
    g = torch.Generator().manual_seed(seed)
    xy = centre + spread * (torch.rand(n, 2, generator=g, dtype=F64) - 0.5)
    wh = 4 + 60 * torch.rand(n, 2, generator=g, dtype=F64)
    theta = (torch.rand(n, 1, generator=g, dtype=F64) - 0.5) * 2 * math.pi
    return torch.cat([xy, wh, theta], dim=1)


def _mvn(box):
    mu, sigma = rbox_to_gaussian(box)
    return torch.distributions.MultivariateNormal(mu, covariance_matrix=sigma)


def test_rbox_to_gaussian_by_hand():
    box = torch.tensor([[3.0, -2.0, 4.0, 2.0, math.pi / 2]], dtype=F64)
    mu, sigma = rbox_to_gaussian(box)
    assert torch.allclose(mu, torch.tensor([[3.0, -2.0]], dtype=F64))
    # w along y after a 90 degree turn: variance (w/2)^2 = 4 along y, (h/2)^2 = 1 along x
    assert torch.allclose(sigma[0], torch.tensor([[1.0, 0.0], [0.0, 4.0]], dtype=F64), atol=1e-12)
    box = torch.tensor([0.0, 0.0, 2.0, 2.0 / 3.0, math.pi / 4], dtype=F64)
    _, sigma = rbox_to_gaussian(box)
    # diag(1, 1/9) rotated by 45 degrees: [[5/9, 4/9], [4/9, 5/9]]
    assert torch.allclose(sigma, torch.tensor([[5, 4], [4, 5]], dtype=F64) / 9, atol=1e-12)


def test_kld_matches_monte_carlo():
    boxes1 = torch.tensor([[10.0, 12.0, 20.0, 8.0, 0.3], [0.0, 0.0, 6.0, 6.0, 0.0]], dtype=F64)
    boxes2 = torch.tensor([[14.0, 9.0, 12.0, 14.0, -0.7], [2.0, -1.0, 9.0, 3.0, 1.2]], dtype=F64)
    got = kld(boxes1, boxes2)
    torch.manual_seed(0)
    for i in range(2):
        for j in range(2):
            p1, p2 = _mvn(boxes1[i]), _mvn(boxes2[j])
            x = p2.sample((200_000, ))
            # KL(N2 || N1): expectation under the boxes2 Gaussian
            mc = (p2.log_prob(x) - p1.log_prob(x)).mean()
            closed = torch.distributions.kl_divergence(p2, p1)
            assert got[i, j].item() == pytest.approx(closed.item(), rel=1e-9)
            assert got[i, j].item() == pytest.approx(mc.item(), rel=0.02, abs=0.01)


def _grid_skew_bhattacharyya(box1, box2, alpha, n=601):
    """Numeric integration on a grid of -ln ∫ p^(1-α) q^α dx and of Nielsen's dual geometric
    JSD (1-α) KL(G‖p) + α KL(G‖q), G = p^(1-α) q^α / Z."""
    p1, p2 = _mvn(box1), _mvn(box2)
    lo = torch.minimum(box1[:2], box2[:2]) - 4 * torch.maximum(box1[2:4].max(), box2[2:4].max())
    hi = torch.maximum(box1[:2], box2[:2]) + 4 * torch.maximum(box1[2:4].max(), box2[2:4].max())
    xs = torch.linspace(lo[0].item(), hi[0].item(), n, dtype=F64)
    ys = torch.linspace(lo[1].item(), hi[1].item(), n, dtype=F64)
    gx, gy = torch.meshgrid(xs, ys, indexing='ij')
    pts = torch.stack([gx, gy], dim=-1)
    lp1, lp2 = p1.log_prob(pts), p2.log_prob(pts)
    integrand = torch.exp((1 - alpha) * lp1 + alpha * lp2)

    def integrate(f):
        return torch.trapezoid(torch.trapezoid(f, ys, dim=1), xs)

    z = integrate(integrand)
    g = integrand / z
    log_g = torch.log(g.clamp(min=1e-300))
    jsd = integrate(g * ((1 - alpha) * (log_g - lp1) + alpha * (log_g - lp2)))
    return -torch.log(z), jsd


@pytest.mark.parametrize('alpha', [0.5, 0.3])
def test_gjsd_matches_numeric_integration(alpha):
    """GJSD as computed by DCFL's code = skewed Bhattacharyya distance -ln ∫ p^(1-α) q^α."""
    boxes1 = torch.tensor([[10.0, 12.0, 20.0, 8.0, 0.3], [0.0, 0.0, 6.0, 6.0, 0.0]], dtype=F64)
    boxes2 = torch.tensor([[14.0, 9.0, 12.0, 14.0, -0.7], [2.0, -1.0, 9.0, 3.0, 1.2]], dtype=F64)
    got = gjsd(boxes1, boxes2, alpha=alpha)
    for i in range(2):
        for j in range(2):
            bhat, jsd = _grid_skew_bhattacharyya(boxes1[i], boxes2[j], alpha)
            assert got[i, j].item() == pytest.approx(bhat.item(), rel=1e-4, abs=1e-6)
            assert got[i, j].item() == pytest.approx(jsd.item(), rel=1e-3, abs=1e-5)


def test_gjsd_is_bhattacharyya_at_half_and_the_official_formula():
    b1, b2 = _random_boxes(6, 1), _random_boxes(7, 2)
    mu1, s1 = rbox_to_gaussian(b1)
    mu2, s2 = rbox_to_gaussian(b2)
    got = gjsd(b1, b2)
    for i in range(6):
        for j in range(7):
            # textbook Bhattacharyya distance
            sbar = (s1[i] + s2[j]) / 2
            d = mu1[i] - mu2[j]
            bd = d @ torch.linalg.solve(sbar, d) / 8 + 0.5 * torch.log(
                torch.det(sbar) / torch.sqrt(torch.det(s1[i]) * torch.det(s2[j])))
            assert got[i, j].item() == pytest.approx(bd.item(), rel=1e-9, abs=1e-12)
            # the official get_gjsd formula (absolute coordinates, explicit inverses)
            alpha = 0.3
            p_inv, t_inv = torch.linalg.inv(s1[i]), torch.linalg.inv(s2[j])
            sa_inv = (1 - alpha) * p_inv + alpha * t_inv
            sa = torch.linalg.inv(sa_inv)
            mua = sa @ ((1 - alpha) * p_inv @ mu1[i] + alpha * t_inv @ mu2[j])
            first = (1 - alpha) * mu1[i] @ p_inv @ mu1[i] + alpha * mu2[j] @ t_inv @ mu2[j] - \
                mua @ sa_inv @ mua
            second = torch.log(torch.det(s1[i])**(1 - alpha) * torch.det(s2[j])**alpha /
                               torch.det(sa))
            official = 0.5 * (first + second)
            ours = gjsd(b1[i:i + 1], b2[j:j + 1], alpha=alpha)[0, 0]
            assert ours.item() == pytest.approx(official.item(), rel=1e-7, abs=1e-9)
    # symmetric at alpha = 0.5, and skew swaps with the arguments
    assert torch.allclose(got, gjsd(b2, b1).T, atol=1e-10)
    assert torch.allclose(gjsd(b1, b2, 0.3), gjsd(b2, b1, 0.7).T, atol=1e-10)


def test_gwd_by_hand():
    # axis-aligned: W^2 = |dmu|^2 + (w1/2 - w2/2)^2 + (h1/2 - h2/2)^2
    b1 = torch.tensor([[0.0, 0.0, 10.0, 4.0, 0.0]], dtype=F64)
    b2 = torch.tensor([[3.0, 4.0, 6.0, 8.0, 0.0]], dtype=F64)
    assert gwd(b1, b2).item() == pytest.approx(25 + 2**2 + 2**2)
    # the same box turned by 90 degrees: Bures = 2 (w/2 - h/2)^2
    b3 = torch.tensor([[0.0, 0.0, 10.0, 4.0, math.pi / 2]], dtype=F64)
    assert gwd(b1, b3).item() == pytest.approx(2 * 3.0**2)
    # identical boxes: zero; translation only: squared offset
    assert gwd(b1, b1).item() == pytest.approx(0.0, abs=1e-12)
    shifted = b1 + torch.tensor([[1.5, -2.0, 0, 0, 0]], dtype=F64)
    assert gwd(b1, shifted).item() == pytest.approx(1.5**2 + 2.0**2)


def test_gwd_matches_matrix_square_root_formula():

    def sqrtm(m):
        e, v = torch.linalg.eigh(m)
        return v @ torch.diag(e.clamp(min=0).sqrt()) @ v.T

    b1, b2 = _random_boxes(5, 3), _random_boxes(4, 4)
    mu1, s1 = rbox_to_gaussian(b1)
    mu2, s2 = rbox_to_gaussian(b2)
    got = gwd(b1, b2)
    for i in range(5):
        for j in range(4):
            r = sqrtm(s1[i])
            bures = torch.trace(s1[i] + s2[j] - 2 * sqrtm(r @ s2[j] @ r))
            ref = ((mu1[i] - mu2[j])**2).sum() + bures
            assert got[i, j].item() == pytest.approx(ref.item(), rel=1e-9, abs=1e-8)


def test_aligned_equals_diagonal_of_pairwise():
    b1, b2 = _random_boxes(8, 5), _random_boxes(8, 6)
    for fn in (gjsd, kld, gwd):
        assert torch.allclose(fn(b1, b2, aligned=True), torch.diagonal(fn(b1, b2)))
    sim = gaussian_similarity(b1, b2, 'kld', aligned=True)
    assert sim.shape == (8, )


def test_large_pairwise_calls_are_chunked_without_changing_values(monkeypatch):
    from mmext.structures import gaussian
    b1, b2 = _random_boxes(23, 11), _random_boxes(9, 12)
    full = {fn: fn(b1, b2) for fn in (gjsd, kld, gwd)}
    monkeypatch.setattr(gaussian, '_CHUNK_PAIRS', 20)  # 2 rows of boxes1 per chunk
    for fn, ref in full.items():
        assert torch.equal(fn(b1, b2), ref)


def test_translation_invariant_and_stable_in_float32_at_5000px():
    b1, b2 = _random_boxes(30, 7), _random_boxes(40, 8)
    shift = torch.tensor([5000.0, 4700.0, 0, 0, 0], dtype=F64)
    for fn in (gjsd, kld, gwd):
        ref = fn(b1, b2)
        far32 = fn((b1 + shift).float(), (b2 + shift).float()).double()
        # an absolute position rounds to ~2.5e-4 px at 5000 in float32: that is the only error
        assert torch.allclose(far32, ref, rtol=1e-3, atol=1e-3), fn.__name__
    # near-identical large boxes: no cancellation blow-up
    big = torch.tensor([[5000.0, 5000.0, 900.0, 300.0, 0.4]])
    close = big + torch.tensor([[0.0, 0.0, 0.5, 0.0, 0.0]])
    w2 = gwd(big, close).item()
    assert w2 == pytest.approx(0.25**2, rel=1e-3)  # (a1 - a2)^2 with a = w/2
    assert gjsd(big, big).item() == pytest.approx(0.0, abs=1e-6)
    assert kld(big, big).item() == pytest.approx(0.0, abs=1e-6)


def test_degenerate_boxes_are_finite():
    b = torch.tensor([[0.0, 0.0, 0.0, 5.0, 0.0], [1.0, 1.0, 3.0, 3.0, 0.2]])
    for fn in (gjsd, kld, gwd):
        assert torch.isfinite(fn(b, b)).all()
    sim = gaussian_similarity(b, b)
    assert torch.isfinite(sim).all() and (sim > 0).all() and (sim <= 1).all()


def test_similarity_forms():
    b1, b2 = _random_boxes(3, 9), _random_boxes(5, 10)
    # the official DCFL transforms: 1/(1+GJSD), 1/(1+sqrt(KLD)), 1/(1+sqrt(W^2))
    assert torch.allclose(gaussian_similarity(b1, b2), 1 / (1 + gjsd(b1, b2)))
    assert torch.allclose(gaussian_similarity(b1, b2, 'kld'), 1 / (1 + kld(b1, b2).sqrt()))
    assert torch.allclose(gaussian_similarity(b1, b2, 'gwd'), 1 / (1 + gwd(b1, b2).sqrt()))
    assert torch.allclose(
        gaussian_similarity(b1, b2, 'gwd', fun='log1p', tau=2.0),
        1 / (2 + torch.log1p(gwd(b1, b2))))
    assert torch.allclose(
        gaussian_similarity(b1, b2, 'gjsd', form='exp', tau=0.5, alpha=0.3),
        torch.exp(-gjsd(b1, b2, alpha=0.3) / 0.5))
    same = gaussian_similarity(b1, b1)
    assert torch.allclose(torch.diagonal(same), torch.ones(3, dtype=F64))


def test_bad_input_is_named():
    good = torch.zeros(2, 5)
    with pytest.raises(ValueError, match='boxes2'):
        gjsd(good, torch.zeros(2, 4))
    with pytest.raises(ValueError, match='measure'):
        gaussian_similarity(good, good, measure='iou')
    with pytest.raises(ValueError, match='alpha'):
        gjsd(good, good, alpha=1.0)
    with pytest.raises(ValueError, match='aligned'):
        kld(good, torch.zeros(3, 5), aligned=True)
