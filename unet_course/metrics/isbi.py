"""The three error measures of the ISBI 2012 EM segmentation challenge (Table 1 of the U-Net paper).

Conventions (the same in every function of this module):

- **Label polarity.** A ground truth is a 2-D map with **0 = membrane** (boundary) and
  **1 = cell interior**, like the challenge's label PNGs (0 and 255: anything ``> 0`` is interior).
- **Predictions** are either a probability map of *interior* (float, values in ``[0, 1]``; the
  challenge's submissions were such maps, black = membrane) or a binary map with the same polarity
  as the labels (bool or integer, ``> 0`` = interior). A probability map becomes binary as
  ``prob > threshold`` (strict, as in the challenge's scripts).
- **Connectivity.** A segment (object, 세그먼트) is a **4-connected** component of interior pixels;
  membrane is then **8-connected**. This is the complementary pair that makes the topology of a
  binary image well defined: a one-pixel-wide diagonal membrane still separates two cells. The
  Rand error labels segments with it and the warping error's simple-point test preserves it
  (``connectivity=8`` swaps the pair everywhere it is accepted).

Measures:

- :func:`pixel_error`: fraction of pixels whose binary class differs (squared Euclidean distance
  between binary maps over the pixel count). :func:`pixel_fscore_error` is the leaderboard's
  variant, ``1 -`` the best F-score of interior-pixel agreement over thresholds.
- :func:`rand_error`: the foreground-restricted Rand error, ``1 -`` the best Rand F-score over
  thresholds of the probability map (:func:`rand_scores` gives precision, recall and F-score for
  two segmentations).
- :func:`warping_error`: Jain et al. (2010). The ground truth is warped toward the prediction by
  flipping *simple points* only (pixels whose flip changes no topology); the pixels that still
  disagree afterwards are topological errors (splits, merges, added or deleted objects and holes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from scipy import ndimage

from ._inputs import ArrayLike, as_numpy, check_connectivity

#: Thresholds the challenge's evaluation scripts swept: 0.0, 0.1, ..., 1.0.
DEFAULT_THRESHOLDS: tuple[float, ...] = tuple(round(0.1 * k, 1) for k in range(11))

# The 8 neighbours of a pixel as (row offset, column offset), counter-clockwise from east;
# neighbour k sets bit k of the neighbourhood code. Even k are the 4-neighbours.
NEIGHBOURS: tuple[tuple[int, int], ...] = (
    (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1),
)


# ----------------------------------------------------------------------------- input handling
def _to_numpy(x: ArrayLike, name: str) -> np.ndarray:
    return as_numpy(x, name, ndim=2, ndim_hint="; evaluate slices one at a time", nonempty=True)


def _check_connectivity(connectivity: int) -> None:
    check_connectivity(connectivity)  # of the interior; membrane takes the other one


def as_interior(label: ArrayLike, name: str = "label") -> np.ndarray:
    """A ground-truth map as a bool interior mask.

    Args:
        label: ``(H, W)`` bool or integer map, 0 = membrane, anything > 0 = interior
            (ISBI label PNGs hold 0 and 255).

    Returns:
        ``(H, W)`` bool array, True on interior pixels.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    x = _to_numpy(label, name)
    if x.dtype == bool:
        return x
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(
            f"{name} must be a binary label map (bool or integer, 0 = membrane, > 0 = interior), "
            f"got dtype {x.dtype}; a probability map belongs in the prediction argument"
        )
    return x > 0


