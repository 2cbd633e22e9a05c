"""Instance-level evaluation: are the touching cells separated?

Semantic IoU cannot tell one merged blob from two touching cells. Here each predicted instance is
matched to at most one true instance (one-to-one), a pair counting as a match when its IoU is at
least a threshold (0.5 by default); matched pairs are true positives, unmatched predictions false
positives, unmatched true instances false negatives. With threshold >= 0.5 a true instance can
overlap at most one prediction that well (except in exact ties), so the matching is all but
forced; the assignment below (maximum total IoU, ``scipy.optimize.linear_sum_assignment``) also
settles ties and lower thresholds.

Label maps are integer images: 0 = background, 1..K = instance ids (any ids, not necessarily
consecutive).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from ._inputs import ArrayLike, as_numpy


def _labels(x: ArrayLike, name: str) -> np.ndarray:
    x = as_numpy(x, name, integer="be an integer instance label map (0 = background); "
                 "turn a foreground mask into instances with instances_from_foreground()")
    if x.size and x.min() < 0:
        raise ValueError(f"{name} must hold ids >= 0 (0 = background)")
    return x.astype(np.int64, copy=False)


def instances_from_foreground(foreground: ArrayLike, connectivity: int = 4, min_size: int = 0) -> np.ndarray:
    """Instances of a predicted foreground: its connected components.

    This is how a semantic prediction (cell vs background) becomes instances: cells the network
    separated by a background gap become separate instances, cells it merged become one.

    Args:
        foreground: ``(H, W)`` (or N-D) bool mask, True = foreground; integer maps are read as
            ``> 0``.
        connectivity: 4 (edge neighbours) or 8 (edges and corners) in 2-D; for N-D arrays 4 means
            face neighbours and 8 all neighbours.
        min_size: components with fewer pixels are dropped (set to 0).

    Returns:
        int32 labels of the input's shape, 0 = background, 1..K in raster order of first pixel.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    if min_size < 0:
        raise ValueError(f"min_size must be >= 0, got {min_size}")
    fg = as_numpy(foreground, "foreground")
    if np.issubdtype(fg.dtype, np.floating):
        raise TypeError("foreground must be a bool mask; threshold probabilities first (prob > 0.5)")
    fg = fg > 0
    structure = ndimage.generate_binary_structure(fg.ndim, 1 if connectivity == 4 else fg.ndim)
    labels, n = ndimage.label(fg, structure=structure)
    if min_size > 0 and n > 0:
        sizes = np.bincount(labels.ravel(), minlength=n + 1)
        small = sizes < min_size
        small[0] = False
        labels[small[labels]] = 0
        labels, _, _ = _relabel(labels)
    return labels.astype(np.int32)


