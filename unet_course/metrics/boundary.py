"""Boundary quality of a segmentation: the boundary F-score with a distance tolerance.

Mean IoU is dominated by the interior of large regions; a prediction that is right inside every
object and blurred at every edge still scores well. The boundary F-score looks at the edges only
(chapter 04 uses it to compare FCN-32s, 16s and 8s):

1. :func:`label_boundaries`: the pixels of a label map that have a 4-neighbour of another label.
2. precision: the fraction of predicted boundary pixels within ``tolerance`` pixels (Euclidean)
   of a true boundary pixel; recall: the fraction of true boundary pixels within ``tolerance``
   of a predicted one.
3. ``F = 2 P R / (P + R)``.

This is the contour measure of Csurka et al. (BMVC 2013) and of the DAVIS benchmark, with a
fixed tolerance in pixels instead of one relative to the image diagonal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage as ndi

from ._inputs import as_numpy

__all__ = ["BoundaryScore", "label_boundaries", "boundary_f_score"]


@dataclass(frozen=True)
class BoundaryScore:
    """Boundary precision, recall and F-score, each in [0, 1].

    Serves: outline quality of FCN paper section 4.2's skips; chapter 04.
    """

    precision: float
    recall: float
    f_score: float


def _as_labels(x, name: str) -> np.ndarray:
    return as_numpy(x, name, ndim=2, what="label map",
                    integer="hold integer labels; take the argmax over classes first")


def label_boundaries(labels: np.ndarray | torch.Tensor) -> np.ndarray:
    """Boundary pixels of a label map: those with a 4-neighbour of a different label.

    Both pixels of a differing pair are marked, so a boundary between two regions is two pixels
    wide; the image border itself is not a boundary.

    Args:
        labels: ``(H, W)`` integer (or bool) label map.

    Returns:
        ``(H, W)`` bool mask.

    Serves: outline quality of FCN paper section 4.2's skips; chapter 04.
    """
    lab = _as_labels(labels, "labels")
    edge = np.zeros(lab.shape, dtype=bool)
    dy = lab[1:, :] != lab[:-1, :]
    dx = lab[:, 1:] != lab[:, :-1]
    edge[1:, :] |= dy
    edge[:-1, :] |= dy
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    return edge


def _matched_fraction(edges: np.ndarray, other: np.ndarray, tolerance: float) -> float:
    """Fraction of ``edges`` pixels within ``tolerance`` of a pixel of ``other``."""
    n = int(edges.sum())
    if n == 0:
        return 1.0
    if not other.any():
        return 0.0
    distance = ndi.distance_transform_edt(~other)
    return float((distance[edges] <= tolerance).sum() / n)


def boundary_f_score(
    pred: np.ndarray | torch.Tensor,
    target: np.ndarray | torch.Tensor,
    tolerance: float = 2.0,
) -> BoundaryScore:
    """Boundary precision, recall and F-score of ``pred`` against ``target``.

    Args:
        pred: ``(H, W)`` integer label map (class ids, or instance ids).
        target: ``(H, W)`` integer label map, same shape.
        tolerance: a boundary pixel counts as matched when a boundary pixel of the other map lies
            within this Euclidean distance, in pixels (default 2).

    Returns:
        :class:`BoundaryScore`. When neither map has a boundary all three are 1; when only one
        has, precision or recall is 0 and so is the F-score.

    Serves: outline quality of FCN paper section 4.2's skips; chapter 04.
    """
    p = _as_labels(pred, "pred")
    t = _as_labels(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    if not np.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a distance >= 0 in pixels, got {tolerance}")
    pe, te = label_boundaries(p), label_boundaries(t)
    precision = _matched_fraction(pe, te, tolerance)
    recall = _matched_fraction(te, pe, tolerance)
    f = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return BoundaryScore(precision, recall, f)
