"""RMILoss against a slow, literal float64 NumPy computation of the reference algorithm."""
import warnings

import numpy as np
import pytest
import torch

from mmext.models.losses import RMILoss
from mmext.models.losses.rmi_loss import (log_det_pd, posterior_half_log_det,
                                          rmi_per_image_class)

EPS = 5e-4


# ----------------------------------------------------------------------------- slow reference
def pool_np(x, way, k, s):
    """Max / average pooling of [H, W] with padding k // 2 (average counts the padding)."""
    p = k // 2
    h, w = x.shape
    fill = -np.inf if way == 'max' else 0.0
    padded = np.full((h + 2 * p, w + 2 * p), fill)
    padded[p:p + h, p:p + w] = x
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = padded[i * s:i * s + k, j * s:j * s + k]
            out[i, j] = win.max() if way == 'max' else win.sum() / (k * k)
    return out


def half_log_det_np(y_vecs, p_vecs, eps=EPS):
    """1/2 log det of the posterior covariance from d x M samples (centred, not divided)."""
    y = y_vecs - y_vecs.mean(axis=1, keepdims=True)
    p = p_vecs - p_vecs.mean(axis=1, keepdims=True)
    d = y.shape[0]
    sy, sp, syp = y @ y.T, p @ p.T, y @ p.T
    post = sy - syp @ np.linalg.inv(sp + eps * np.eye(d)) @ syp.T
    sign, logdet = np.linalg.slogdet(post + eps * np.eye(d))
    assert sign > 0
    return 0.5 * logdet


def windows_np(x, r):
    """All r x r windows of [H, W] that fit inside, as an (r*r) x M matrix."""
    h, w = x.shape
    cols = [x[i:i + r, j:j + r].reshape(-1) for i in range(h - r + 1) for j in range(w - r + 1)]
    return np.array(cols).T


def reference_loss(logits, labels, radius=3, pool_way='max', pool=3, activation='sigmoid',
                   with_bce=True, lam=0.5, lambda_way=1, ignore_index=255):
    logits = logits.astype(np.float64)
    n, c, h, w = logits.shape
    valid = (labels != ignore_index) & (labels < c)
    if activation == 'sigmoid':
        probs = 1 / (1 + np.exp(-logits))
    else:
        e = np.exp(logits - logits.max(1, keepdims=True))
        probs = e / e.sum(1, keepdims=True)
    rmi = 0.0
    for k in range(c):
        per_image = []
        for b in range(n):
            y = ((labels[b] == k) & valid[b]).astype(np.float64)
            p = probs[b, k] * valid[b] + 1e-6
            if pool_way != 'none':
                y, p = pool_np(y, pool_way, pool, pool), pool_np(p, pool_way, pool, pool)
            per_image.append(half_log_det_np(windows_np(y, radius), windows_np(p, radius)))
        rmi += np.mean(per_image) / radius**2
    if not with_bce:
        return rmi
    onehot = np.stack([(labels == k) & valid for k in range(c)], 1).astype(np.float64)
    sig = 1 / (1 + np.exp(-logits))
    bce = -(onehot * np.log(sig) + (1 - onehot) * np.log(1 - sig)) * valid[:, None]
    bce = bce.sum() / (valid.sum() + 1.0)
    return lam * bce + (1 - lam) * rmi if lambda_way else bce + lam * rmi


def make_inputs(n=2, c=3, h=12, w=12, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=(n, c, h, w)).astype(np.float32)
    labels = rng.integers(0, c, size=(n, h, w))
    labels[0, :3, :4] = 1  # some structure
    labels[1, 5, 5] = 255  # an ignored pixel
    return logits, labels


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize('kwargs', [
    dict(),  # the reference defaults: sigmoid, max-pool 3/3, BCE mixed 0.5/0.5
    dict(pool_way='none', with_bce=False),
    dict(pool_way='avg', activation='softmax', lambda_way=0, bce_lambda=0.3),
    dict(pool_way='none', radius=2, with_bce=False, activation='softmax'),
])
def test_rmi_matches_slow_reference(kwargs):
    logits, labels = make_inputs()
    loss = RMILoss(**kwargs)
    got = loss(torch.from_numpy(logits), torch.from_numpy(labels)).item()
    ref = reference_loss(
        logits, labels, radius=kwargs.get('radius', 3), pool_way=kwargs.get('pool_way', 'max'),
        activation=kwargs.get('activation', 'sigmoid'), with_bce=kwargs.get('with_bce', True),
        lam=kwargs.get('bce_lambda', 0.5), lambda_way=kwargs.get('lambda_way', 1))
    assert got == pytest.approx(ref, rel=1e-5, abs=1e-5)


