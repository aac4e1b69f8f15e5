"""A batched two-component 1-D Gaussian mixture fitted by EM, for many small sets at once.

MMMC's aligned points sampler (APS, arXiv 2112.08902, Eq. 10: ``P, N = gmm(S)``) splits the
candidate scores of every ground truth into a positive and a negative component. The official code
(HaoGood/MOD, ``gmm_clustter_2``) fits one ``sklearn.mixture.GaussianMixture`` per ground truth in a
Python loop. :func:`batched_gmm_1d` runs the same EM for all ground truths at once: row ``b`` of
``x`` is one ground truth's candidate scores, ``valid`` masks the padding.

It reproduces sklearn's ``GaussianMixture(n_components=2, covariance_type='full')`` fitted from
explicit ``weights_init``, ``means_init`` and ``precisions_init`` (with all three given, sklearn's
k-means initialisation has no effect on the result):

* E-step: ``log p(x, k) = log w_k - (log 2pi + log var_k + (x - mu_k)^2 / var_k) / 2``;
  responsibilities ``r_k = softmax_k log p(x, k)``; lower bound = mean over samples of
  ``logsumexp_k log p(x, k)``.
* M-step: ``n_k = sum r_k + 10 eps``, ``w_k = n_k / sum n_k``, ``mu_k = sum r_k x / n_k``,
  ``var_k = sum r_k (x - mu_k)^2 / n_k + reg_covar``.
* A row stops (keeping the parameters of its last M-step) once the lower bound changes by less than
  ``tol`` between iterations; at most ``max_iter`` iterations.
* Labels are the argmax of ``log p(x, k)`` under the final parameters (ties go to component 0);
  ``log_likelihood`` is sklearn's ``score_samples``, ``logsumexp_k log p(x, k)``.

Everything runs in float64, as sklearn does. The loop runs over EM iterations only, never over rows.
"""
import math
from typing import NamedTuple, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

_EPS64 = torch.finfo(torch.float64).eps
# softplus(x) = x beyond this: exp(-40) is below float64 resolution relative to 40
_SOFTPLUS_EXACT = 40.0


class GMM1DResult(NamedTuple):
    """Result of :func:`batched_gmm_1d`; ``B`` rows, ``N`` samples per row, 2 components.

    Attributes:
        labels (Tensor): (B, N) long, component of each sample (0 or 1); 0 at padding.
        log_likelihood (Tensor): (B, N) float64, log density of each sample under the mixture;
            ``-inf`` at padding.
        means (Tensor): (B, 2) float64.
        variances (Tensor): (B, 2) float64.
        weights (Tensor): (B, 2) float64.
        n_iter (Tensor): (B,) long, EM iterations each row ran.
        converged (Tensor): (B,) bool.
    """
    labels: Tensor
    log_likelihood: Tensor
    means: Tensor
    variances: Tensor
    weights: Tensor
    n_iter: Tensor
    converged: Tensor


def _weighted_log_prob(xt: Tensor, means: Tensor, variances: Tensor, weights: Tensor) -> Tensor:
    """(2, N, B): ``log w_k + log N(x | mu_k, var_k)`` of samples ``xt`` (N, B) under
    parameters (2, B)."""
    log_coef = weights.log() - 0.5 * (math.log(2 * math.pi) + variances.log())  # (2, B)
    diff = xt - means[:, None]
    return log_coef[:, None] - diff.square_() * (0.5 / variances)[:, None]


