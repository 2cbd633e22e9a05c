"""unet_course.losses against torch and against the paper's formula written out in NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unet_course import losses


def _batch(seed=0, n=2, k=3, h=6, w=7, big=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, h, w, generator=g, dtype=torch.float64) * 3
    target = torch.randint(0, k, (n, h + 2 * big, w + 2 * big), generator=g)
    weights = torch.rand(n, h + 2 * big, w + 2 * big, generator=g, dtype=torch.float64) * 10
    return logits, target, weights


def test_pixel_softmax_by_formula():
    logits, _, _ = _batch()
    a = logits.numpy()
    expected = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(losses.pixel_softmax(logits).numpy(), expected, rtol=1e-12)


def test_per_pixel_loss_equals_torch_cross_entropy_times_w():
    logits, target, weights = _batch(seed=1)
    got = losses.weighted_cross_entropy(logits, target, weights, reduction="none")
    expected = F.cross_entropy(logits, target, reduction="none") * weights
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_energy_equals_the_papers_sum_written_out():
    logits, target, weights = _batch(seed=2, k=2)
    a, l, w = logits.numpy(), target.numpy(), weights.numpy()
    p = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    p_true = np.take_along_axis(p, l[:, None], axis=1)[:, 0]
    energy = np.sum(w * np.log(p_true))  # the paper's E (eq. 1), to be maximised
    assert losses.weighted_cross_entropy(logits, target, weights, reduction="sum").item() == pytest.approx(-energy, rel=1e-10)
    assert losses.weighted_cross_entropy(logits, target, weights).item() == pytest.approx(-energy / l.size, rel=1e-10)


def test_no_weights_is_plain_cross_entropy_and_module_matches_function():
    logits, target, weights = _batch(seed=3)
    torch.testing.assert_close(losses.weighted_cross_entropy(logits, target), F.cross_entropy(logits, target))
    module = losses.WeightedCrossEntropyLoss(reduction="sum")
    torch.testing.assert_close(module(logits, target, weights), losses.weighted_cross_entropy(logits, target, weights, "sum"))


def test_gradient_is_w_times_p_minus_onehot():
    logits, target, weights = _batch(seed=4)
    logits.requires_grad_(True)
    losses.weighted_cross_entropy(logits, target, weights, reduction="sum").backward()
    p = torch.softmax(logits.detach(), dim=1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
    torch.testing.assert_close(logits.grad, weights[:, None] * (p - onehot), rtol=1e-10, atol=1e-12)


def test_valid_unet_targets_are_centre_cropped():
    logits, target, weights = _batch(seed=5, h=6, w=7, big=3)
    got = losses.weighted_cross_entropy(logits, target, weights, reduction="none")
    expected = F.cross_entropy(logits, target[:, 3:-3, 3:-3], reduction="none") * weights[:, 3:-3, 3:-3]
    torch.testing.assert_close(got, expected)
    t, w = losses.crop_to_output(logits, target, weights)
    assert t.shape == w.shape == (2, 6, 7)
    assert losses.crop_to_output(logits, target, None)[1] is None


def test_crop_with_the_unet_output():
    from unet_course.models import UNet

    net = UNet(1, 2, base_channels=2, depth=2, padding="valid", dropout=0.0)
    n = net.valid_input_size(60)
    logits = net(torch.zeros(1, 1, n, n))
    target = torch.arange(n * n).reshape(1, n, n)
    (cropped,) = losses.crop_to_output(logits, target)
    m = (n - net.output_size(n)) // 2
    assert m == net.margin
    torch.testing.assert_close(cropped, target[:, m:-m, m:-m])


def test_clear_errors():
    logits, target, weights = _batch(seed=6, big=1)
    small = target[:, 2:-2, 2:-2]
    with pytest.raises(ValueError, match="smaller than the network output"):
        losses.weighted_cross_entropy(logits, small)
    with pytest.raises(ValueError, match="must be even"):
        losses.weighted_cross_entropy(logits, target[:, 1:, 1:])
    with pytest.raises(TypeError, match="integer class ids"):
        losses.weighted_cross_entropy(logits, target.double())
    with pytest.raises(ValueError, match="same shape"):
        losses.weighted_cross_entropy(logits, target, weights[:, 1:])
    with pytest.raises(ValueError, match="channel dim"):
        losses.weighted_cross_entropy(logits, target[:, None])
    with pytest.raises(ValueError, match="crop=True"):
        losses.weighted_cross_entropy(logits, target, crop=False)
    with pytest.raises(ValueError, match="reduction"):
        losses.weighted_cross_entropy(logits, target, reduction="avg")
    with pytest.raises(ValueError, match=r"\(N, K, h, w\)"):
        losses.weighted_cross_entropy(logits[0], target)