def binarize(pred: ArrayLike, threshold: float = 0.5, name: str = "pred") -> np.ndarray:
    """A prediction as a bool interior mask.

    Args:
        pred: ``(H, W)`` probability of interior (float in ``[0, 1]``), or a binary map (bool or
            integer, > 0 = interior).
        threshold: interior where ``prob > threshold``; ignored for binary maps.

    Returns:
        ``(H, W)`` bool array.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    x = _to_numpy(pred, name)
    if x.dtype == bool or np.issubdtype(x.dtype, np.integer):
        return x > 0
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be a float probability map or a binary map, got dtype {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{name} must be a probability of interior in [0, 1], got values in [{lo:.3g}, {hi:.3g}]; "
            "apply softmax (or sigmoid) to the logits and take the interior channel"
        )
    return x > threshold


def _is_binary(pred: ArrayLike) -> bool:
    if isinstance(pred, torch.Tensor):
        return not pred.is_floating_point()
    dtype = np.asarray(pred).dtype
    return dtype == bool or np.issubdtype(dtype, np.integer)


def _check_pair(pred: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, tuple[int, int]]:
    t = as_interior(target, "target")
    p_shape = _to_numpy(pred, "pred").shape
    if p_shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p_shape} and {t.shape}")
    return t, t.shape


def _thresholds(pred: ArrayLike, thresholds: Sequence[float] | None) -> list[float]:
    if _is_binary(pred):
        return [0.5]  # a binary map has one binarization
    ts = list(DEFAULT_THRESHOLDS if thresholds is None else thresholds)
    if not ts:
        raise ValueError("thresholds is empty; give at least one value in [0, 1]")
    if any(not 0.0 <= float(t) <= 1.0 for t in ts):
        raise ValueError(f"thresholds must lie in [0, 1], got {ts}")
    return [float(t) for t in ts]


# ----------------------------------------------------------------------------- pixel error
def pixel_error(pred: ArrayLike, target: ArrayLike, threshold: float = 0.5) -> float:
    """Fraction of pixels whose binary class differs from the ground truth.

    ``||L - L*||^2 / N`` for binary maps L (prediction) and L* (truth): the Hamming distance over
    the number of pixels. It punishes a boundary drawn one pixel off as much as a missing one.

    Args:
        pred: ``(H, W)`` interior probability or binary map (see the module conventions).
        target: ``(H, W)`` ground truth, 0 = membrane, > 0 = interior.
        threshold: binarization threshold of a probability map.

    Returns:
        Error in ``[0, 1]``.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    t, _ = _check_pair(pred, target)
    p = binarize(pred, threshold)
    return float(np.count_nonzero(p != t) / t.size)


def pixel_fscore_error(pred: ArrayLike, target: ArrayLike, thresholds: Sequence[float] | None = None) -> float:
    """The leaderboard's pixel error: ``1 -`` the best F-score of interior pixels over thresholds.

    At each threshold, precision = TP / (TP + FP) and recall = TP / (TP + FN) count interior
    pixels (interior is the positive class). A binary ``pred`` has one threshold.

    Returns:
        Error in ``[0, 1]``.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    t, _ = _check_pair(pred, target)
    best = 0.0
    for th in _thresholds(pred, thresholds):
        p = binarize(pred, th)
        tp = np.count_nonzero(p & t)
        fp = np.count_nonzero(p & ~t)
        fn = np.count_nonzero(~p & t)
        if tp:
            best = max(best, 2.0 * tp / (2.0 * tp + fp + fn))
    return 1.0 - best


# ----------------------------------------------------------------------------- Rand error
def segments(interior: ArrayLike, connectivity: int = 4) -> np.ndarray:
    """Label the connected components of an interior mask.

    Args:
        interior: ``(H, W)`` bool (or 0/1) mask, True = interior.
        connectivity: 4 or 8, the adjacency of interior pixels.

    Returns:
        ``(H, W)`` int32 labels: 0 on membrane, 1..K on the K segments.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    _check_connectivity(connectivity)
    x = _to_numpy(interior, "interior").astype(bool)
    structure = ndimage.generate_binary_structure(2, 1 if connectivity == 4 else 2)
    labels, _ = ndimage.label(x, structure=structure)
    return labels.astype(np.int32)


class RandScores(NamedTuple):
    """Pair-counting agreement of two segmentations (foreground-restricted).

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """

    precision: float  # same-segment pairs of the prediction that are also same-segment in the truth
    recall: float  # same-segment pairs of the truth that the prediction keeps together
    fscore: float  # harmonic mean of the two; the Rand error is 1 - fscore


