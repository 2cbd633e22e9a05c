"""The U-Net paper's pixel-wise loss weights (가중치 맵) and separation borders (분리 경계).

Ronneberger et al. (2015) precompute, for every ground-truth segmentation, a weight map

.. math::

    w(x) = w_c(x) + w_0 \\cdot \\exp\\left(-\\frac{(d_1(x) + d_2(x))^2}{2\\sigma^2}\\right)

with :math:`w_c` balancing the class frequencies, :math:`d_1` and :math:`d_2` the distances to the
borders of the nearest and the second-nearest cell, :math:`w_0 = 10` and :math:`\\sigma \\approx 5`
pixels (their eq. 2). Before that they cut thin background gaps, the separation borders, between
touching cells with morphological operations, so that the network has background pixels to learn
between neighbours. Both start from *instance* labels: connected components of a binary mask
would merge exactly the touching cells this is made for.

Public functions:

- :func:`looks_binary`: whether a label image is a binary mask rather than instance labels.
- :func:`separation_border`, :func:`separate_instances`: the background gaps between touching cells.
- :func:`class_balance_weights`: the :math:`w_c` of a set of label maps.
- :func:`weight_map`: eq. 2, fast (per-instance distance transforms in windows).
- :func:`weight_map_naive`: eq. 2 with one full-image distance transform per instance, the
  straightforward method, kept as a reference and for the benchmark.
- :func:`touching_pairs`, :func:`separated_fraction`: which cells touch, and how many touching
  pairs a predicted foreground mask keeps apart.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import ndimage as ndi

ClassWeights = str | Sequence[float] | np.ndarray | None

__all__ = [
    "border_window",
    "class_balance_weights",
    "looks_binary",
    "separate_instances",
    "separated_fraction",
    "separation_border",
    "touching_pairs",
    "weight_map",
    "weight_map_naive",
]


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


def _check_instances(instance_labels: np.ndarray, name: str = "instance_labels") -> np.ndarray:
    """Return ``instance_labels`` as a 2-D int64 array, or raise a clear error."""
    labels = np.asarray(instance_labels)
    if labels.dtype == bool:
        raise TypeError(
            f"{name} is a boolean mask; the weight map needs instance labels (0 = background, "
            "one positive integer id per cell). Connected components of a mask would merge "
            "touching cells; label the cells individually instead"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(
            f"{name} must be an integer array of instance ids (0 = background, 1, 2, ... = cells), "
            f"got dtype {labels.dtype}; convert with .astype(np.int32) if the values are ids"
        )
    if labels.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {labels.shape}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name} must not be negative (0 = background, > 0 = cell ids), got min {labels.min()}")
    return labels.astype(np.int64, copy=False)


def looks_binary(labels: np.ndarray) -> bool:
    """Whether an integer label image looks like a binary mask rather than instance labels: all its
    objects carry one and the same id while that id covers several separate (8-connected) regions.

    Such a mask has no second-nearest cell for the border term, and touching objects in it are one
    region (:func:`weight_map` warns; :func:`unet_course.data.targets.as_instances` splits it into
    connected components).

    Serves: U-Net paper section 3, eq. 2 (separation borders and the weight map from instance labels); chapters 08-09.
    """
    lab = np.asarray(labels)
    ids = np.unique(lab)
    ids = ids[ids != 0]
    if len(ids) != 1:
        return False
    _, n = ndi.label(lab > 0, structure=np.ones((3, 3), dtype=bool))
    return n > 1


def _check_w0_sigma(w0: float, sigma: float) -> None:
    if not np.isfinite(w0) or w0 < 0:
        raise ValueError(f"w0 must be a finite number >= 0 (the paper uses 10), got {w0}")
    if not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma must be a finite number > 0 in pixels (the paper uses about 5), got {sigma}")


# --------------------------------------------------------------------------------------------
# separation borders
# --------------------------------------------------------------------------------------------


def separation_border(instance_labels: np.ndarray, radius: int = 1) -> np.ndarray:
    """The cell pixels that must become background so that touching cells are kept apart.

    A cell pixel is on the separation border when another cell lies within ``radius`` pixels
    (chessboard distance, a ``(2 radius + 1)``-square neighbourhood). Found with two grey-value
    morphological operations on the label image: a dilation gives the largest id around each
    pixel and an erosion (with background raised above every id) the smallest; a cell pixel
    whose neighbourhood holds a larger or smaller id than its own touches another cell. Both
    sides of a contact are marked, so the gap is ``2 radius`` pixels wide.

    Args:
        instance_labels: ``(H, W)`` integer instance ids, 0 = background.
        radius: half-width of the gap in pixels, >= 1.

    Returns:
        ``(H, W)`` bool, True on cell pixels to turn into background. Apply it with
        :func:`separate_instances` or ``np.where(border, 0, instance_labels)``.

    Serves: U-Net paper section 3, eq. 2 (weight map); chapter 08.
    """
    labels = _check_instances(instance_labels)
    if not isinstance(radius, (int, np.integer)) or isinstance(radius, bool) or radius < 1:
        raise ValueError(f"radius must be an int >= 1 (half the gap width in pixels), got {radius!r}")
    if labels.size == 0 or labels.max() == 0:
        return np.zeros(labels.shape, dtype=bool)
    size = 2 * int(radius) + 1
    largest = ndi.grey_dilation(labels, size=(size, size), mode="nearest")
    above = np.where(labels > 0, labels, labels.max() + 1)  # background above every id
    smallest = ndi.grey_erosion(above, size=(size, size), mode="nearest")
    return (labels > 0) & ((largest > labels) | (smallest < labels))


def separate_instances(instance_labels: np.ndarray, radius: int = 1) -> np.ndarray:
    """``instance_labels`` with the separation borders (see :func:`separation_border`) set to 0.

    Returns an array of the input's shape and dtype; ids are kept (a cell that vanishes
    entirely, thinner than the gap, loses its id).

    Serves: U-Net paper section 3, eq. 2 (weight map); chapter 08.
    """
    labels = np.asarray(instance_labels)
    border = separation_border(labels, radius)
    return np.where(border, 0, labels).astype(labels.dtype, copy=False)


# --------------------------------------------------------------------------------------------
# class balance w_c
# --------------------------------------------------------------------------------------------


def class_balance_weights(label_maps: np.ndarray | Sequence[np.ndarray], num_classes: int) -> np.ndarray:
    """Per-class weights that give every class the same total weight over ``label_maps``.

    ``w_k = n / (K_present * n_k)``, with ``n`` the number of pixels, ``n_k`` those of class
    ``k`` and ``K_present`` the number of classes that occur. Then ``sum_x w_c(x) = n``: the
    weights average to 1 over the pixels, and a rare class weighs as much in total as a common
    one. A class that does not occur gets weight 1 (it has no pixel to weigh).

    Args:
        label_maps: one ``(H, W)`` integer class map, or a sequence of them (the paper balances
            over its training set).
        num_classes: ``K``; class ids must lie in ``0 .. K - 1``.

    Returns:
        ``(K,)`` float64 weights.

    Serves: U-Net paper section 3, eq. 2 (weight map); chapter 08.
    """
    maps = [np.asarray(label_maps)] if isinstance(label_maps, np.ndarray) else [np.asarray(m) for m in label_maps]
    if not maps:
        raise ValueError("label_maps is empty; give at least one (H, W) class map")
    counts = np.zeros(num_classes, dtype=np.int64)
    for m in maps:
        if not np.issubdtype(m.dtype, np.integer) and m.dtype != bool:
            raise TypeError(f"class maps must hold integer class ids, got dtype {m.dtype}")
        if m.size and (m.min() < 0 or m.max() >= num_classes):
            raise ValueError(f"class ids must lie in 0..{num_classes - 1}, got {m.min()}..{m.max()}")
        counts += np.bincount(m.ravel().astype(np.int64), minlength=num_classes)
    total = counts.sum()
    present = counts > 0
    weights = np.ones(num_classes, dtype=np.float64)
    if total:
        weights[present] = total / (present.sum() * counts[present])
    return weights


def _class_term(labels: np.ndarray, semantic: np.ndarray | None, class_weights: ClassWeights) -> np.ndarray:
    """``w_c(x)`` as float64 for the classes of ``semantic`` (default: background 0 / cell 1)."""
    if semantic is None:
        classes = (labels > 0).astype(np.int64)
    else:
        classes = np.asarray(semantic)
        if classes.shape != labels.shape:
            raise ValueError(f"semantic has shape {classes.shape}, instance_labels {labels.shape}; they must match")
        if not np.issubdtype(classes.dtype, np.integer) and classes.dtype != bool:
            raise TypeError(f"semantic must hold integer class ids, got dtype {classes.dtype}")
        classes = classes.astype(np.int64)
        if classes.size and classes.min() < 0:
            raise ValueError("semantic class ids must be >= 0")
    num_classes = int(classes.max()) + 1 if classes.size else 1
    if class_weights is None:
        return np.ones(labels.shape, dtype=np.float64)
    if isinstance(class_weights, str):
        if class_weights != "balanced":
            raise ValueError(f"class_weights={class_weights!r}: use 'balanced', None or one weight per class")
        table = class_balance_weights(classes, max(num_classes, 2))
    else:
        table = np.asarray(class_weights, dtype=np.float64)
        if table.ndim != 1 or len(table) < max(num_classes, 2):
            raise ValueError(
                f"class_weights needs one weight per class (at least {max(num_classes, 2)}: "
                f"background first), got shape {table.shape}"
            )
        if np.any(~np.isfinite(table)) or np.any(table < 0):
            raise ValueError("class_weights must be finite and >= 0")
    return table[classes]


# --------------------------------------------------------------------------------------------
# the border term
# --------------------------------------------------------------------------------------------


def border_window(w0: float = 10.0, sigma: float = 5.0, tol: float = 1e-9) -> int:
    """Margin ``R`` in pixels beyond which the border term is below ``tol``.

    A pixel farther than ``R`` from a cell has ``d2 > R`` for it as second-nearest cell, so its
    border term is below ``w0 exp(-R^2 / (2 sigma^2)) <= tol``. ``R = ceil(sigma sqrt(2 ln(w0/tol)))``;
    for ``w0 = 10``, ``sigma = 5`` and ``tol = 1e-9`` that is 34 pixels.

    Serves: U-Net paper section 3, eq. 2 (weight map); chapter 08.
    """
    _check_w0_sigma(w0, sigma)
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    if w0 <= tol:
        return 0
    return int(math.ceil(sigma * math.sqrt(2.0 * math.log(w0 / tol))))


def _update_two_smallest(d1: np.ndarray, d2: np.ndarray, d: np.ndarray) -> None:
    """In place: ``d1 <= d2`` stay the two smallest of the values seen so far and ``d``."""
    np.minimum(d2, np.maximum(d1, d), out=d2)
    np.minimum(d1, d, out=d1)


def _compose(labels: np.ndarray, d1: np.ndarray, d2: np.ndarray, w0: float, sigma: float,
             semantic: np.ndarray | None, class_weights: ClassWeights, dtype) -> np.ndarray:
    weights = _class_term(labels, semantic, class_weights)
    background = labels == 0
    both = background & np.isfinite(d2)
    s = d1[both] + d2[both]
    weights[both] += w0 * np.exp(-(s * s) / (2.0 * sigma * sigma))
    return weights.astype(dtype, copy=False)


def weight_map(
    instance_labels: np.ndarray,
    w0: float = 10.0,
    sigma: float = 5.0,
    class_weights: ClassWeights = "balanced",
    *,
    semantic: np.ndarray | None = None,
    tol: float = 1e-9,
    dtype: type = np.float32,
) -> np.ndarray:
    """The U-Net loss weight map (eq. 2 of the paper) of one instance label image.

    ``w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))^2 / (2 sigma^2))``, where ``d1`` and ``d2`` are
    the Euclidean distances (in pixels, between pixel centres) from ``x`` to the nearest pixel
    of the nearest and of the second-nearest cell.

    Where the border term applies: only on **background** pixels (``instance_labels == 0``).
    The paper wants "the separating background labels between touching cells" to "obtain a
    large weight": the thin background gaps between neighbours are few pixels, easy to give
    up for a network that is rewarded per pixel, and they are what keeps two touching cells
    two instances. On a cell pixel the nearest cell is its own cell (``d1 = 0``), so the term
    would weigh the cell's rim next to a neighbour instead of the gap; cell pixels get ``w_c``
    only. With fewer than two cells the term is zero everywhere.

    Speed: distances are computed per cell in a window, its bounding box grown by
    ``R = border_window(w0, sigma, tol)`` pixels, with ``scipy.ndimage.distance_transform_edt``;
    inside the window that transform is exact (it holds every pixel of the cell). A pixel
    outside the window of its second-nearest cell has ``d2 > R`` and a term below ``tol``, which
    is dropped. The result equals :func:`weight_map_naive` to within ``tol``.

    Args:
        instance_labels: ``(H, W)`` integer ids, 0 = background, any positive ids (need not be
            consecutive). Not a binary mask: touching cells must carry different ids.
        w0: height of the border term (paper: 10).
        sigma: its width in pixels (paper: about 5).
        class_weights: ``w_c``. ``"balanced"`` (default): inverse class frequencies of this
            image, see :func:`class_balance_weights`; ``None``: 1 everywhere; or a sequence of
            one weight per class (e.g. balanced over a whole training set).
        semantic: optional ``(H, W)`` integer class map for ``w_c``; default background 0 and
            cell 1 (``instance_labels > 0``).
        tol: largest border-term value allowed to be dropped outside the windows.
        dtype: floating dtype of the result (float32 for training).

    Returns:
        ``(H, W)`` array of ``dtype``, >= 0.
    """
    labels = _check_instances(instance_labels)
    _check_w0_sigma(w0, sigma)
    d1 = np.full(labels.shape, np.inf)
    d2 = np.full(labels.shape, np.inf)
    ids = np.unique(labels)
    ids = ids[ids > 0]
    if w0 > 0 and len(ids) == 1 and looks_binary(labels):
        warnings.warn(
            "weight_map got what looks like a binary mask (one id, several separate objects): with one id "
            "there is no second-nearest cell, so the map has no border term at all. Give instance labels "
            "(one id per object), e.g. unet_course.data.targets.as_instances(mask) for the connected "
            "components (touching objects still merge)",
            UserWarning,
            stacklevel=2,
        )
    if len(ids) >= 2 and w0 > 0:
        margin = border_window(w0, sigma, tol)
        # consecutive ids for find_objects, whatever the input's ids
        _, inverse = np.unique(labels, return_inverse=True)
        dense = inverse.reshape(labels.shape)
        if labels.min() > 0:  # no background at all: index 0 is a cell
            dense = dense + 1
        h, w = labels.shape
        for k, box in enumerate(ndi.find_objects(dense), start=1):
            if box is None:
                continue
            r0, r1 = max(box[0].start - margin, 0), min(box[0].stop + margin, h)
            c0, c1 = max(box[1].start - margin, 0), min(box[1].stop + margin, w)
            window = dense[r0:r1, c0:c1]
            dist = ndi.distance_transform_edt(window != k)
            _update_two_smallest(d1[r0:r1, c0:c1], d2[r0:r1, c0:c1], dist)
    return _compose(labels, d1, d2, w0, sigma, semantic, class_weights, dtype)


def weight_map_naive(
    instance_labels: np.ndarray,
    w0: float = 10.0,
    sigma: float = 5.0,
    class_weights: ClassWeights = "balanced",
    *,
    semantic: np.ndarray | None = None,
    dtype: type = np.float64,
) -> np.ndarray:
    """Eq. 2 the straightforward way: one full-image distance transform per cell.

    Same definition and arguments as :func:`weight_map`, no windows and no tolerance: the cost
    grows with (number of cells) x (image size). Kept as a reference for tests and benchmarks.
    """
    labels = _check_instances(instance_labels)
    _check_w0_sigma(w0, sigma)
    d1 = np.full(labels.shape, np.inf)
    d2 = np.full(labels.shape, np.inf)
    ids = np.unique(labels)
    for i in ids[ids > 0]:
        _update_two_smallest(d1, d2, ndi.distance_transform_edt(labels != i))
    return _compose(labels, d1, d2, w0, sigma, semantic, class_weights, dtype)


# --------------------------------------------------------------------------------------------
# touching pairs and how many a prediction separates
# --------------------------------------------------------------------------------------------


def touching_pairs(instance_labels: np.ndarray, connectivity: int = 4) -> list[tuple[int, int]]:
    """Pairs of cell ids ``(a, b)``, ``a < b``, whose pixels are neighbours.

    ``connectivity`` 4: edge neighbours; 8: edge and corner neighbours (as in
    :mod:`unet_course.metrics`). Sorted.

    Serves: U-Net paper section 3, eq. 2 (weight map); chapter 08.
    """
    labels = _check_instances(instance_labels)
    from .metrics._inputs import check_connectivity

    shifts = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if check_connectivity(connectivity) == 8 else [])
    h, w = labels.shape
    pairs: set[tuple[int, int]] = set()
    for dy, dx in shifts:
        a = labels[0 : h - dy, max(0, -dx) : w - max(0, dx)]
        b = labels[dy:h, max(0, dx) : w - max(0, -dx)]
        touch = (a > 0) & (b > 0) & (a != b)
        lo = np.minimum(a[touch], b[touch])
        hi = np.maximum(a[touch], b[touch])
        pairs.update(zip(lo.tolist(), hi.tolist()))
    return sorted(pairs)


def separated_fraction(
    instance_labels: np.ndarray,
    predicted_foreground: np.ndarray,
    pairs: Sequence[tuple[int, int]] | None = None,
) -> float:
    """Fraction of touching ground-truth cell pairs that a predicted foreground keeps apart.

    The predicted instances are the connected components of ``predicted_foreground``
    (4-connected, ``scipy.ndimage.label``'s default), as a plain semantic segmentation gives
    them; the default pairs are those touching along an edge (4-neighbours) too, so the true
    foreground mask itself separates no pair. Each true cell is
    assigned the predicted component that covers most of its pixels (none if the prediction
    leaves it all background). A touching pair counts as separated when both cells got a
    component and the two components differ; a missed cell counts as not separated.

    Args:
        instance_labels: ``(H, W)`` integer true instance ids, touching cells with different ids
            (before separation borders are cut).
        predicted_foreground: ``(H, W)`` bool or 0/1 prediction.
        pairs: the pairs to score; default :func:`touching_pairs` of ``instance_labels``.

    Returns:
        A float in [0, 1]; ``nan`` when there is no touching pair.

    Serves: U-Net paper section 3, eq. 2 (weight map); chapter 08.
    """
    labels = _check_instances(instance_labels)
    fg = np.asarray(predicted_foreground)
    if fg.shape != labels.shape:
        raise ValueError(f"predicted_foreground has shape {fg.shape}, instance_labels {labels.shape}; they must match")
    pairs = touching_pairs(labels) if pairs is None else list(pairs)
    if not pairs:
        return float("nan")
    components, _ = ndi.label(fg.astype(bool))
    cells = labels > 0
    # majority predicted component per true cell, background (0) ignored
    base = int(components.max()) + 1
    joint = labels[cells] * base + components[cells]
    keys, counts = np.unique(joint, return_counts=True)
    cell_of, comp_of = keys // base, keys % base
    keep = comp_of > 0
    best: dict[int, tuple[int, int]] = {}
    for cell, comp, n in zip(cell_of[keep].tolist(), comp_of[keep].tolist(), counts[keep].tolist()):
        if n > best.get(cell, (0, 0))[1]:
            best[cell] = (comp, n)
    separated = sum(
        1 for a, b in pairs if a in best and b in best and best[a][0] != best[b][0]
    )
    return separated / len(pairs)
