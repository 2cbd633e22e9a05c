"""ISBI 2012 metrics (pixel, Rand, warping error) and instance matching.

References used: hand-computed small cases, scikit-image's adapted Rand error, scipy's
connected-component labelling as a brute-force definition of simple points, brute-force IoU.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.measure import label as sk_label
from skimage.metrics import adapted_rand_error

from unet_course.metrics import (
    instances_from_foreground,
    iou_matrix,
    match_instances,
    pixel_error,
    pixel_fscore_error,
    rand_error,
    rand_scores,
    simple_points,
    warp_to_prediction,
    warping_error,
)
from unet_course.metrics import isbi

FOUR = ndimage.generate_binary_structure(2, 1)
EIGHT = ndimage.generate_binary_structure(2, 2)


def membrane_image(size: int = 96, cells: int = 25, seed: int = 0) -> np.ndarray:
    """A Voronoi tessellation with 1-2 px membranes: uint8 labels, 0 membrane, 255 interior."""
    rng = np.random.default_rng(seed)
    seeds = rng.uniform(0, size, (cells, 2))
    yy, xx = np.mgrid[:size, :size]
    owner = cKDTree(seeds).query(np.stack([yy.ravel(), xx.ravel()], 1))[1].reshape(size, size)
    edge = np.zeros((size, size), bool)
    edge[:-1] |= owner[:-1] != owner[1:]
    edge[:, :-1] |= owner[:, :-1] != owner[:, 1:]
    return np.where(edge, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- pixel error
def test_pixel_error_hand_computed():
    target = np.array([[0, 255, 255, 0], [0, 255, 255, 0], [0, 0, 0, 0], [255, 255, 0, 0]], np.uint8)
    prob = np.array(
        [[0.1, 0.9, 0.6, 0.7], [0.0, 0.4, 1.0, 0.0], [0.2, 0.2, 0.3, 0.0], [0.8, 0.5, 0.0, 0.0]], np.float32
    )
    # disagreements at threshold 0.5: (0,3) extra, (1,1) missed, (3,1) 0.5 is not > 0.5 -> missed
    assert pixel_error(prob, target) == pytest.approx(3 / 16)
    # at 0.35: (1,1) 0.4 and (3,1) 0.5 are now interior; only (0,3) disagrees
    assert pixel_error(prob, target, threshold=0.35) == pytest.approx(1 / 16)
    assert pixel_error(target, target) == 0.0
    assert pixel_error(torch.from_numpy(prob), torch.from_numpy(target)) == pytest.approx(3 / 16)


def test_pixel_fscore_error_hand_computed():
    target = np.zeros((3, 3), np.uint8)
    target[0, :2] = target[1, :2] = 1  # 4 interior pixels
    pred = target.astype(bool).copy()
    pred[1, 1] = False  # one missed
    pred[2, 2] = True  # one extra
    # tp = 3, fp = 1, fn = 1: F = 6 / 8
    assert pixel_fscore_error(pred, target) == pytest.approx(0.25)
    prob = np.where(target > 0, 0.45, 0.05)  # right at thresholds 0.1 .. 0.4, empty at 0.5
    assert pixel_fscore_error(prob, target) == pytest.approx(0.0)
    assert pixel_error(prob, target) == pytest.approx(4 / 9)


def test_bad_inputs_are_refused():
    target = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="probability"):
        pixel_error(np.full((4, 4), 3.0), target)
    with pytest.raises(ValueError, match="same shape"):
        rand_error(np.zeros((4, 5)), target)
    with pytest.raises(TypeError, match="binary label map"):
        warping_error(np.zeros((4, 4)), np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="2-D"):
        pixel_error(np.zeros((1, 4, 4)), np.zeros((1, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="connectivity"):
        simple_points(np.zeros((4, 4), bool), connectivity=6)
    for func in (isbi.segments, simple_points):  # scikit-image's 1 and 2 are refused, naming 4 or 8
        with pytest.raises(ValueError, match=r"4 \(edge neighbours\) or 8.*connectivity=2 is 8"):
            func(np.zeros((4, 4), bool), connectivity=2)
    with pytest.raises(ValueError, match="connectivity=1 is 4"):
        rand_error(np.zeros((4, 4)), np.ones((4, 4), np.uint8), connectivity=1)
    with pytest.raises(ValueError, match="connectivity=1 is 4"):
        warping_error(np.zeros((4, 4)), np.ones((4, 4), np.uint8), connectivity=1)
    with pytest.raises(ValueError, match="connectivity=2 is 8"):
        instances_from_foreground(np.zeros((4, 4), bool), connectivity=2)
    with pytest.raises(ValueError, match="no segment"):
        rand_scores(pred=np.ones((3, 3), int), target=np.zeros((3, 3), int))


# ----------------------------------------------------------------------------- Rand error
def test_rand_scores_hand_computed():
    target = np.array([[1, 1, 1, 0, 1, 1, 1]])
    true_seg = isbi.segments(target > 0)
    assert true_seg.max() == 2
    # one predicted segment over both cells (a merge): 36 pairs predicted together, 18 true ones
    merged = rand_scores(np.ones_like(target), true_seg)
    assert merged.precision == pytest.approx(0.5) and merged.recall == pytest.approx(1.0)
    assert merged.fscore == pytest.approx(2 / 3)
    assert rand_error(np.ones_like(target, dtype=bool), target) == pytest.approx(1 / 3)
    # distinct pairs only (no self pairs): 12 together in both, 30 predicted, 12 true
    assert rand_scores(np.ones_like(target), true_seg, count_self_pairs=False).fscore == pytest.approx(
        2 * 0.4 / 1.4
    )
    # predicted membrane inside a cell: pixels 1 and 3 are singletons; sumAB = 1+1+9+1, sumB = 12, sumA = 18
    pred = np.array([[1, 0, 1, 0, 1, 1, 1]], bool)
    s = rand_scores(pred=isbi.segments(pred), target=true_seg)
    assert s.precision == pytest.approx(1.0) and s.recall == pytest.approx(12 / 18)
    assert rand_error(pred, target) == pytest.approx(1 - 0.8)


def test_rand_error_zero_for_identical_and_invariant_to_relabelling():
    target = membrane_image(64, 12, seed=1)
    assert rand_error(target, target) == 0.0
    true_seg = isbi.segments(target > 0)
    rng = np.random.default_rng(0)
    pred_seg = isbi.segments(ndimage.binary_erosion(target > 0, iterations=2))
    perm_t = np.concatenate([[0], rng.permutation(true_seg.max()) + 10])
    perm_p = np.concatenate([[0], rng.permutation(pred_seg.max()) + 500])
    assert rand_scores(true_seg * 3 + 1, true_seg).fscore == pytest.approx(1.0)
    a = rand_scores(pred_seg, true_seg)
    b = rand_scores(perm_p[pred_seg], perm_t[true_seg])
    assert a == pytest.approx(b)
    assert 0 < a.fscore < 1


def test_rand_error_maximises_over_thresholds():
    target = membrane_image(48, 8, seed=2)
    prob = np.where(target > 0, 0.45, 0.05)  # exact for thresholds 0.1 .. 0.4, empty at 0.5
    assert rand_error(prob, target) == pytest.approx(0.0)
    assert rand_error(prob, target, thresholds=[0.5]) > 0.5
    ths, f = isbi.rand_fscores(prob, target)
    assert len(ths) == 11 and f.max() == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rand_scores_match_skimage_where_conventions_align(seed):
    # skimage: distinct pairs, true label 0 ignored, predicted labels all regular. Align by counting
    # distinct pairs and giving every pixel a predicted segment (no predicted membrane).
    target = membrane_image(80, 15, seed=seed)
    true_seg = isbi.segments(target > 0)
    other = membrane_image(80, 10, seed=seed + 10)
    pred_seg = isbi.segments(other > 0)
    pred_seg[pred_seg == 0] = pred_seg.max() + 1  # predicted membrane becomes one more segment
    ours = rand_scores(pred_seg, true_seg, count_self_pairs=False)
    are, p_sk, r_sk = adapted_rand_error(true_seg, pred_seg, ignore_labels=(0,))
    assert ours.fscore == pytest.approx(1 - are, rel=1e-12)
    # skimage divides by the true pairs in what it calls precision: compare the pair of ratios
    assert sorted([ours.precision, ours.recall]) == pytest.approx(sorted([p_sk, r_sk]), rel=1e-12)


# ----------------------------------------------------------------------------- simple points
def _window(code: int, centre: bool) -> np.ndarray:
    win = np.zeros((3, 3), bool)
    for k, (dr, dc) in enumerate(isbi.NEIGHBOURS):
        win[1 + dr, 1 + dc] = bool((code >> k) & 1)
    win[1, 1] = centre
    return win


def _brute_force_simple(win: np.ndarray, connectivity: int) -> bool:
    """Flip the centre; simple when neither the interior nor the membrane component count changes."""
    s_in, s_out = (FOUR, EIGHT) if connectivity == 4 else (EIGHT, FOUR)
    flipped = win.copy()
    flipped[1, 1] = ~flipped[1, 1]
    before = (ndimage.label(win, s_in)[1], ndimage.label(~win, s_out)[1])
    after = (ndimage.label(flipped, s_in)[1], ndimage.label(~flipped, s_out)[1])
    return before == after


@pytest.mark.parametrize("connectivity", [4, 8])
def test_simple_point_table_equals_brute_force_on_all_neighbourhoods(connectivity):
    table = isbi.simple_point_table(connectivity)
    for code in range(256):
        for centre in (False, True):
            win = _window(code, centre)
            assert table[code] == _brute_force_simple(win, connectivity), (code, centre)
            # the vectorised test on a padded window agrees with the table
            padded = np.zeros((5, 5), bool)
            padded[1:4, 1:4] = win
            assert simple_points(padded, connectivity)[2, 2] == table[code]


def test_simple_point_table_known_cases():
    table = isbi.simple_point_table(4)
    assert not table[0]  # isolated pixel: flipping it deletes (or creates) an object
    assert not table[255]  # fully surrounded: flipping it punches (or fills) a hole
    east_west = (1 << 0) | (1 << 4)
    assert not table[east_west]  # a pixel bridging two interior pixels: flipping splits/merges
    assert table[1 << 0]  # the end of a line: flipping shortens it
    diag = (1 << 1) | (1 << 5)  # NE and SW interior only: 4-connected interior sees two objects
    assert not table[diag]
    # with 8-connected interior the same two pixels are one object, and the centre joins them
    # to nothing new: it is the membrane (now 4-connected) that would be split, so still not simple
    assert not isbi.simple_point_table(8)[diag]
    assert isbi.simple_point_table(8)[(1 << 1)]


# ----------------------------------------------------------------------------- warping error
def two_cells() -> np.ndarray:
    t = np.zeros((5, 7), np.uint8)
    t[1:4, 1:3] = 1
    t[1:4, 4:6] = 1
    return t


def test_warping_error_counts_a_merge_hand_computed():
    target = two_cells()
    pred = target.astype(bool).copy()
    pred[2, 3] = True  # a gap in the membrane merges the two cells
    assert warping_error(pred, target) == pytest.approx(1 / 35)
    assert pixel_error(pred, target) == pytest.approx(1 / 35)
    assert rand_error(pred, target) == pytest.approx(1 / 3)  # 12 pixels in two cells of 6


def test_warping_error_counts_a_split_hand_computed():
    target = np.zeros((5, 7), np.uint8)
    target[1:4, 1:6] = 1
    pred = target.astype(bool).copy()
    pred[1:4, 3] = False  # a membrane across the cell splits it
    # the ends of the cut are simple (they only dent the boundary); the middle pixel is not
    assert pixel_error(pred, target) == pytest.approx(3 / 35)
    assert warping_error(pred, target) == pytest.approx(1 / 35)
    warped = warp_to_prediction(pred, target)
    assert np.argwhere(warped != pred).tolist() == [[2, 3]]


@pytest.mark.parametrize(
    "change",
    ["delete_object", "add_object", "add_hole", "fill_hole"],
)
def test_warping_error_counts_object_and_hole_changes(change):
    target = np.zeros((9, 9), np.uint8)
    target[1:8, 1:8] = 1
    target[4, 4] = 0  # a one-pixel hole
    pred = target.astype(bool).copy()
    if change == "delete_object":
        target = target.copy()
        target[:] = 0
        target[4, 4] = 1
        pred = np.zeros_like(pred)
    elif change == "add_object":
        target = np.zeros_like(target)
        pred = np.zeros_like(pred)
        pred[4, 4] = True
    elif change == "add_hole":
        pred[2, 2] = False
    else:
        pred[4, 4] = True
    assert warping_error(pred, target) == pytest.approx(1 / 81)


def test_warping_error_is_zero_for_simple_point_changes():
    target = membrane_image(64, 10, seed=3)
    rng = np.random.default_rng(3)
    truth = target > 0
    simple = simple_points(truth)
    # flip simple points of the truth, no two within each other's 3x3 neighbourhood: each stays
    # simple whatever the others do, so together they change no topology
    taken = np.zeros_like(truth)
    pred = truth.copy()
    for r, c in np.argwhere(simple)[rng.permutation(int(simple.sum()))]:
        if not taken[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].any():
            pred[r, c] = ~pred[r, c]
            taken[r, c] = True
    assert taken.sum() > 100
    assert pixel_error(pred, target) > 0.02
    assert warping_error(pred, target) == 0.0
    assert rand_error(pred, target) > 0  # the Rand error sees the jitter, the warping error does not
    # one cell grown by one pixel layer into a thick membrane: only simple points
    t = np.zeros((12, 12), np.uint8)
    t[3:9, 3:9] = 1
    grown = ndimage.binary_dilation(t > 0, FOUR)
    assert pixel_error(grown, t) == pytest.approx(24 / 144)
    assert warping_error(grown, t) == 0.0


def test_warping_error_positive_for_split_and_merge_in_a_tessellation():
    target = membrane_image(64, 10, seed=4)
    assert warping_error(target, target) == 0.0
    seg = isbi.segments(target > 0)
    # merge: erase the membrane between two neighbouring cells
    a, b = 1, None
    dil = ndimage.binary_dilation(seg == a, EIGHT, iterations=2)
    b = next(int(v) for v in np.unique(seg[dil]) if v not in (0, a))
    merged = (target > 0) | (
        ndimage.binary_dilation(seg == a, EIGHT, iterations=2) & ndimage.binary_dilation(seg == b, EIGHT, iterations=2)
    )
    assert isbi.segments(merged).max() < seg.max()
    assert warping_error(merged, target) > 0
    # split: draw a membrane line across the largest cell
    big = np.bincount(seg.ravel())[1:].argmax() + 1
    rows, cols = np.nonzero(seg == big)
    split = target > 0
    r_mid = int(np.median(rows))
    split[r_mid, :] &= seg[r_mid, :] != big
    assert isbi.segments(split).max() > seg.max()
    assert warping_error(split, target) > 0


def test_warped_truth_keeps_the_topology_of_the_truth():
    target = membrane_image(96, 20, seed=5)
    rng = np.random.default_rng(5)
    prob = ndimage.gaussian_filter((target > 0) + rng.normal(0, 0.7, target.shape), 1.5)
    prob = (prob - prob.min()) / (prob.max() - prob.min())
    warped = warp_to_prediction(prob, target)
    t = target > 0
    assert ndimage.label(warped, FOUR)[1] == ndimage.label(t, FOUR)[1]
    # membrane components with the outside counted as membrane, as the simple-point test sees it
    pad_w = np.pad(~warped, 1, constant_values=True)
    pad_t = np.pad(~t, 1, constant_values=True)
    assert ndimage.label(pad_w, EIGHT)[1] == ndimage.label(pad_t, EIGHT)[1]
    # warping only moves the truth toward the prediction
    p = prob > 0.5
    assert np.all((warped != t) <= (t != p))
    assert warping_error(prob, target) <= pixel_error(prob, target)
    # no pixel left in disagreement is simple (the warp ran to the end)
    left = (warped != p) & simple_points(warped)
    assert not left.any()


def test_warping_respects_the_allowed_mask():
    target = two_cells()
    pred = np.zeros_like(target, dtype=bool)
    pred[1:4, 1:3] = True  # the right cell shrunk away entirely except what the mask protects
    pred[1:4, 4] = True
    allowed = np.ones_like(pred)
    assert warping_error(pred, target) == pytest.approx(0.0)
    allowed[:, 5] = False
    assert warping_error(pred, target, allowed=allowed) == pytest.approx(3 / 35)


def test_warping_error_is_fast_on_512():
    target = membrane_image(512, 400, seed=6)
    rng = np.random.default_rng(6)
    prob = ndimage.gaussian_filter((target > 0) + rng.normal(0, 0.8, target.shape), 1.5)
    prob = (prob - prob.min()) / (prob.max() - prob.min())
    start = time.perf_counter()
    err = warping_error(prob, target)
    elapsed = time.perf_counter() - start
    assert 0 < err < pixel_error(prob, target)
    assert elapsed < 5.0, f"warping_error took {elapsed:.1f} s on 512 x 512"


# ----------------------------------------------------------------------------- instances
def test_instances_from_foreground_connectivity_and_min_size():
    fg = np.zeros((6, 6), bool)
    fg[0, 0] = fg[1, 1] = True  # diagonal neighbours
    fg[3:6, 3:6] = True
    four = instances_from_foreground(fg, connectivity=4)
    eight = instances_from_foreground(fg, connectivity=8)
    assert four.max() == 3 and eight.max() == 2
    assert np.array_equal(four > 0, fg)
    np.testing.assert_array_equal(four, sk_label(fg, connectivity=1))
    np.testing.assert_array_equal(eight, sk_label(fg, connectivity=2))
    big = instances_from_foreground(fg, min_size=2)
    assert big.max() == 1 and np.count_nonzero(big) == 9
    with pytest.raises(TypeError, match="threshold"):
        instances_from_foreground(fg.astype(np.float32))


def test_iou_matrix_against_brute_force():
    rng = np.random.default_rng(7)
    pred = rng.integers(0, 5, (20, 20)) * 3  # ids 0, 3, 6, 9, 12
    true = rng.integers(0, 4, (20, 20))
    iou, true_ids, pred_ids = iou_matrix(pred, true)
    assert true_ids.tolist() == [1, 2, 3] and pred_ids.tolist() == [3, 6, 9, 12]
    for i, t in enumerate(true_ids):
        for j, p in enumerate(pred_ids):
            inter = np.count_nonzero((true == t) & (pred == p))
            union = np.count_nonzero((true == t) | (pred == p))
            assert iou[i, j] == pytest.approx(inter / union)


def test_match_instances_hand_computed():
    true = np.zeros((6, 10), int)
    true[1:5, 1:4] = 1
    true[1:5, 5:8] = 2  # two cells of 12 pixels, one column apart
    exact = match_instances(true * 7, true)
    assert (exact.tp, exact.fp, exact.fn, exact.f1) == (2, 0, 0, 1.0)
    merged = np.zeros_like(true)
    merged[1:5, 1:8] = 1  # one blob of 28 pixels over both: IoU 12/28 < 0.5 with each
    m = match_instances(merged, true)
    assert (m.tp, m.fp, m.fn) == (0, 1, 2) and m.f1 == 0.0
    # a prediction covering half a cell has IoU exactly 0.5: counted (>=), one-to-one
    half = np.zeros_like(true)
    half[1:3, 1:4] = 1
    half[3:5, 1:4] = 2
    h = match_instances(half, true)
    assert (h.tp, h.fp, h.fn) == (1, 1, 1)
    assert h.pairs[0][2] == pytest.approx(0.5)
    assert h.precision == 0.5 and h.recall == 0.5
    nothing = match_instances(np.zeros_like(true), np.zeros_like(true))  # nothing to find, nothing found
    assert (nothing.tp, nothing.fp, nothing.fn) == (0, 0, 0)
    assert np.isnan(nothing.precision) and np.isnan(nothing.recall) and np.isnan(nothing.f1), nothing
    missed = match_instances(np.zeros_like(true), true)  # no prediction: precision undefined, not 1
    assert np.isnan(missed.precision) and missed.recall == 0.0 and missed.f1 == 0.0, missed
    extra = match_instances(true, np.zeros_like(true))  # no true instance: recall undefined
    assert extra.precision == 0.0 and np.isnan(extra.recall) and extra.f1 == 0.0, extra
    with pytest.raises(ValueError, match="iou_threshold"):
        match_instances(true, true, iou_threshold=0.0)


def test_touching_cells_need_a_gap_to_count():
    true = np.zeros((6, 14), int)
    true[1:5, 1:5] = 1
    true[1:5, 5:9] = 2
    true[1:5, 9:13] = 3  # three touching cells in a row
    as_one = instances_from_foreground(true > 0)
    assert as_one.max() == 1
    assert match_instances(as_one, true).tp == 0  # IoU 1/3 with each
    gap = true > 0
    gap[:, [5, 9]] = False  # predicted background lines between them
    sep = instances_from_foreground(gap)
    m = match_instances(sep, true)
    assert (m.tp, m.fp, m.fn) == (3, 0, 0)
