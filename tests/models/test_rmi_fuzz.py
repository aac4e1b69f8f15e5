"""Property tests of RMILoss and EdgeRMILoss on random and degenerate segmentation inputs:
non-square maps (9x16, 31x7), maps at the smallest accepted size and below it (1x1 ... 8x8), a
class absent from the images, every pixel ignored, labels out of range, a single class, extreme
logits (+-50, random and matching the labels), constant logits, an empty batch. No crash and no
NaN / inf in the loss or the gradient; the RMI term stays inside its bounds (it is a log-det:
negative values are normal, so non-negativity is *not* a property):

    d/2 log(eps) <= 1/2 log det(Sigma_{Y|P} + eps I) <= 1/2 log det(Sigma_Y + eps I)

(``Sigma_{Y|P}`` is ``Sigma_Y`` minus a positive semi-definite matrix); all-ignored images give
exactly the lower bound; the value does not change when the images are flipped or transposed
(without down-sampling: this only permutes the window coordinates) and the batch value is the
mean of the per-image values. Maps too small for one window give a ValueError with the smallest
accepted size, logits holding NaN / inf a ValueError naming the loss and ``cls_score``."""
import math
import re
import warnings

import pytest
import torch

from mmext.models.losses import EdgeRMILoss, RMILoss
from mmext.models.losses.rmi_loss import (downsample_for_rmi, prepare_rmi_inputs,
                                          region_vectors, rmi_per_image_class)

EPS = 5e-4
# smallest map side with one 3x3 window after the down-sampling (kernel = stride = 3, pad 1)
LEAST = {'max': 7, 'avg': 7, 'bilinear': 9, 'none': 3}
LOSSES = {
    'rmi': lambda: RMILoss(),
    'rmi_softmax_none': lambda: RMILoss(activation='softmax', pool_way='none', with_bce=False),
    'rmi_avg_way0': lambda: RMILoss(pool_way='avg', lambda_way=0, bce_lambda=0.3),
    'rmi_bilinear': lambda: RMILoss(pool_way='bilinear', loss_weight=0.5),
    'edge': lambda: EdgeRMILoss(),
    'edge_gt_none': lambda: EdgeRMILoss(edge_from='gt', pool_way='none', min_edge_points=3),
}


def lower_bound(loss, num_classes):
    """The smallest value the loss can take: every 1/2 log det / d at 1/2 log(eps), BCE at 0."""
    per_term = 0.5 * math.log(EPS)
    if isinstance(loss, EdgeRMILoss):  # full-image term + edge term (or 0)
        return loss.loss_weight * num_classes * 2 * per_term
    coef = 1.0 if not loss.with_bce else (1 - loss.bce_lambda if loss.lambda_way else
                                          loss.bce_lambda)
    return loss.loss_weight * coef * num_classes * per_term


def cases():
    gen = torch.Generator().manual_seed(0)

    def rand(n, c, h, w, scale=3.0):
        return (torch.randn(n, c, h, w, generator=gen) * scale,
                torch.randint(0, c, (n, h, w), generator=gen))

    out = {'9x16': rand(2, 4, 9, 16), '31x7': rand(2, 4, 31, 7), '24x24': rand(2, 3, 24, 24),
           'min_7x7': rand(1, 3, 7, 7), 'min_9x9': rand(2, 3, 9, 9)}
    logits, labels = rand(2, 4, 20, 20)
    labels[labels == 2] = 1  # class 2 absent from every image
    labels[1][labels[1] == 3] = 0  # class 3 absent from the second one
    out['absent_class'] = (logits, labels)
    out['all_ignored'] = (rand(2, 3, 12, 18)[0], torch.full((2, 12, 18), 255))
    logits, labels = rand(2, 3, 15, 15)
    labels[0, :5] = 255
    labels[1, :, :4] = 7  # >= num_classes: ignored too
    labels[1, -2:] = -1  # negative: ignored
    out['partly_ignored'] = (logits, labels)
    out['single_class'] = (rand(2, 1, 14, 10)[0], torch.zeros(2, 14, 10, dtype=torch.long))
    logits, labels = rand(2, 4, 18, 12)
    out['logits_pm50_random'] = ((torch.randint(0, 2, logits.shape, generator=gen) * 100.0
                                  - 50.0), labels)
    onehot = torch.nn.functional.one_hot(labels, 4).permute(0, 3, 1, 2).float()
    out['logits_pm50_perfect'] = (onehot * 100 - 50, labels)
    out['logits_constant'] = (torch.zeros(2, 4, 18, 12), labels)
    out['empty_batch'] = (torch.zeros(0, 3, 16, 16), torch.zeros(0, 16, 16, dtype=torch.long))
    return out


CASES = cases()


