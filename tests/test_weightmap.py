"""unet_course.weightmap against brute-force references written from the paper's definitions."""

from __future__ import annotations

import importlib.util
import itertools
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage as ndi

from unet_course import weightmap as wm
from unet_course.data import cell_instances


# ---------------------------------------------------------------------------------------------
# brute-force references, independent of distance transforms
# ---------------------------------------------------------------------------------------------


def brute_force_weight_map(labels: np.ndarray, w0: float, sigma: float, class_weights) -> np.ndarray:
    """Eq. 2 pixel by pixel: explicit distances to every pixel of every cell."""
    h, w = labels.shape
    yy, xx = np.mgrid[0:h, 0:w]
    pixels = np.stack([yy.ravel(), xx.ravel()], axis=1).astype(np.float64)
    ids = [i for i in np.unique(labels) if i > 0]
    dists = []
    for i in ids:
        cell = np.argwhere(labels == i).astype(np.float64)
        d = np.sqrt(((pixels[:, None, :] - cell[None, :, :]) ** 2).sum(-1)).min(axis=1)
        dists.append(d.reshape(h, w))
    fg = labels > 0
    if class_weights is None:
        wc = np.ones((h, w))
    elif isinstance(class_weights, str):
        n, n_fg = fg.size, int(fg.sum())
        counts = {0: n - n_fg, 1: n_fg}
        present = [k for k in counts if counts[k] > 0]
        table = {k: (n / (len(present) * counts[k]) if counts[k] else 1.0) for k in counts}
        wc = np.where(fg, table[1], table[0])
    else:
        wc = np.where(fg, class_weights[1], class_weights[0]).astype(np.float64)
    out = wc.astype(np.float64).copy()
    if len(dists) >= 2:
        stack = np.sort(np.stack(dists), axis=0)
        term = w0 * np.exp(-((stack[0] + stack[1]) ** 2) / (2 * sigma**2))
        out[~fg] += term[~fg]
    return out


