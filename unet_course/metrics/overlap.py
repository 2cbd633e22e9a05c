"""Pixel-level agreement between a predicted and a true label map.

All functions take integer class maps of the same shape (any number of dimensions): ``pred`` and
``target`` hold class ids ``0 .. num_classes - 1``. They are built on one confusion matrix, so
accuracy and IoU always agree with each other.
"""

from __future__ import annotations

import numpy as np

from ._inputs import ArrayLike, as_numpy


def _as_class_map(x: ArrayLike, name: str) -> np.ndarray:
    x = as_numpy(x, name, integer="hold integer class ids; "
                 "take the argmax over the class axis of scores first (scores.argmax(0))")
    return x.astype(np.int64, copy=False)


def confusion_matrix(pred: ArrayLike, target: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """Count pixels by (true class, predicted class).

    Args:
        pred: predicted class ids, any shape, integer or bool.
        target: true class ids, the same shape.
        num_classes: number of classes; default ``max(pred, target) + 1``.

    Returns:
        ``(num_classes, num_classes)`` int64 matrix ``m`` with ``m[t, p]`` = number of pixels of
        true class ``t`` predicted as ``p``.

    Serves: U-Net paper section 4, Table 2 (IoU) and FCN paper section 5 (mean IU); chapters 01, 04, 09.
    """
    p = _as_class_map(pred, "pred")
    t = _as_class_map(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    if p.size and (p.min() < 0 or t.min() < 0):
        raise ValueError("class ids must be >= 0")
    seen = int(max(p.max(initial=0), t.max(initial=0))) + 1
    if num_classes is None:
        num_classes = seen
    elif seen > num_classes:
        raise ValueError(f"found class id {seen - 1} but num_classes={num_classes}; ids must be < num_classes")
    flat = t.ravel() * num_classes + p.ravel()
    return np.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def pixel_accuracy(pred: ArrayLike, target: ArrayLike) -> float:
    """Fraction of pixels whose predicted class equals the true class, in [0, 1].

    Serves: U-Net paper section 4, Table 2 (IoU) and FCN paper section 5 (mean IU); chapters 01, 04, 09.
    """
    m = confusion_matrix(pred, target)
    total = m.sum()
    if total == 0:
        raise ValueError("pred and target are empty: accuracy is undefined")
    return float(np.trace(m) / total)


def iou_per_class(pred: ArrayLike, target: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """Intersection over union of each class: ``TP / (TP + FP + FN)``.

    Returns a ``(num_classes,)`` float64 array; a class absent from both ``pred`` and
    ``target`` has no defined IoU and gets ``nan``.

    Serves: U-Net paper section 4, Table 2 (IoU) and FCN paper section 5 (mean IU); chapters 01, 04, 09.
    """
    m = confusion_matrix(pred, target, num_classes).astype(np.float64)
    tp = np.diag(m)
    union = m.sum(0) + m.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def mean_iou(pred: ArrayLike, target: ArrayLike, num_classes: int | None = None) -> float:
    """Mean of :func:`iou_per_class` over the classes present in ``pred`` or ``target``.

    Serves: U-Net paper section 4, Table 2 (IoU) and FCN paper section 5 (mean IU); chapters 01, 04, 09.
    """
    ious = iou_per_class(pred, target, num_classes)
    if np.all(np.isnan(ious)):
        raise ValueError("no class is present in pred or target: mean IoU is undefined")
    return float(np.nanmean(ious))