def rand_scores(pred: ArrayLike, target: ArrayLike, *, count_self_pairs: bool = True) -> RandScores:
    """Foreground-restricted Rand precision, recall and F-score of two label images.

    From the contingency table ``c[i, j]`` = number of pixels in true segment i and predicted
    segment j:

    - pixels with true label 0 (membrane) are left out entirely;
    - pixels with predicted label 0 (predicted membrane inside a true cell) count as singleton
      segments of their own: they are never "together" with any other pixel;
    - ``count_self_pairs=True`` counts ordered pairs including a pixel with itself (the
      challenge's N² normalization): ``sum c_ij²`` etc. ``False`` counts distinct pairs
      (``sum c_ij (c_ij - 1)``), the convention of ``skimage.metrics.adapted_rand_error``.

    precision = (pairs together in both) / (pairs together in the prediction),
    recall = (pairs together in both) / (pairs together in the truth). A ratio with nothing to
    count (no pair together) is 1 (nothing to get wrong).

    Args:
        pred: ``(H, W)`` integer labels of the predicted segments, 0 = membrane.
        target: ``(H, W)`` integer labels of the true segments, same shape, 0 = membrane.

    Returns:
        :class:`RandScores`. The values do not depend on which ids name which segment.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    p = _to_numpy(pred, "pred")
    t = _to_numpy(target, "target")
    if t.shape != p.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    for x, name in ((p, "pred"), (t, "target")):
        if not (x.dtype == bool or np.issubdtype(x.dtype, np.integer)):
            raise TypeError(f"{name} must hold integer segment ids, got dtype {x.dtype}; label a mask with segments()")
        if x.size and x.min() < 0:
            raise ValueError(f"{name} must hold ids >= 0 (0 = membrane)")
    keep = t.ravel() > 0
    if not np.any(keep):
        raise ValueError("target has no segment (all membrane): the Rand score is undefined")
    ti = t.ravel()[keep].astype(np.int64)
    pj = p.ravel()[keep].astype(np.int64)
    # contingency counts of the (true, pred) pairs present, without a dense table
    pairs = np.unique(ti * (int(pj.max()) + 1) + pj, return_counts=True)
    codes, c = pairs
    c = c.astype(np.float64)
    pred_id = codes % (int(pj.max()) + 1)
    in_pred_segment = pred_id > 0
    _, a = np.unique(ti, return_counts=True)  # true segment sizes (inside the foreground)
    a = a.astype(np.float64)
    b = np.bincount(pred_id[in_pred_segment], weights=c[in_pred_segment]).astype(np.float64)
    b = b[b > 0]
    cij = c[in_pred_segment]
    if count_self_pairs:
        singletons = float(c[~in_pred_segment].sum())  # each contributes the pair (x, x)
        both = float(cij @ cij) + singletons
        in_pred = float(b @ b) + singletons
        in_true = float(a @ a)
    else:
        both = float(cij @ (cij - 1.0))
        in_pred = float(b @ (b - 1.0))
        in_true = float(a @ (a - 1.0))
    precision = both / in_pred if in_pred > 0 else 1.0
    recall = both / in_true if in_true > 0 else 1.0
    fscore = 2.0 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return RandScores(precision, recall, fscore)


def rand_fscores(
    pred: ArrayLike,
    target: ArrayLike,
    thresholds: Sequence[float] | None = None,
    *,
    connectivity: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Rand F-score of the prediction at each threshold (the curve :func:`rand_error` maximises).

    Returns:
        ``(thresholds, fscores)``, two float64 arrays of the same length.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    t, _ = _check_pair(pred, target)
    true_seg = segments(t, connectivity)
    ths = _thresholds(pred, thresholds)
    scores = [rand_scores(segments(binarize(pred, th), connectivity), true_seg).fscore for th in ths]
    return np.asarray(ths, dtype=np.float64), np.asarray(scores, dtype=np.float64)


def rand_error(
    pred: ArrayLike,
    target: ArrayLike,
    thresholds: Sequence[float] | None = None,
    *,
    connectivity: int = 4,
) -> float:
    """Foreground-restricted Rand error: ``1 -`` the maximal Rand F-score over thresholds.

    The truth's segments are the 4-connected components of its interior, the prediction's those of
    ``prob > threshold``; membrane pixels of the truth are excluded and predicted membrane inside
    a true cell counts as singletons (see :func:`rand_scores`). A binary ``pred`` has one
    threshold. Zero for a prediction with the same segments, whatever their ids.

    Args:
        pred: ``(H, W)`` interior probability or binary map.
        target: ``(H, W)`` ground truth, 0 = membrane, > 0 = interior.
        thresholds: default 0.0, 0.1, ..., 1.0 (the challenge's sweep).
        connectivity: adjacency of interior pixels, 4 (default) or 8.

    Returns:
        Error in ``[0, 1]``.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    _, f = rand_fscores(pred, target, thresholds, connectivity=connectivity)
    return float(1.0 - f.max())


# ----------------------------------------------------------------------------- simple points
def _yokoi_number(bits: np.ndarray, connectivity: int) -> int:
    """Yokoi's connectivity number of the 8 neighbours ``bits`` (1 = interior), ring order of NEIGHBOURS."""
    x = np.concatenate([bits, bits[:2]]).astype(int)
    if connectivity == 8:
        x = 1 - x  # count with the complement: the formula below is the 4-adjacency one
    return int(sum(x[k] - x[k] * x[k + 1] * x[k + 2] for k in (0, 2, 4, 6)))


def simple_point_table(connectivity: int = 4) -> np.ndarray:
    """Look-up table of simple points for every 3x3 neighbourhood.

    A pixel is *simple* when flipping it (interior <-> membrane) changes no topology: the number
    of interior components and membrane components stays the same, locally and hence globally.
    In 2-D this holds exactly when Yokoi's connectivity number of its 8 neighbours is 1. With
    ``connectivity=4`` interior is 4-connected and membrane 8-connected (the module's
    convention); with 8 it is the other way round. Whether a pixel is simple does not depend on
    its own value, only on the neighbours.

    Args:
        connectivity: adjacency of interior pixels, 4 or 8.

    Returns:
        ``(256,)`` bool array indexed by the neighbourhood code ``sum(bit_k << k)``, where bit k
        is 1 when neighbour ``NEIGHBOURS[k]`` (counter-clockwise from east) is interior.
    """
    _check_connectivity(connectivity)
    table = np.zeros(256, dtype=bool)
    for code in range(256):
        bits = np.array([(code >> k) & 1 for k in range(8)])
        table[code] = _yokoi_number(bits, connectivity) == 1
    return table


_TABLES = {c: simple_point_table(c) for c in (4, 8)}


def neighbourhood_codes(
    interior: np.ndarray, rows: np.ndarray | None = None, cols: np.ndarray | None = None
) -> np.ndarray:
    """8-bit neighbourhood code of pixels of a bool map (outside the image counts as membrane).

    Args:
        interior: ``(H, W)`` bool map.
        rows, cols: optional 1-D index arrays; codes of those pixels only (default: all pixels).

    Returns:
        uint8 codes, ``(H, W)`` or the shape of ``rows``.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    padded = np.pad(np.asarray(interior, dtype=np.uint8), 1, constant_values=0)
    if rows is None:
        h, w = interior.shape
        code = np.zeros((h, w), dtype=np.uint8)
        for k, (dr, dc) in enumerate(NEIGHBOURS):
            code |= padded[1 + dr : 1 + dr + h, 1 + dc : 1 + dc + w] << k
        return code
    code = np.zeros(np.shape(rows), dtype=np.uint8)
    for k, (dr, dc) in enumerate(NEIGHBOURS):
        code |= padded[rows + 1 + dr, cols + 1 + dc] << k
    return code


def simple_points(interior: ArrayLike, connectivity: int = 4) -> np.ndarray:
    """Mask of the simple points of a binary map (see :func:`simple_point_table`).

    Args:
        interior: ``(H, W)`` bool map, True = interior; outside the image counts as membrane.
        connectivity: adjacency of interior pixels, 4 or 8.

    Returns:
        ``(H, W)`` bool mask, True where flipping the pixel preserves the topology.

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    _check_connectivity(connectivity)
    x = _to_numpy(interior, "interior").astype(bool)
    return _TABLES[connectivity][neighbourhood_codes(x)]


# ----------------------------------------------------------------------------- warping error
def warp_to_prediction(
    pred: ArrayLike,
    target: ArrayLike,
    threshold: float = 0.5,
    *,
    connectivity: int = 4,
    allowed: ArrayLike | None = None,
    max_passes: int = 100_000,
) -> np.ndarray:
    """Warp the ground truth toward the prediction by flipping simple points only.

    Greedy, in passes: each pass visits the four pixel sub-lattices ``(row % 2, col % 2)`` in
    turn and flips, at once, every pixel of the sub-lattice that disagrees with the prediction and
    is simple in the current warped map. Pixels of one sub-lattice are never in each other's 3x3
    neighbourhood, so flipping them together is the same as flipping them one after another, and
    every flip preserves the topology. Passes repeat until one flips nothing. The result is a
    topology-preserving warping of the truth; the pixels where it still differs from the
    prediction are the topological disagreements.

    Args:
        pred: ``(H, W)`` interior probability or binary map.
        target: ``(H, W)`` ground truth, 0 = membrane, > 0 = interior.
        threshold: binarization threshold of a probability map.
        connectivity: adjacency of interior pixels, 4 (default) or 8.
        allowed: optional ``(H, W)`` bool mask; pixels outside it are never flipped (Jain et al.'s
            geometric constraint). Default: anywhere.
        max_passes: safety bound on the number of passes.

    Returns:
        ``(H, W)`` bool map, the warped truth (True = interior).

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    _check_connectivity(connectivity)
    t, shape = _check_pair(pred, target)
    p = binarize(pred, threshold)
    warped = t.copy()
    free = np.ones(shape, dtype=bool) if allowed is None else _to_numpy(allowed, "allowed").astype(bool)
    if free.shape != shape:
        raise ValueError(f"allowed must have the shape of target {shape}, got {free.shape}")
    table = _TABLES[connectivity]
    sub = [(r, c) for r in (0, 1) for c in (0, 1)]
    for _ in range(max_passes):
        flipped = 0
        for r0, c0 in sub:
            view_w = warped[r0::2, c0::2]
            rows, cols = np.nonzero((view_w != p[r0::2, c0::2]) & free[r0::2, c0::2])
            if rows.size == 0:
                continue
            rows = rows * 2 + r0
            cols = cols * 2 + c0
            ok = table[neighbourhood_codes(warped, rows, cols)]
            if np.any(ok):
                warped[rows[ok], cols[ok]] ^= True
                flipped += int(np.count_nonzero(ok))
        if flipped == 0:
            return warped
    raise RuntimeError(f"warping did not settle in {max_passes} passes")


def warping_error(
    pred: ArrayLike,
    target: ArrayLike,
    threshold: float = 0.5,
    *,
    connectivity: int = 4,
    allowed: ArrayLike | None = None,
) -> float:
    """Warping error (Jain et al. 2010): pixel disagreement left after a topology-preserving warp.

    The truth is warped toward the binarized prediction with :func:`warp_to_prediction`; the
    error is the fraction of pixels where the warped truth and the prediction still differ. A
    prediction that differs from the truth only by boundary shifts (simple points) scores 0; a
    split, a merge, a missing or an extra object leaves at least one pixel. The greedy warp is a
    valid warping, so the value is an upper bound of the minimum over all warpings (the
    definition). Like the challenge's own script it is greedy: where a prediction is reachable
    only through flips in a particular order (dense pixel noise along boundaries, say), the warp
    can stop with a few pixels that another order would have resolved.

    Args:
        pred: ``(H, W)`` interior probability or binary map.
        target: ``(H, W)`` ground truth, 0 = membrane, > 0 = interior.
        threshold: binarization threshold of a probability map.
        connectivity: adjacency of interior pixels, 4 (default) or 8.
        allowed: optional mask of pixels that may be flipped.

    Returns:
        Error in ``[0, 1]`` (fraction of all pixels).

    Serves: U-Net paper section 4, Table 1 (ISBI 2012 warping, Rand and pixel errors); chapter 09.
    """
    warped = warp_to_prediction(pred, target, threshold, connectivity=connectivity, allowed=allowed)
    p = binarize(pred, threshold)
    return float(np.count_nonzero(warped != p) / p.size)