def test_rmi_loss_weight_name_and_dtype():
    logits, labels = make_inputs()
    x, y = torch.from_numpy(logits), torch.from_numpy(labels)
    base = RMILoss(with_bce=False)(x, y)
    assert RMILoss(with_bce=False, loss_weight=0.25)(x, y).item() == pytest.approx(
        0.25 * base.item(), rel=1e-6)
    assert RMILoss().loss_name == 'loss_rmi'
    assert base.dtype == torch.float32
    # the covariance / log-det maths is float64 whatever the input precision
    vecs = torch.rand(2, 3, 9, 20)
    assert posterior_half_log_det(vecs, vecs).dtype == torch.float64


def test_absent_class_is_closed_form_and_gradient_finite():
    """A class with no pixels: Y = 0, so Sigma_{Y|P} = 0 and 1/2 log det(eps I) = d/2 log eps."""
    logits = torch.randn(2, 3, 9, 9, requires_grad=True)
    labels = torch.zeros(2, 9, 9, dtype=torch.long)
    labels[:, 2:6, 2:6] = 1  # class 2 absent everywhere
    onehot = torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).float()
    per = rmi_per_image_class(onehot, logits.softmax(1), radius=3, pool_way='none')
    expected = 0.5 * 9 * np.log(EPS)
    assert torch.allclose(per[:, 2], torch.full((2, ), expected, dtype=torch.float64))
    loss = RMILoss(activation='softmax', with_bce=False, pool_way='none')(logits, labels)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def test_cholesky_fallback_on_indefinite_matrix():
    """Rounding can make the posterior covariance indefinite: the log-det then uses the
    eigenvalues clamped to eps instead of failing, and says so."""
    good = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    bad = torch.diag(torch.tensor([3.0, -1e-3], dtype=torch.float64))
    mats = torch.stack([good, bad]).requires_grad_(True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        out = log_det_pd(mats, EPS)
    assert any('not positive definite' in str(w.message) for w in caught)
    assert out[0].item() == pytest.approx(np.log(2.0 * 1.0 - 0.25))
    assert out[1].item() == pytest.approx(np.log(3.0) + np.log(EPS))
    out.sum().backward()
    assert torch.isfinite(mats.grad).all()
    # no warning on positive definite input
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        log_det_pd(good[None], EPS)


def test_posterior_gradient_matches_finite_differences():
    torch.manual_seed(0)
    la = (torch.rand(1, 2, 4, 15) > 0.5).double()
    pr = torch.rand(1, 2, 4, 15, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: posterior_half_log_det(la, p), (pr, ))


def test_count_argument_equals_dropping_the_padding_columns():
    torch.manual_seed(1)
    la = (torch.rand(2, 9, 30) > 0.6).double()
    pr = torch.rand(2, 9, 30, dtype=torch.float64)
    la[1, :, 20:] = 0
    pr[1, :, 20:] = 0
    out = posterior_half_log_det(la, pr, count=torch.tensor([30, 20]))
    assert out[0].item() == pytest.approx(half_log_det_np(la[0].numpy(), pr[0].numpy()))
    assert out[1].item() == pytest.approx(
        half_log_det_np(la[1, :, :20].numpy(), pr[1, :, :20].numpy()))


def test_rmi_bad_arguments():
    with pytest.raises(ValueError, match='pool_way'):
        RMILoss(pool_way='median')
    with pytest.raises(ValueError, match='pool_size'):
        RMILoss(pool_size=3, pool_stride=2)
    logits, labels = make_inputs()
    with pytest.raises(ValueError, match='per-pixel weights'):
        RMILoss()(torch.from_numpy(logits), torch.from_numpy(labels),
                  weight=torch.ones(labels.shape))
    with pytest.raises(ValueError, match='at least'):
        RMILoss(pool_way='none', radius=5)(torch.zeros(1, 2, 3, 3),
                                           torch.zeros(1, 3, 3, dtype=torch.long))


def test_autocast_keeps_float64_maths():
    logits, labels = make_inputs()
    x, y = torch.from_numpy(logits), torch.from_numpy(labels)
    loss = RMILoss(activation='softmax', with_bce=False, pool_way='none')
    ref = loss(x, y).item()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = loss(x, y)
    assert torch.isfinite(got) and got.item() == pytest.approx(ref, rel=1e-3)
