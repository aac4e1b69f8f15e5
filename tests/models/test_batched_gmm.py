"""batched_gmm_1d: the torch EM that APS runs for all gts at once, against sklearn and by hand."""
import math
import warnings

import numpy as np
import pytest
import torch

from mmext.models.utils import batched_gmm_1d


def _sklearn_fit(x: np.ndarray, precision: float = 0.1):
    """sklearn's GaussianMixture initialised as the official MMMC code does."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture
    x = x.reshape(-1, 1).astype(np.float64)
    gmm = GaussianMixture(n_components=2, weights_init=[0.5, 0.5],
                          means_init=np.array([x.min(), x.max()]).reshape(2, 1),
                          precisions_init=np.full((2, 1, 1), precision))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', ConvergenceWarning)
        gmm.fit(x)
    return gmm, gmm.predict(x), gmm.score_samples(x)


def _random_rows(seed: int):
    """Rows of different lengths and shapes: bimodal, unimodal, skewed, a few samples."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(24):
        n = int(rng.integers(2, 19))
        kind = i % 4
        if kind == 0:  # two clusters
            k = int(rng.integers(1, n))
            row = np.concatenate([rng.normal(1.0, 0.3, k), rng.normal(4.0, 0.8, n - k)])
        elif kind == 1:  # one cluster
            row = rng.normal(2.0, 1.0, n)
        elif kind == 2:  # skewed, like losses
            row = rng.exponential(1.5, n)
        else:  # APS-like scores x 10
            row = 10 * np.sqrt(rng.uniform(0.05, 0.6, n))
        rows.append(rng.permutation(row))
    return rows


@pytest.mark.parametrize('seed', [0, 1])
def test_matches_sklearn_on_random_rows(seed):
    """Same split, parameters, likelihoods and iteration count as one sklearn fit per row."""
    pytest.importorskip('sklearn')
    rows = _random_rows(seed)
    width = max(len(r) for r in rows)
    x = torch.zeros(len(rows), width, dtype=torch.float64)
    valid = torch.zeros(len(rows), width, dtype=torch.bool)
    for i, r in enumerate(rows):
        x[i, :len(r)] = torch.from_numpy(r)
        valid[i, :len(r)] = True
    fit = batched_gmm_1d(x, valid, precisions_init=0.1)
    for i, r in enumerate(rows):
        gmm, labels, loglik = _sklearn_fit(r)
        n = len(r)
        np.testing.assert_array_equal(fit.labels[i, :n].numpy(), labels, err_msg=f'row {i}')
        np.testing.assert_allclose(fit.log_likelihood[i, :n].numpy(), loglik, rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_allclose(fit.means[i].numpy(), gmm.means_.ravel(), rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_allclose(fit.variances[i].numpy(), gmm.covariances_.ravel(),
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fit.weights[i].numpy(), gmm.weights_, rtol=1e-9)
        assert int(fit.n_iter[i]) == gmm.n_iter_
        assert bool(fit.converged[i]) == gmm.converged_


def test_one_iteration_by_hand():
    """max_iter=1: one E-step and one M-step, written out with the textbook formulas."""
    data = np.array([0.0, 1.0, 5.0])
    prec = 0.1
    mu = np.array([0.0, 5.0])
    var = np.array([1 / prec, 1 / prec])
    w = np.array([0.5, 0.5])
    dens = w * np.exp(-(data[:, None] - mu)**2 / (2 * var)) / np.sqrt(2 * np.pi * var)
    resp = dens / dens.sum(1, keepdims=True)
    nk = resp.sum(0) + 10 * np.finfo(np.float64).eps
    mu1 = (resp * data[:, None]).sum(0) / nk
    var1 = (resp * (data[:, None] - mu1)**2).sum(0) / nk + 1e-6
    w1 = nk / nk.sum()
    fit = batched_gmm_1d(torch.tensor([data]), max_iter=1, precisions_init=prec)
    np.testing.assert_allclose(fit.means[0].numpy(), mu1, rtol=1e-12)
    np.testing.assert_allclose(fit.variances[0].numpy(), var1, rtol=1e-12)
    np.testing.assert_allclose(fit.weights[0].numpy(), w1, rtol=1e-12)
    dens1 = w1 * np.exp(-(data[:, None] - mu1)**2 / (2 * var1)) / np.sqrt(2 * np.pi * var1)
    np.testing.assert_allclose(fit.log_likelihood[0].numpy(), np.log(dens1.sum(1)), rtol=1e-12)
    np.testing.assert_array_equal(fit.labels[0].numpy(), dens1.argmax(1))
    assert int(fit.n_iter[0]) == 1 and not bool(fit.converged[0])


def test_padding_and_batching_do_not_change_a_row():
    row = torch.tensor([0.2, 0.3, 0.25, 3.0, 3.2, 2.9, 0.1], dtype=torch.float64)
    alone = batched_gmm_1d(row[None])
    x = torch.zeros(3, 10, dtype=torch.float64)
    valid = torch.zeros(3, 10, dtype=torch.bool)
    x[1, :7] = row
    valid[1, :7] = True
    x[1, 7:] = 1e6  # padding values must not matter
    x[0, :4] = torch.tensor([5.0, 1.0, 2.0, 9.0], dtype=torch.float64)
    valid[0, :4] = True
    x[2, :2] = torch.tensor([1.0, 2.0], dtype=torch.float64)
    valid[2, :2] = True
    batched = batched_gmm_1d(x, valid)
    assert torch.equal(batched.labels[1, :7], alone.labels[0])
    assert torch.allclose(batched.means[1], alone.means[0], rtol=0, atol=1e-12)
    assert torch.all(batched.log_likelihood[1, 7:] == -math.inf)
    # two clearly separated clusters: the low one is component 0
    assert batched.labels[1, :7].tolist() == [0, 0, 0, 1, 1, 1, 0]


def test_degenerate_rows():
    # a single valid sample, and all-equal samples: everything in component 0 (as numpy argmax)
    x = torch.tensor([[3.0, 0.0, 0.0], [2.0, 2.0, 2.0]], dtype=torch.float64)
    valid = torch.tensor([[True, False, False], [True, True, True]])
    fit = batched_gmm_1d(x, valid)
    assert fit.labels.tolist() == [[0, 0, 0], [0, 0, 0]]
    assert torch.isfinite(fit.log_likelihood[valid]).all()
    empty = batched_gmm_1d(torch.zeros(0, 5))
    assert empty.labels.shape == (0, 5)
    with pytest.raises(ValueError, match='must be \\(B, N\\)'):
        batched_gmm_1d(torch.zeros(5))
