"""Boundary F-score against scikit-image's boundaries and a brute-force distance."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from skimage.segmentation import find_boundaries

from unet_course.metrics.boundary import boundary_f_score, label_boundaries
from unet_course.data import synthetic_cells


def _brute_force(pred, target, tol):
    pe, te = np.argwhere(label_boundaries(pred)), np.argwhere(label_boundaries(target))
    if len(pe) == 0 and len(te) == 0:
        return 1.0, 1.0
    if len(pe) == 0 or len(te) == 0:
        return (1.0 if len(pe) == 0 else 0.0), (1.0 if len(te) == 0 else 0.0)
    d = cdist(pe, te)
    return float((d.min(1) <= tol).mean()), float((d.min(0) <= tol).mean())


@pytest.mark.parametrize("seed", range(5))
def test_boundaries_equal_skimage_thick(seed):
    lab = np.random.default_rng(seed).integers(0, 3, (20, 23))
    np.testing.assert_array_equal(label_boundaries(lab), find_boundaries(lab, connectivity=1, mode="thick"))


@pytest.mark.parametrize("tol", [0.0, 1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("seed", range(4))
def test_boundary_f_score_equals_brute_force(seed, tol):
    target = synthetic_cells(64, 8, n_types=2, seed=seed).semantic
    rng = np.random.default_rng(seed)
    pred = np.roll(target, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), axis=(0, 1))
    pred[rng.random(pred.shape) < 0.02] = 1
    score = boundary_f_score(pred, target, tolerance=tol)
    p, r = _brute_force(pred, target, tol)
    assert score.precision == pytest.approx(p) and score.recall == pytest.approx(r)
    assert score.f_score == pytest.approx(0 if p + r == 0 else 2 * p * r / (p + r))


def test_boundary_f_score_simple_cases():
    a = np.zeros((10, 10), int)
    a[2:6, 2:6] = 1
    assert boundary_f_score(a, a).f_score == 1.0
    assert boundary_f_score(torch.from_numpy(a), torch.from_numpy(a)).f_score == 1.0
    # shifted by 2 px: within tolerance 2, outside tolerance 1 for some pixels
    b = np.roll(a, 2, axis=1)
    assert boundary_f_score(b, a, tolerance=2).f_score == 1.0
    assert boundary_f_score(b, a, tolerance=1).f_score < 1.0
    empty = np.zeros_like(a)
    assert boundary_f_score(empty, empty).f_score == 1.0
    s = boundary_f_score(empty, a)
    assert (s.precision, s.recall, s.f_score) == (1.0, 0.0, 0.0)


def test_boundary_f_score_errors():
    with pytest.raises(ValueError, match="same shape"):
        boundary_f_score(np.zeros((3, 3), int), np.zeros((3, 4), int))
    with pytest.raises(TypeError, match="argmax"):
        boundary_f_score(np.zeros((3, 3)), np.zeros((3, 3), int))
    with pytest.raises(ValueError, match="tolerance"):
        boundary_f_score(np.zeros((3, 3), int), np.zeros((3, 3), int), tolerance=-1)
    with pytest.raises(ValueError, match="2-D"):
        label_boundaries(np.zeros((2, 3, 3), int))
