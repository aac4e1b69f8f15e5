"""Edge-RMI (CogSeg Eq. 3): the edge map on a hand-drawn mask and the loss against a slow,
literal computation over the windows centred on edge pixels."""
import numpy as np
import pytest
import torch

from mmext.models.losses import EdgeRMILoss
from mmext.models.losses.edge_rmi_loss import (edge_rmi_per_image_class, gather_windows,
                                               label_edge_map)

EPS = 5e-4

# a hand-drawn 8x8 mask: a 3x3 square of class 1 and a pixel of class 2 at the border
MASK = np.array([
    [0, 0, 0, 0, 0, 0, 0, 2],
    [0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 1, 1, 1, 0, 0, 0],
    [0, 0, 1, 1, 1, 0, 0, 0],
    [0, 0, 1, 1, 1, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
])
# its edge pixels by hand: a pixel whose 3x3 neighbourhood (clipped at the border) holds two
# labels; every pixel of the square is next to background except the centre (3, 3)
EDGES = np.array([
    [0, 0, 0, 0, 0, 0, 1, 1],
    [0, 1, 1, 1, 1, 1, 1, 1],
    [0, 1, 1, 1, 1, 1, 0, 0],
    [0, 1, 1, 0, 1, 1, 0, 0],
    [0, 1, 1, 1, 1, 1, 0, 0],
    [0, 1, 1, 1, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
], dtype=bool)


def half_log_det_np(y_vecs, p_vecs, eps=EPS):
    y = y_vecs - y_vecs.mean(axis=1, keepdims=True)
    p = p_vecs - p_vecs.mean(axis=1, keepdims=True)
    d = y.shape[0]
    sy, sp, syp = y @ y.T, p @ p.T, y @ p.T
    post = sy - syp @ np.linalg.inv(sp + eps * np.eye(d)) @ syp.T
    return 0.5 * np.linalg.slogdet(post + eps * np.eye(d))[1]


def softmax_np(x):
    e = np.exp(x - x.max(0, keepdims=True))
    return e / e.sum(0, keepdims=True)


def test_edge_map_of_hand_drawn_mask():
    edge = label_edge_map(torch.from_numpy(MASK)[None])
    np.testing.assert_array_equal(edge[0].numpy(), EDGES)


def test_edges_come_from_the_prediction():
    """Logits whose argmax is MASK give MASK's edges whatever the ground truth is."""
    logits = torch.from_numpy(np.eye(3)[MASK].transpose(2, 0, 1) * 4.0).float()[None]
    label = torch.zeros(1, 8, 8, dtype=torch.long)  # no edges in the ground truth
    loss = EdgeRMILoss()
    valid = torch.ones(1, 8, 8, dtype=torch.bool)
    np.testing.assert_array_equal(loss.edge_map(logits, label, valid)[0].numpy(), EDGES)
    gt_loss = EdgeRMILoss(edge_from='gt')
    assert not gt_loss.edge_map(logits, label, valid).any()
    # ignored pixels are never edge pixels
    valid[0, 1, 1] = False
    assert not loss.edge_map(logits, label, valid)[0, 1, 1]


def test_gather_windows_matches_slicing():
    x = torch.arange(2 * 3 * 7 * 9, dtype=torch.float32).view(2, 3, 7, 9)
    centres = torch.tensor([[2 * 9 + 2, 4 * 9 + 6], [3 * 9 + 3, -1]])
    out = gather_windows(x, centres, 5)
    assert out.shape == (2, 3, 25, 2)
    torch.testing.assert_close(out[0, :, :, 0], x[0, :, 0:5, 0:5].reshape(3, 25))
    torch.testing.assert_close(out[0, :, :, 1], x[0, :, 2:7, 4:9].reshape(3, 25))
    torch.testing.assert_close(out[1, :, :, 0], x[1, :, 1:6, 1:6].reshape(3, 25))
    assert not out[1, :, :, 1].any()  # padding point


def slow_edge_term(onehot, probs, edge, r=5):
    """Windows centred on each edge pixel whose window fits, collected one by one."""
    c, h, w = onehot.shape
    k = r // 2
    centres = [(i, j) for i in range(k, h - k) for j in range(k, w - k) if edge[i, j]]
    if len(centres) < r * r + 1:
        return np.zeros(c)
    out = []
    for cls in range(c):
        y = np.array([onehot[cls, i - k:i + k + 1, j - k:j + k + 1].reshape(-1)
                      for i, j in centres]).T
        p = np.array([probs[cls, i - k:i + k + 1, j - k:j + k + 1].reshape(-1)
                      for i, j in centres]).T
        out.append(half_log_det_np(y, p))
    return np.array(out)


def slow_full_term(onehot, probs, r=3):
    c, h, w = onehot.shape
    out = []
    for cls in range(c):
        y = np.array([onehot[cls, i:i + r, j:j + r].reshape(-1)
                      for i in range(h - r + 1) for j in range(w - r + 1)]).T
        p = np.array([probs[cls, i:i + r, j:j + r].reshape(-1)
                      for i in range(h - r + 1) for j in range(w - r + 1)]).T
        out.append(half_log_det_np(y, p))
    return np.array(out)


def test_edge_rmi_matches_slow_reference():
    """Eq. 3 (RMI sign, each term divided by d): two images, one of them with too few edge
    pixels (its edge term is 0), versus windows collected one by one."""
    rng = np.random.default_rng(0)
    h = w = 14
    label = np.zeros((2, h, w), np.int64)
    label[0, 3:10, 4:11] = 1
    label[0, 6:8, 6:8] = 2
    label[1, 5, 5] = 1  # image 1: a tiny object -> few predicted edges
    logits = rng.normal(0, 0.5, size=(2, 3, h, w))
    logits += 3.0 * np.eye(3)[label].transpose(0, 3, 1, 2)  # predictions close to the labels
    logits[1] = 0.0
    logits[1, 0] += 1.0
    logits[1, 1, 5:7, 5:7] = 3.0  # a 2x2 predicted object: 16 edge pixels < 26
    label[0, 0, 0] = 255  # ignored
    loss = EdgeRMILoss(pool_way='none')
    got = loss(torch.from_numpy(logits).float(), torch.from_numpy(label)).item()

    valid = label != 255
    onehot = np.stack([(label == k) & valid for k in range(3)], 1).astype(np.float64)
    expected = 0.0
    for b in range(2):
        probs = softmax_np(logits[b].astype(np.float32).astype(np.float64)) * valid[b] + 1e-6
        pred = logits[b].argmax(0)
        edge = label_edge_map(torch.from_numpy(pred)[None])[0].numpy() & valid[b]
        full = slow_full_term(onehot[b], probs)
        edge_term = slow_edge_term(onehot[b], probs, edge)
        if b == 1:
            assert not edge_term.any()
        expected += (full / 9 + edge_term / 25).sum() / 2
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_edge_term_fallback_keeps_loss_finite():
    torch.manual_seed(0)
    logits = torch.zeros(2, 4, 16, 16, requires_grad=True)  # constant prediction: no edges
    label = torch.randint(0, 4, (2, 16, 16))
    loss = EdgeRMILoss(pool_way='none')
    value = loss(logits, label)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()
    # with no edge pixel the loss is the full-image term alone
    onehot = torch.nn.functional.one_hot(label, 4).permute(0, 3, 1, 2).double()
    edge = torch.zeros(2, 16, 16, dtype=torch.bool)
    assert not edge_rmi_per_image_class(onehot, onehot, edge).any()
    full = np.mean([slow_full_term(onehot[b].numpy(), np.full((4, 16, 16), 0.25 + 1e-6)).sum()
                    for b in range(2)]) / 9
    assert value.item() == pytest.approx(full, rel=1e-5)


def test_edge_rmi_arguments():
    with pytest.raises(ValueError, match='edge_from'):
        EdgeRMILoss(edge_from='canny')
    with pytest.raises(ValueError, match='odd'):
        EdgeRMILoss(edge_radius=4)
    # the full-image term takes RMILoss's own checks
    with pytest.raises(ValueError, match='pool_size'):
        EdgeRMILoss(pool_size=3, pool_stride=2)
    with pytest.raises(ValueError, match='global_radius'):
        EdgeRMILoss(global_radius=11)
    assert EdgeRMILoss().loss_name == 'loss_edge_rmi'
