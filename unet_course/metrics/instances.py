"""Instance-level evaluation: are the touching cells separated?

Semantic IoU cannot tell one merged blob from two touching cells. Here each predicted instance is
matched to at most one true instance (one-to-one), a pair counting as a match when its IoU is at
least a threshold (0.5 by default); matched pairs are true positives (TP), unmatched predictions
false positives (FP), unmatched true instances false negatives (FN). With a threshold above 0.5 a
true instance can overlap at most one prediction that well, so the matching is forced; the
assignment below (``scipy.optimize.linear_sum_assignment``) takes as many pairs as possible and,
among those, the largest total IoU, which settles exact ties at 0.5 and lower thresholds. This is
the matching of StarDist's ``stardist.matching.matching`` and of Cellpose's ``metrics``.

From the counts at one threshold (:class:`MatchCounts`):

- precision ``TP / (TP + FP)``, recall ``TP / (TP + FN)``, F1 ``2 TP / (2 TP + FP + FN)``;
- ``ap``: ``TP / (TP + FP + FN)``, what the 2018 Data Science Bowl, StarDist (``accuracy``) and
  Cellpose (``average_precision``) call the average precision at that IoU threshold.
  :func:`average_precision` is its mean over :data:`AP_THRESHOLDS` 0.50, 0.55, ..., 0.95 (the
  microscopy "AP"; not COCO's AP, which is the area under a precision-recall curve of scored
  detections);
- panoptic quality (Kirillov et al., "Panoptic Segmentation", CVPR 2019, eq. 1) at IoU 0.5:
  ``PQ = sum of matched IoU / (TP + FP/2 + FN/2) = SQ x RQ``, with segmentation quality ``SQ`` the
  mean IoU of the matches and recognition quality ``RQ = F1``. Pairs match at IoU >= 0.5 as in
  StarDist's ``panoptic_quality`` (Kirillov et al. write > 0.5; the two differ on exact ties only).

A score whose denominator is zero is undefined and is NaN, never a made-up 1 or 0: precision with
no predicted instance, recall with no true instance, F1, AP and PQ with neither, SQ without a
match. (StarDist reports 0 in all of these cases.)

Label maps are integer images: 0 = background, 1..K = instance ids (any ids, not necessarily
consecutive).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from ._inputs import ArrayLike, as_numpy, check_connectivity

#: IoU thresholds of :func:`average_precision`: 0.50, 0.55, ..., 0.95.
AP_THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * k, 2) for k in range(10))

#: IoU threshold of the panoptic quality (Kirillov et al. 2019).
PQ_THRESHOLD = 0.5


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
    check_connectivity(connectivity)
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


def _overlaps(pred: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel counts of every (true id, predicted id) pair, background row and column included:
    float64 ``(n_true + 1, n_pred + 1)``, with the ids of its rows and columns (0 first)."""
    p = _labels(pred, "pred")
    t = _labels(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    tl, true_ids, nt = _relabel(t)
    pl, pred_ids, npred = _relabel(p)
    inter = np.bincount((tl * (npred + 1) + pl).ravel(), minlength=(nt + 1) * (npred + 1))
    return inter.reshape(nt + 1, npred + 1).astype(np.float64), true_ids, pred_ids


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
    inter, true_ids, pred_ids = _overlaps(pred, target)
    t_size = inter.sum(1, keepdims=True)
    p_size = inter.sum(0, keepdims=True)
    union = t_size + p_size - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return iou[1:, 1:], true_ids[1:], pred_ids[1:]


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


class MatchCounts(NamedTuple):
    """Counts of a one-to-one matching at one IoU threshold, and the scores made from them.

    Counts of several images add up (:func:`pool_counts`), so pooled scores are micro averages.
    Every ratio with a zero denominator is NaN (see the module docstring).

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """

    threshold: float  # a pair matches when its IoU is >= this
    tp: int  # matched pairs
    fp: int  # predicted instances left unmatched
    fn: int  # true instances left unmatched
    matched_iou: float  # sum of the IoU of the tp matched pairs

    @property
    def precision(self) -> float:
        """``TP / (TP + FP)``; NaN with no predicted instance."""
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """``TP / (TP + FN)``; NaN with no true instance."""
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        """``2 TP / (2 TP + FP + FN)``; NaN with no instance on either side. Equals ``rq``."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def ap(self) -> float:
        """``TP / (TP + FP + FN)`` (StarDist's ``accuracy``); NaN with no instance on either side."""
        return _ratio(self.tp, self.tp + self.fp + self.fn)

    @property
    def sq(self) -> float:
        """Segmentation quality: mean IoU of the matched pairs; NaN without a match."""
        return _ratio(self.matched_iou, self.tp)

    @property
    def rq(self) -> float:
        """Recognition quality ``TP / (TP + FP/2 + FN/2)``, the F1."""
        return self.f1

    @property
    def pq(self) -> float:
        """Panoptic quality ``sum of matched IoU / (TP + FP/2 + FN/2)`` = SQ x RQ (0 without a match)."""
        return _ratio(self.matched_iou, self.tp + 0.5 * (self.fp + self.fn))


def pool_counts(counts: list[MatchCounts]) -> MatchCounts:
    """The counts of several images at one threshold, summed (pooled, micro-averaged scores).

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    if not counts:
        raise ValueError("pool_counts needs at least one MatchCounts")
    thresholds = {c.threshold for c in counts}
    if len(thresholds) != 1:
        raise ValueError(f"can only pool counts made at one IoU threshold, got {sorted(thresholds)}")
    return MatchCounts(counts[0].threshold, sum(c.tp for c in counts), sum(c.fp for c in counts),
                       sum(c.fn for c in counts), float(sum(c.matched_iou for c in counts)))


def _check_threshold(threshold: float) -> float:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], got {threshold}")
    return float(threshold)


def _assign(iou: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the matched pairs: as many pairs with IoU >= ``threshold`` as possible,
    and among such matchings the one of largest total IoU."""
    eligible = iou >= threshold
    rows, cols = np.flatnonzero(eligible.any(1)), np.flatnonzero(eligible.any(0))
    if rows.size == 0:
        return rows, cols
    ok = eligible[np.ix_(rows, cols)]
    # each pair is worth 1 plus a tie-breaker; the tie-breakers of any matching sum to < 1
    gain = ok * (1.0 + iou[np.ix_(rows, cols)] / (2.0 * min(ok.shape)))
    r, c = linear_sum_assignment(-gain)
    keep = ok[r, c]
    return rows[r[keep]], cols[c[keep]]


def _counts(iou: np.ndarray, threshold: float) -> MatchCounts:
    r, c = _assign(iou, threshold)
    nt, npred = iou.shape
    return MatchCounts(threshold, len(r), npred - len(r), nt - len(r), float(iou[r, c].sum()))


class InstanceMatch(NamedTuple):
    """Result of :func:`match_instances`.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """

    tp: int
    fp: int
    fn: int
    precision: float  # tp / (tp + fp); NaN when nothing was predicted
    recall: float  # tp / (tp + fn); NaN when there is no true instance
    f1: float  # 2 tp / (2 tp + fp + fn); NaN when there is no instance on either side
    pairs: list[tuple[int, int, float]]  # (true id, predicted id, IoU) of each match


def match_instances(pred: ArrayLike, target: ArrayLike, iou_threshold: float = 0.5) -> InstanceMatch:
    """Match predicted to true instances one-to-one at IoU >= ``iou_threshold``.

    Args:
        pred: integer instance labels, 0 = background (e.g. :func:`instances_from_foreground`).
        target: integer instance labels of the same shape.
        iou_threshold: a pair matches when its IoU is at least this, in ``(0, 1]``.

    Returns:
        :class:`InstanceMatch` with counts, precision, recall, F1 and the matched pairs (the most
        pairs possible, ties settled by the largest total IoU). Undefined scores are NaN:
        precision with no predicted instance, recall with no true one, F1 with neither.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    threshold = _check_threshold(iou_threshold)
    iou, true_ids, pred_ids = iou_matrix(pred, target)
    r, c = _assign(iou, threshold)
    pairs = [(int(true_ids[i]), int(pred_ids[j]), float(iou[i, j])) for i, j in zip(r, c)]
    m = MatchCounts(threshold, len(pairs), iou.shape[1] - len(pairs), iou.shape[0] - len(pairs), 0.0)
    return InstanceMatch(m.tp, m.fp, m.fn, m.precision, m.recall, m.f1, pairs)


def match_counts(
    pred: ArrayLike, target: ArrayLike, thresholds: tuple[float, ...] = AP_THRESHOLDS
) -> list[MatchCounts]:
    """The matching counts at each IoU threshold, from one IoU matrix.

    Args:
        pred: integer instance labels, 0 = background.
        target: integer instance labels of the same shape.
        thresholds: IoU thresholds in ``(0, 1]`` (default :data:`AP_THRESHOLDS`).

    Returns:
        One :class:`MatchCounts` per threshold, in the order given.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    ts = [_check_threshold(t) for t in thresholds]
    if not ts:
        raise ValueError("thresholds is empty; give at least one IoU threshold in (0, 1]")
    iou, _, _ = iou_matrix(pred, target)
    return [_counts(iou, t) for t in ts]


def _mean_ap(counts: list[MatchCounts]) -> float:
    aps = [c.ap for c in counts]
    return float("nan") if any(np.isnan(aps)) else float(np.mean(aps))


def average_precision(
    pred: ArrayLike, target: ArrayLike, thresholds: tuple[float, ...] = AP_THRESHOLDS
) -> float:
    """Mean over IoU thresholds of ``TP / (TP + FP + FN)``, the microscopy "AP" (AP@[.5:.95]).

    At each threshold ``t`` the instances are matched as in :func:`match_instances` and
    ``AP_t = TP / (TP + FP + FN)``: the 2018 Data Science Bowl's score, StarDist's
    ``matching(target, pred, t).accuracy`` and Cellpose's ``metrics.average_precision``. Not COCO's
    AP (no detection scores, no precision-recall curve).

    Args:
        pred: integer instance labels, 0 = background.
        target: integer instance labels of the same shape.
        thresholds: IoU thresholds in ``(0, 1]``; default 0.50, 0.55, ..., 0.95.

    Returns:
        The mean in ``[0, 1]``; NaN when neither map has an instance.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    return _mean_ap(match_counts(pred, target, thresholds))


def panoptic_quality(pred: ArrayLike, target: ArrayLike) -> float:
    """Panoptic quality at IoU 0.5 (Kirillov et al. 2019): sum of matched IoU / (TP + FP/2 + FN/2).

    PQ = SQ x RQ; read SQ and RQ off ``match_counts(pred, target, (0.5,))[0]``.

    Args:
        pred: integer instance labels, 0 = background.
        target: integer instance labels of the same shape.

    Returns:
        PQ in ``[0, 1]``; NaN when neither map has an instance.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    return match_counts(pred, target, (PQ_THRESHOLD,))[0].pq


class InstanceScores(NamedTuple):
    """Result of :func:`evaluate_instances`: one dict per image and one pooled over all images.

    Each dict holds ``iou`` (foreground IoU), ``precision``, ``recall``, ``f1`` (instances matched
    one-to-one at IoU >= the chosen threshold), ``ap`` (mean of ``TP / (TP + FP + FN)`` over IoU
    0.50, 0.55, ..., 0.95), ``ap_by_threshold`` (``{"0.50": ..., ..., "0.95": ...}``), ``pq``,
    ``sq``, ``rq`` (panoptic, segmentation and recognition quality at IoU 0.5), the counts ``tp``,
    ``fp``, ``fn`` (at the chosen threshold), ``true`` and ``predicted`` (instances), and, per image,
    ``name``. Undefined scores are NaN (see the module docstring).

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """

    per_image: list[dict]
    pooled: dict


def _scores(inter: int, union: int, at: MatchCounts, ap: list[MatchCounts], pq: MatchCounts) -> dict:
    return {
        "iou": _ratio(inter, union),
        "precision": at.precision, "recall": at.recall, "f1": at.f1,
        "ap": _mean_ap(ap), "ap_by_threshold": {f"{c.threshold:.2f}": c.ap for c in ap},
        "pq": pq.pq, "sq": pq.sq, "rq": pq.rq,
        "tp": at.tp, "fp": at.fp, "fn": at.fn, "true": at.tp + at.fn, "predicted": at.tp + at.fp,
    }


def evaluate_instances(
    pred: ArrayLike | list[ArrayLike],
    target: ArrayLike | list[ArrayLike],
    iou_threshold: float = 0.5,
    names: list[str] | None = None,
) -> InstanceScores:
    """Foreground IoU, instance precision, recall, F1, AP and PQ, per image and pooled.

    The foreground IoU counts pixels with an id > 0 on each side. Instances are matched one-to-one
    as in :func:`match_instances`: at IoU >= ``iou_threshold`` for precision, recall and F1, at
    each of 0.50, 0.55, ..., 0.95 for the AP (:func:`average_precision`) and at 0.5 for the
    panoptic quality (:func:`panoptic_quality`). Pooled scores sum the pixel intersections and
    unions, the counts and the matched IoU over all images before dividing (a micro average, as
    StarDist's ``matching_dataset``: a large image weighs more than a small one), which is not the
    mean of the per-image scores. Undefined scores are NaN.

    Args:
        pred: one ``(H, W)`` integer instance label map or a list of them, 0 = background.
        target: the true instance label maps, as many as ``pred``, each of its image's size.
        iou_threshold: in ``(0, 1]``; 0.5 by default.
        names: one name per image for the rows (default ``"0"``, ``"1"``, ...).

    Returns:
        :class:`InstanceScores` ``(per_image, pooled)``.

    Serves: U-Net paper section 4, Table 2 (cells scored per instance); chapters 08, 09.
    """
    threshold = _check_threshold(iou_threshold)
    if not isinstance(pred, (list, tuple)):
        pred = [pred]
    if not isinstance(target, (list, tuple)):
        target = [target]
    if len(pred) != len(target) or not pred:
        raise ValueError(f"need one true label map per prediction (at least one), got {len(pred)} and {len(target)}")
    names = [str(k) for k in range(len(pred))] if names is None else [str(n) for n in names]
    if len(names) != len(pred):
        raise ValueError(f"need one name per image, got {len(names)} for {len(pred)} images")
    maps = [(_labels(p, "pred"), _labels(t, "target")) for p, t in zip(pred, target)]
    for name, (p, t) in zip(names, maps):
        if p.shape != t.shape:
            raise ValueError(f"image {name}: predicted labels are {p.shape} but the true labels {t.shape}")
    thresholds = (threshold, PQ_THRESHOLD, *AP_THRESHOLDS)
    rows: list[dict] = []
    pixels = np.zeros(2, dtype=np.int64)
    per_threshold: list[list[MatchCounts]] = [[] for _ in thresholds]
    for name, (p, t) in zip(names, maps):
        iou, _, _ = iou_matrix(p, t)
        counts = [_counts(iou, th) for th in thresholds]
        inter = int(np.count_nonzero((p > 0) & (t > 0)))
        union = int(np.count_nonzero((p > 0) | (t > 0)))
        pixels += (inter, union)
        for bucket, c in zip(per_threshold, counts):
            bucket.append(c)
        rows.append({"name": name, **_scores(inter, union, counts[0], counts[2:], counts[1])})
    pooled = [pool_counts(bucket) for bucket in per_threshold]
    return InstanceScores(rows, _scores(int(pixels[0]), int(pixels[1]), pooled[0], pooled[2:], pooled[1]))


class InstanceErrors(NamedTuple):
    """Result of :func:`merges_and_splits`.

    Attributes:
        merges: ``(predicted id, (true ids ...))`` for every predicted object that holds at least
            ``fraction`` of each of two or more true objects, in increasing predicted id.
        splits: ``(true id, (predicted ids ...))`` for every true object that holds at least
            ``fraction`` of each of two or more predicted objects, in increasing true id.

    Serves: U-Net paper section 3 (touching objects separated by the weight map); chapter 12.
    """

    merges: list[tuple[int, tuple[int, ...]]]
    splits: list[tuple[int, tuple[int, ...]]]


def merges_and_splits(pred: ArrayLike, truth: ArrayLike, fraction: float = 0.5) -> InstanceErrors:
    """The merged and the split objects of a predicted instance image: why instances went unmatched.

    A predicted object *holds* a true object when at least ``fraction`` of the true object's
    pixels lie inside it; it is a merge when it holds two or more. Symmetrically, a true object is
    split when two or more predicted objects each lie with at least ``fraction`` of their pixels
    inside it. With ``fraction`` > 0.5 no object can be held twice, so each object is counted in
    at most one merge and one split. A merge of two costs a false negative in the matched scores,
    a split of two a false positive.

    Args:
        pred: ``(H, W)`` predicted instance ids, 0 = background (any ids, not necessarily 1..N).
        truth: ``(H, W)`` true instance ids of the same shape.
        fraction: the share of an object's pixels that must lie inside the other one, in (0, 1].

    Returns:
        :class:`InstanceErrors` ``(merges, splits)``.

    Serves: U-Net paper section 3 (touching objects separated by the weight map); chapter 12.
    """
    if not 0.0 < float(fraction) <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    inter, true_ids, pred_ids = _overlaps(pred, truth)
    true_area, pred_area = inter.sum(1), inter.sum(0)
    held = inter >= fraction * true_area[:, None]   # [t, p]: p holds that share of true object t
    inside = inter >= fraction * pred_area[None, :]  # [t, p]: that share of p lies inside t
    held[0, :] = held[:, 0] = inside[0, :] = inside[:, 0] = False  # background is no object
    merges = [(int(pred_ids[j]), tuple(int(t) for t in true_ids[held[:, j]]))
              for j in range(1, len(pred_ids)) if held[:, j].sum() >= 2]
    splits = [(int(true_ids[i]), tuple(int(q) for q in pred_ids[inside[i, :]]))
              for i in range(1, len(true_ids)) if inside[i, :].sum() >= 2]
    return InstanceErrors(merges, splits)