@pytest.mark.parametrize('case', list(CASES))
@pytest.mark.parametrize('name', list(LOSSES))
def test_loss_finite_bounded_with_finite_gradients(name, case):
    loss = LOSSES[name]()
    logits, labels = CASES[case]
    x = logits.clone().requires_grad_()
    if min(logits.shape[2:]) < LEAST[loss.pool_way]:  # 31x7 and 7x7 with bilinear (9x9 minimum)
        with pytest.raises(ValueError, match='at least'):
            loss(x, labels)
        return
    with warnings.catch_warnings():
        # the documented Cholesky fallback may warn on saturated inputs; anything else is an error
        warnings.filterwarnings('ignore', message='RMI: .* not positive definite')
        value = loss(x, labels)
        assert value.dim() == 0 and value.dtype == torch.float32
        assert torch.isfinite(value), value
        value.backward()
    assert x.grad.shape == x.shape and torch.isfinite(x.grad).all()
    if case == 'empty_batch':
        assert value.item() == 0.0
        return
    assert value.item() >= lower_bound(loss, logits.shape[1]) - 1e-4
    if case == 'all_ignored':
        # every map is constant: each term sits at the lower bound exactly, the BCE is 0, so the
        # whole loss is the lower bound (the edge term is 0: no valid edge pixel) and no pixel
        # gets a gradient
        expected = lower_bound(loss, logits.shape[1])
        if isinstance(loss, EdgeRMILoss):
            expected /= 2
        assert value.item() == pytest.approx(expected, rel=1e-6)
        assert not x.grad.any()


@pytest.mark.parametrize('case,pool_way', [
    (c, p) for c in CASES for p in LEAST
    if c != 'empty_batch' and min(CASES[c][0].shape[2:]) >= LEAST[p]])
@pytest.mark.parametrize('activation', ['sigmoid', 'softmax'])
def test_per_image_class_value_within_its_bounds(case, pool_way, activation):
    logits, labels = CASES[case]
    onehot, probs, _ = prepare_rmi_inputs(logits, labels, 255, activation, 1e-6)
    value = rmi_per_image_class(onehot, probs, 3, pool_way, 3, 3, EPS)
    assert value.shape == logits.shape[:2] and value.dtype == torch.float64
    assert torch.isfinite(value).all()
    d = 9
    assert (value >= d / 2 * math.log(EPS) - 1e-9).all()
    # upper bound 1/2 log det(Sigma_Y + eps I), Sigma_Y the (unnormalised) label covariance
    la, _ = downsample_for_rmi(onehot.double(), probs.double(), pool_way, 3, 3)
    y = region_vectors(la, 3)
    y = y - y.mean(-1, keepdim=True)
    upper = 0.5 * torch.linalg.slogdet(y @ y.transpose(-2, -1) +
                                       EPS * torch.eye(d, dtype=torch.float64))[1]
    assert (value <= upper + 1e-6).all(), (value - upper).max()
    # a class with no pixel in an image sits exactly at the lower bound
    absent = onehot.flatten(2).sum(-1) == 0
    assert torch.allclose(value[absent], torch.full_like(value[absent], d / 2 * math.log(EPS)))


@pytest.mark.parametrize('name', ['rmi_softmax_none', 'edge_gt_none'])
@pytest.mark.parametrize('case', ['9x16', '31x7', 'absent_class', 'partly_ignored'])
def test_flip_transpose_and_batch_mean(name, case):
    """Without down-sampling, flipping or transposing an image permutes the coordinates of every
    window the same way in Y and P, which leaves each log-det unchanged; the loss is a batch
    mean of per-image values."""
    loss = LOSSES[name]()
    logits, labels = CASES[case]
    ref = loss(logits, labels)
    for dims in ((-1, ), (-2, ), (-2, -1)):
        got = loss(logits.flip(dims), labels.flip([d + 1 if d > 0 else d for d in dims]))
        assert got.item() == pytest.approx(ref.item(), rel=1e-5, abs=1e-5), dims
    got = loss(logits.transpose(-2, -1), labels.transpose(-2, -1))
    assert got.item() == pytest.approx(ref.item(), rel=1e-5, abs=1e-5)
    per_image = [loss(logits[i:i + 1], labels[i:i + 1]).item() for i in range(len(labels))]
    assert ref.item() == pytest.approx(sum(per_image) / len(per_image), rel=1e-5, abs=1e-5)


@pytest.mark.parametrize('pool_way', list(LEAST))
def test_map_size_limit_is_a_clear_error(pool_way):
    gen = torch.Generator().manual_seed(1)
    least = LEAST[pool_way]
    for h, w in ((1, 1), (1, 12), (2, 5), (least - 1, least), (least, least - 1),
                 (least, least), (least, 2 * least + 1), (3 * least, least)):
        logits = torch.randn(2, 3, h, w, generator=gen, requires_grad=True)
        labels = torch.randint(0, 3, (2, h, w), generator=gen)
        for loss in (RMILoss(pool_way=pool_way), EdgeRMILoss(pool_way=pool_way)):
            if min(h, w) < least:
                with pytest.raises(ValueError, match=re.escape(f'at least {least}x{least}')):
                    loss(logits, labels)
                continue
            value = loss(logits, labels)
            value.backward()
            assert torch.isfinite(value) and torch.isfinite(logits.grad).all(), (h, w)
            logits.grad = None


@pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf])
def test_non_finite_logits_are_named(value):
    logits, labels = CASES['9x16']
    bad = logits.clone()
    bad[1, 2, 3, 4] = value
    for name, make in LOSSES.items():
        loss = make()
        cls = type(loss).__name__
        with pytest.raises(ValueError, match=f'{cls}: cls_score holds NaN/inf'):
            loss(bad, labels)