def _relabel(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    ids, inverse = np.unique(labels, return_inverse=True)
    if ids[0] != 0:
        ids = np.concatenate([[0], ids])
        inverse = inverse + 1
    return inverse.reshape(labels.shape), ids, len(ids) - 1


def iou_matrix(pred: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IoU of every (true instance, predicted instance) pair.

    Args:
        pred: integer instance labels, 0 = background.
        target: integer instance labels of the same shape.

    Returns:
        ``(iou, true_ids, pred_ids)``: ``iou`` is a float64 ``(n_true, n_pred)`` matrix,
        ``iou[i, j]`` the IoU of true instance ``true_ids[i]`` and predicted ``pred_ids[j]``.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    p = _labels(pred, "pred")
    t = _labels(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    tl, true_ids, nt = _relabel(t)
    pl, pred_ids, npred = _relabel(p)
    inter = np.bincount((tl * (npred + 1) + pl).ravel(), minlength=(nt + 1) * (npred + 1))
    inter = inter.reshape(nt + 1, npred + 1).astype(np.float64)
    t_size = inter.sum(1, keepdims=True)
    p_size = inter.sum(0, keepdims=True)
    union = t_size + p_size - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return iou[1:, 1:], true_ids[1:], pred_ids[1:]


class InstanceMatch(NamedTuple):
    """Result of :func:`match_instances`.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """

    tp: int
    fp: int
    fn: int
    precision: float  # tp / (tp + fp); 1.0 when nothing was predicted and nothing was there
    recall: float  # tp / (tp + fn)
    f1: float  # 2 tp / (2 tp + fp + fn)
    pairs: list[tuple[int, int, float]]  # (true id, predicted id, IoU) of each match


def match_instances(pred: ArrayLike, target: ArrayLike, iou_threshold: float = 0.5) -> InstanceMatch:
    """Match predicted to true instances one-to-one at IoU >= ``iou_threshold``.

    Args:
        pred: integer instance labels, 0 = background (e.g. :func:`instances_from_foreground`).
        target: integer instance labels of the same shape.
        iou_threshold: a pair matches when its IoU is at least this, in ``(0, 1]``.

    Returns:
        :class:`InstanceMatch` with counts, precision, recall, F1 and the matched pairs. With no
        instance on either side precision, recall and F1 are 1.0 (nothing to get wrong).

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    iou, true_ids, pred_ids = iou_matrix(pred, target)
    nt, npred = iou.shape
    pairs: list[tuple[int, int, float]] = []
    if nt and npred:
        eligible = iou >= iou_threshold
        # maximise total IoU over eligible pairs; ineligible pairs get a cost that never wins
        cost = np.where(eligible, -iou, 1.0)
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols):
            if eligible[r, c]:
                pairs.append((int(true_ids[r]), int(pred_ids[c]), float(iou[r, c])))
    tp = len(pairs)
    fp = npred - tp
    fn = nt - tp
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return InstanceMatch(tp, fp, fn, precision, recall, f1, pairs)


class InstanceScores(NamedTuple):
    """Result of :func:`evaluate_instances`: one dict per image and one pooled over all images.

    Each dict holds ``iou`` (foreground IoU, NaN when neither side has foreground), ``precision``,
    ``recall``, ``f1`` (instances matched one-to-one at IoU >= the threshold), the counts ``tp``,
    ``fp``, ``fn``, ``true`` and ``predicted`` (instances), and, per image, ``name``.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """

    per_image: list[dict]
    pooled: dict


def _scores(inter: int, union: int, tp: int, fp: int, fn: int) -> dict:
    return {
        "iou": inter / union if union else float("nan"),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0,
        "tp": tp, "fp": fp, "fn": fn, "true": tp + fn, "predicted": tp + fp,
    }


def evaluate_instances(
    predicted: ArrayLike | list[ArrayLike],
    truth: ArrayLike | list[ArrayLike],
    iou_threshold: float = 0.5,
    names: list[str] | None = None,
) -> InstanceScores:
    """Foreground IoU and instance precision, recall and F1, per image and pooled.

    The foreground IoU counts pixels with an id > 0 on each side. Instances are matched one-to-one
    at IoU >= ``iou_threshold`` by :func:`match_instances`. Pooled scores sum the pixel
    intersections and unions and the ``tp``, ``fp``, ``fn`` counts over all images (a micro
    average: a large image weighs more than a small one), which is not the mean of the per-image
    scores.

    Args:
        predicted: one ``(H, W)`` integer instance label map or a list of them, 0 = background.
        truth: the true instance label maps, as many as ``predicted``, each of its image's size.
        iou_threshold: in ``(0, 1]``; 0.5 by default.
        names: one name per image for the rows (default ``"0"``, ``"1"``, ...).

    Returns:
        :class:`InstanceScores` ``(per_image, pooled)``.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    if not isinstance(predicted, (list, tuple)):
        predicted = [predicted]
    if not isinstance(truth, (list, tuple)):
        truth = [truth]
    if len(predicted) != len(truth) or not predicted:
        raise ValueError(f"need one true label map per prediction (at least one), got {len(predicted)} and {len(truth)}")
    names = [str(k) for k in range(len(predicted))] if names is None else [str(n) for n in names]
    if len(names) != len(predicted):
        raise ValueError(f"need one name per image, got {len(names)} for {len(predicted)} images")
    rows: list[dict] = []
    totals = np.zeros(5, dtype=np.int64)
    for name, p, t in zip(names, predicted, truth):
        p, t = _labels(p, "predicted"), _labels(t, "truth")
        if p.shape != t.shape:
            raise ValueError(f"image {name}: predicted labels are {p.shape} but the true labels {t.shape}")
        m = match_instances(p, t, iou_threshold)
        inter = int(np.count_nonzero((p > 0) & (t > 0)))
        union = int(np.count_nonzero((p > 0) | (t > 0)))
        counts = np.array([inter, union, m.tp, m.fp, m.fn], dtype=np.int64)
        totals += counts
        rows.append({"name": name, **_scores(*map(int, counts))})
    return InstanceScores(rows, _scores(*map(int, totals)))