def batched_gmm_1d(x: Tensor,
                   valid: Optional[Tensor] = None,
                   means_init: Optional[Tensor] = None,
                   precisions_init: float = 0.1,
                   weights_init: Sequence[float] = (0.5, 0.5),
                   max_iter: int = 100,
                   tol: float = 1e-3,
                   reg_covar: float = 1e-6) -> GMM1DResult:
    """Fit a 2-component 1-D Gaussian mixture to every row of ``x`` by EM.

    Args:
        x (Tensor): (B, N) samples; row ``b`` is one independent data set.
        valid (Tensor, optional): (B, N) bool, False marks padding. Defaults to all True.
        means_init (Tensor, optional): (B, 2) initial means. Defaults to each row's
            ``[min, max]`` over its valid samples, as the official MMMC code (and PAA) initialise.
        precisions_init (float): initial precision ``1 / var`` of both components. The official
            MMMC code uses 0.1 (on scores multiplied by 10). Defaults to 0.1.
        weights_init (Sequence[float]): initial component weights. Defaults to (0.5, 0.5).
        max_iter (int): most EM iterations (sklearn's default 100).
        tol (float): convergence threshold on the change of the mean log-likelihood
            (sklearn's default 1e-3).
        reg_covar (float): added to every variance (sklearn's default 1e-6).

    Returns:
        GMM1DResult: labels, per-sample log-likelihood and the fitted parameters. A row needs at
        least one valid sample; with one the fit is degenerate (sklearn refuses fewer than two).
    """
    if x.dim() != 2:
        raise ValueError(f'batched_gmm_1d: x must be (B, N), got shape {tuple(x.shape)}')
    out_dtype_device = dict(dtype=torch.float64, device=x.device)
    x = x.to(**out_dtype_device)
    if valid is None:
        valid = torch.ones_like(x, dtype=torch.bool)
    valid = valid.bool()
    num_rows = x.size(0)
    if num_rows == 0 or x.size(1) == 0:
        empty = x.new_zeros((num_rows, 2))
        return GMM1DResult(
            labels=torch.zeros(x.shape, dtype=torch.long, device=x.device),
            log_likelihood=torch.full_like(x, -math.inf), means=empty, variances=empty + 1,
            weights=empty + 0.5, n_iter=torch.zeros(num_rows, dtype=torch.long, device=x.device),
            converged=torch.ones(num_rows, dtype=torch.bool, device=x.device))
    # padding takes a finite placeholder value and zero responsibility
    x = torch.where(valid, x, torch.zeros_like(x))
    validf = valid.to(torch.float64)
    num_valid = validf.sum(1).clamp(min=1)

    if means_init is None:
        inf = torch.tensor(math.inf, **out_dtype_device)
        means = torch.stack([torch.where(valid, x, inf).amin(1),
                             torch.where(valid, x, -inf).amax(1)], dim=1)
        means = torch.where(torch.isfinite(means), means, torch.zeros_like(means))
    else:
        means = means_init.to(**out_dtype_device).clone()
    variances = torch.full((num_rows, 2), 1.0 / precisions_init, **out_dtype_device)
    weights = torch.tensor(list(weights_init), **out_dtype_device).expand(num_rows, 2).clone()

    active = torch.ones(num_rows, dtype=torch.bool, device=x.device)
    converged = torch.zeros_like(active)
    n_iter = torch.zeros(num_rows, dtype=torch.long, device=x.device)
    lower_bound = torch.full((num_rows, ), -math.inf, **out_dtype_device)
    # The loop works on (N, B) samples and (2, B) parameters, rows innermost: element-wise
    # operations then broadcast over leading dimensions only (a trailing dimension of 2
    # components would make every operation a loop over tiny inner runs). Tensors are small,
    # so the cost is per operation: two components make the log-sum-exp and the
    # responsibilities a sigmoid and a softplus of one difference.
    xt, vt = x.t().contiguous(), validf.t().contiguous()  # (N, B)
    means, variances, weights = means.t().contiguous(), variances.t(), weights.t()  # (2, B)
    for _ in range(max_iter):
        # E-step under the current parameters
        wlp = _weighted_log_prob(xt, means, variances, weights)  # (2, N, B)
        gap = wlp[0] - wlp[1]
        log_norm = wlp[1] + F.softplus(gap, threshold=_SOFTPLUS_EXACT)  # logsumexp_k
        resp0 = torch.sigmoid(gap).mul_(vt)  # exp(log p(x, 0) - log_norm)
        resp = torch.stack((resp0, vt - resp0))  # (2, N, B), 0 at padding
        new_lower_bound = (log_norm * vt).sum(0).div_(num_valid)
        # M-step
        nk = resp.sum(1).add_(10 * _EPS64)  # (2, B)
        new_means = (resp * xt).sum(1).div_(nk)
        diff = xt - new_means[:, None]
        new_variances = (resp * diff.square_()).sum(1).div_(nk).add_(reg_covar)
        new_weights = nk / nk.sum(0)
        # rows that already converged keep their parameters
        means = torch.where(active, new_means, means)
        variances = torch.where(active, new_variances, variances)
        weights = torch.where(active, new_weights, weights)
        n_iter += active
        change = new_lower_bound - lower_bound
        lower_bound = torch.where(active, new_lower_bound, lower_bound)
        just_converged = active & (change.abs() < tol)
        converged |= just_converged
        active &= ~just_converged
        if not bool(active.any()):
            break

    wlp = _weighted_log_prob(xt, means, variances, weights)
    labels = (wlp[1] > wlp[0]).long().t()  # ties -> component 0, as numpy's argmax
    log_likelihood = torch.logaddexp(wlp[0], wlp[1]).t()
    labels = torch.where(valid, labels, torch.zeros_like(labels))
    log_likelihood = torch.where(valid, log_likelihood, torch.full_like(log_likelihood, -math.inf))
    means, variances, weights = means.t(), variances.t(), weights.t()
    return GMM1DResult(labels=labels, log_likelihood=log_likelihood, means=means,
                       variances=variances, weights=weights, n_iter=n_iter, converged=converged)