def random_instances(rng: np.random.Generator, shape=(28, 33), n=6, touching=True) -> np.ndarray:
    """Random cells (Voronoi pieces of random discs, or separate discs) with random ids."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    centres = rng.uniform([0, 0], [h, w], size=(n, 2))
    radii = rng.uniform(2.5, 7.0, size=n)
    d = np.sqrt((yy[None] - centres[:, 0, None, None]) ** 2 + (xx[None] - centres[:, 1, None, None]) ** 2)
    inside = d <= radii[:, None, None]
    nearest = np.argmin(np.where(inside, d / radii[:, None, None], np.inf), axis=0)
    labels = np.where(inside.any(0), nearest + 1, 0)
    if not touching:
        labels = np.where(wm.separation_border(labels, 1), 0, labels)
    ids = rng.choice(np.arange(1, 1000), size=n + 1, replace=False)  # non-consecutive ids
    ids[0] = 0
    return ids[labels].astype(np.int32)


# ---------------------------------------------------------------------------------------------
# weight_map against brute force
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_weight_map_equals_brute_force_on_random_instances(seed):
    rng = np.random.default_rng(seed)
    labels = random_instances(rng, n=int(rng.integers(2, 9)), touching=bool(seed % 2))
    w0, sigma = float(rng.uniform(3, 12)), float(rng.uniform(1.5, 6))
    expected = brute_force_weight_map(labels, w0, sigma, "balanced")
    got = wm.weight_map(labels, w0=w0, sigma=sigma, dtype=np.float64)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(wm.weight_map_naive(labels, w0=w0, sigma=sigma), expected, rtol=0, atol=1e-9)
    # float32 (the default for training) is the same up to float32 rounding
    np.testing.assert_allclose(wm.weight_map(labels, w0=w0, sigma=sigma), expected, rtol=1e-6, atol=1e-6)


def test_weight_map_equals_brute_force_on_synthetic_cells_with_explicit_class_weights():
    labels, _ = cell_instances(72, 14, seed=5)
    expected = brute_force_weight_map(labels, 10.0, 5.0, [0.7, 2.5])
    got = wm.weight_map(labels, class_weights=[0.7, 2.5], dtype=np.float64)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_window_drops_only_terms_below_tol():
    labels, _ = cell_instances(96, 18, seed=2)
    exact = wm.weight_map_naive(labels, class_weights=None)
    for tol in (1e-2, 1e-4, 1e-9):
        approx = wm.weight_map(labels, class_weights=None, tol=tol, dtype=np.float64)
        err = np.abs(approx - exact)
        assert err.max() <= tol
        assert np.all(approx <= exact + 1e-12)  # dropping terms can only lower the weights
    assert np.abs(wm.weight_map(labels, class_weights=None, tol=1e-2, dtype=np.float64) - exact).max() > 0


def test_border_window_formula():
    r = wm.border_window(10.0, 5.0, 1e-9)
    assert r == 34
    assert 10 * np.exp(-(r**2) / 50) <= 1e-9 < 10 * np.exp(-((r - 1) ** 2) / 50)


def test_border_term_only_on_background_and_peaks_in_the_gap():
    labels = np.zeros((20, 30), dtype=np.int32)
    labels[5:15, 3:13] = 1
    labels[5:15, 15:25] = 2  # a 2-pixel gap at columns 13, 14
    w = wm.weight_map(labels, class_weights=None, dtype=np.float64)
    np.testing.assert_array_equal(w[labels > 0], 1.0)
    # in the gap: d1 = 1, d2 = 2 -> 1 + 10 exp(-9 / 50)
    np.testing.assert_allclose(w[10, 13], 1 + 10 * np.exp(-9 / 50), atol=1e-12)
    assert w[10, 13] == w[~(labels > 0)].max()


# ---------------------------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------------------------


def test_all_background_gives_class_weights_only():
    labels = np.zeros((17, 9), dtype=np.uint8)
    np.testing.assert_array_equal(wm.weight_map(labels), np.ones((17, 9), dtype=np.float32))
    np.testing.assert_array_equal(wm.weight_map(labels, class_weights=[3.0, 5.0]), 3.0)


def test_zero_one_and_two_instances():
    labels = np.zeros((16, 16), dtype=np.int64)
    assert wm.weight_map(labels, class_weights=None).max() == 1.0
    labels[3:7, 3:7] = 4
    one = wm.weight_map(labels, class_weights=None)
    np.testing.assert_array_equal(one, 1.0)  # one cell: no second-nearest cell, no border term
    labels[9:13, 3:7] = 9
    two = wm.weight_map(labels, class_weights=None, dtype=np.float64)
    np.testing.assert_allclose(two, brute_force_weight_map(labels, 10, 5, None), atol=1e-6)
    assert two[8, 5] > 5  # between the two cells


def test_only_cells_no_background():
    labels = np.ones((6, 8), dtype=np.int32)
    labels[:, 4:] = 2
    np.testing.assert_array_equal(wm.weight_map(labels, class_weights=None), 1.0)
    np.testing.assert_array_equal(wm.weight_map(labels), 1.0)  # one class present: balanced = 1


def test_non_consecutive_ids_give_the_same_map_as_consecutive():
    rng = np.random.default_rng(11)
    labels = random_instances(rng, shape=(40, 40), n=7)
    _, dense = np.unique(labels, return_inverse=True)
    dense = dense.reshape(labels.shape)
    np.testing.assert_array_equal(wm.weight_map(labels), wm.weight_map(dense))
    np.testing.assert_array_equal(wm.weight_map(labels.astype(np.uint16) * 50), wm.weight_map(dense))


def test_class_balance_gives_equal_totals():
    labels, _ = cell_instances(64, 8, seed=1)
    w = wm.weight_map(labels, w0=0.0, dtype=np.float64)
    fg = labels > 0
    assert w[fg].sum() == pytest.approx(w[~fg].sum())
    assert w.sum() == pytest.approx(labels.size)
    table = wm.class_balance_weights([labels > 0, np.zeros((10, 10), dtype=bool)], 2)
    counts = np.array([(labels == 0).sum() + 100, (labels > 0).sum()])
    np.testing.assert_allclose(table * counts, counts.sum() / 2)


def test_semantic_classes_for_class_weights():
    labels = np.zeros((10, 10), dtype=np.int32)
    labels[1:4, 1:4] = 1
    labels[6:9, 6:9] = 2
    semantic = np.where(labels == 2, 2, (labels > 0).astype(int))
    w = wm.weight_map(labels, w0=0.0, class_weights=[1.0, 2.0, 3.0], semantic=semantic)
    assert w[2, 2] == 2.0 and w[7, 7] == 3.0 and w[0, 0] == 1.0


@pytest.mark.parametrize(
    "bad, error, words",
    [
        (np.zeros((5, 5), dtype=bool), TypeError, "boolean mask"),
        (np.zeros((5, 5), dtype=np.float32), TypeError, "integer"),
        (np.zeros((2, 5, 5), dtype=np.int32), ValueError, "2-D"),
        (-np.ones((5, 5), dtype=np.int32), ValueError, "negative"),
    ],
)
def test_bad_labels_are_refused_clearly(bad, error, words):
    with pytest.raises(error, match=words):
        wm.weight_map(bad)
    with pytest.raises(error, match=words):
        wm.separation_border(bad)


@pytest.mark.parametrize("kwargs", [{"sigma": 0.0}, {"sigma": -1.0}, {"w0": -1.0}, {"class_weights": "uniform"},
                                    {"class_weights": [1.0]}])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        wm.weight_map(np.zeros((4, 4), dtype=np.int32), **kwargs)


# ---------------------------------------------------------------------------------------------
# separation borders, touching pairs, separated fraction
# ---------------------------------------------------------------------------------------------


def brute_force_border(labels: np.ndarray, radius: int) -> np.ndarray:
    h, w = labels.shape
    out = np.zeros((h, w), dtype=bool)
    for y, x in itertools.product(range(h), range(w)):
        if labels[y, x] == 0:
            continue
        patch = labels[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1]
        out[y, x] = bool(np.any((patch > 0) & (patch != labels[y, x])))
    return out


@pytest.mark.parametrize("seed, radius", [(0, 1), (1, 1), (2, 2), (3, 3)])
def test_separation_border_equals_brute_force(seed, radius):
    labels = random_instances(np.random.default_rng(seed), shape=(30, 31), n=7)
    np.testing.assert_array_equal(wm.separation_border(labels, radius), brute_force_border(labels, radius))


def test_separated_instances_no_longer_touch_and_keep_the_rest():
    labels, _ = cell_instances(128, 24, seed=4)
    assert wm.touching_pairs(labels)
    separated = wm.separate_instances(labels)
    assert separated.dtype == labels.dtype
    assert wm.touching_pairs(separated) == []
    # as 8-connected components, every cell is now on its own
    comps, n = ndi.label(separated > 0, structure=np.ones((3, 3)))
    assert n >= len(np.unique(separated)) - 1
    border = wm.separation_border(labels)
    np.testing.assert_array_equal(separated[~border], labels[~border])


def test_separation_border_leaves_isolated_cells_alone():
    labels = np.zeros((12, 12), dtype=np.int32)
    labels[2:5, 2:5] = 1
    labels[7:10, 7:10] = 2
    assert not wm.separation_border(labels).any()
    with pytest.raises(ValueError, match="radius"):
        wm.separation_border(labels, 0)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_touching_pairs_brute_force(connectivity):
    labels = random_instances(np.random.default_rng(5), shape=(25, 25), n=8)
    expected = set()
    h, w = labels.shape
    for y, x in itertools.product(range(h), range(w)):
        for dy, dx in itertools.product((-1, 0, 1), repeat=2):
            if connectivity == 4 and dy and dx:
                continue
            yy, xx = y + dy, x + dx
            if 0 <= yy < h and 0 <= xx < w:
                a, b = labels[y, x], labels[yy, xx]
                if a and b and a != b:
                    expected.add((min(a, b), max(a, b)))
    assert wm.touching_pairs(labels, connectivity) == sorted(expected)
    with pytest.raises(ValueError, match=r"must be 4 .* or 8"):  # scikit-image's 1 and 2 are refused
        wm.touching_pairs(labels, {4: 1, 8: 2}[connectivity])


def test_separated_fraction_by_hand():
    labels = np.zeros((8, 12), dtype=np.int32)
    labels[2:6, 1:4] = 1
    labels[2:6, 4:7] = 2  # touches 1
    labels[2:6, 7:10] = 3  # touches 2
    assert wm.touching_pairs(labels) == [(1, 2), (2, 3)]
    assert wm.separated_fraction(labels, labels > 0) == 0.0  # one blob: nothing separated
    assert wm.separated_fraction(labels, wm.separate_instances(labels) > 0) == 1.0
    pred = labels > 0
    pred[:, 6] = False  # a cut between cells 2 and 3 only
    assert wm.separated_fraction(labels, pred) == 0.5
    pred = (labels == 1) | (labels == 3)  # cell 2 missed: neither pair counts as separated
    assert wm.separated_fraction(labels, pred) == 0.0
    pred = labels > 0
    pred[2:5, 6] = False  # a cut that leaves one pixel bridging cells 2 and 3: still one component
    assert wm.separated_fraction(labels, pred) == 0.0
    assert np.isnan(wm.separated_fraction(np.zeros((4, 4), dtype=np.int32), np.zeros((4, 4))))


# ---------------------------------------------------------------------------------------------
# the real nuclei image: exact and fast
# ---------------------------------------------------------------------------------------------


def _nuclei_mask() -> np.ndarray:
    spec = importlib.util.find_spec("stardist")
    if spec is None or spec.origin is None:
        pytest.skip("stardist (for its bundled nuclei image) is not installed")
    tifffile = pytest.importorskip("tifffile")
    return tifffile.imread(Path(spec.origin).parent / "data" / "images" / "mask2d.tif")


def test_real_nuclei_fast_matches_naive_and_is_fast():
    mask = _nuclei_mask()
    assert mask.shape == (512, 512) and len(np.unique(mask)) - 1 >= 100
    fast = wm.weight_map(mask, dtype=np.float64)
    np.testing.assert_allclose(fast, wm.weight_map_naive(mask), rtol=0, atol=1e-6)
    best = min(_timed(wm.weight_map, mask) for _ in range(3))
    assert best < 1.0, f"weight_map took {best:.2f} s on 512 x 512 with {mask.max()} cells"


def _timed(f, *args) -> float:
    start = time.perf_counter()
    f(*args)
    return time.perf_counter() - start
