"""Merged and split objects: the instance errors of a segmentation, found and drawn (chapter 12).

A U-Net trained with the paper's weight map (section 3, eq. 2) should leave a thin background
gap between touching objects; where it does not, two or more true objects come out as one
predicted object (a **merge**), and where it cuts an object in two it makes a **split**. Both
cost twice in the matched scores (:mod:`unet_course.metrics.instances`): a merge of two nuclei
is at best one true positive and one false negative, a split at best one true positive and one
false positive. :func:`merges_and_splits` finds them from the pixel overlaps, and
:func:`plot_instance_errors` shows the whole image with every error boxed and close-ups of the
first ones.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from skimage.segmentation import find_boundaries

__all__ = ["InstanceErrors", "merges_and_splits", "plot_instance_errors"]

TRUE_COLOUR = (0.2, 0.9, 0.3)
PREDICTED_COLOUR = (1.0, 0.2, 0.8)
MERGE_COLOUR = (1.0, 0.6, 0.0)
SPLIT_COLOUR = (0.2, 0.7, 1.0)


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


def _label_image(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must be one 2-D label image (H, W), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f"{name} must hold integer ids (0 = background), got dtype {x.dtype}")
    if x.size and x.min() < 0:
        raise ValueError(f"{name} holds negative ids (smallest {int(x.min())}); ids are 0 (background) or positive")
    return x.astype(np.int64, copy=False)


def merges_and_splits(pred: np.ndarray, truth: np.ndarray, fraction: float = 0.5) -> InstanceErrors:
    """The merged and the split objects of a predicted instance image.

    A predicted object *holds* a true object when at least ``fraction`` of the true object's
    pixels lie inside it; it is a merge when it holds two or more. Symmetrically, a true object is
    split when two or more predicted objects each lie with at least ``fraction`` of their pixels
    inside it. With ``fraction`` > 0.5 no object can be held twice, so each object is counted in
    at most one merge and one split.

    Args:
        pred: ``(H, W)`` predicted instance ids, 0 = background (any ids, not necessarily 1..N).
        truth: ``(H, W)`` true instance ids of the same shape.
        fraction: the share of an object's pixels that must lie inside the other one, in (0, 1].

    Returns:
        :class:`InstanceErrors` ``(merges, splits)``.

    Serves: U-Net paper section 3 (touching objects separated by the weight map); chapter 12.
    """
    pred, truth = _label_image(pred, "pred"), _label_image(truth, "truth")
    if pred.shape != truth.shape:
        raise ValueError(f"pred {pred.shape} and truth {truth.shape} must have one shape")
    if not 0.0 < float(fraction) <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    both = (pred > 0) & (truth > 0)
    pairs, overlap = np.unique(np.stack([pred[both], truth[both]]), axis=1, return_counts=True)
    p_ids, p_area = np.unique(pred[pred > 0], return_counts=True)
    t_ids, t_area = np.unique(truth[truth > 0], return_counts=True)
    area_p, area_t = dict(zip(p_ids.tolist(), p_area.tolist())), dict(zip(t_ids.tolist(), t_area.tolist()))
    held_by: dict[int, list[int]] = {}   # predicted id -> true ids it holds
    holds: dict[int, list[int]] = {}     # true id -> predicted ids inside it
    for (p, t), n in zip(pairs.T.tolist(), overlap.tolist()):
        if n >= fraction * area_t[t]:
            held_by.setdefault(p, []).append(t)
        if n >= fraction * area_p[p]:
            holds.setdefault(t, []).append(p)
    merges = [(p, tuple(sorted(ts))) for p, ts in sorted(held_by.items()) if len(ts) >= 2]
    splits = [(t, tuple(sorted(ps))) for t, ps in sorted(holds.items()) if len(ps) >= 2]
    return InstanceErrors(merges, splits)


def _outlines(image: np.ndarray, pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Grey image with the true outlines in green and the predicted ones in magenta (RGB)."""
    rgb = np.repeat(np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)[..., None], 3, axis=-1)
    rgb[find_boundaries(truth, mode="inner")] = TRUE_COLOUR
    rgb[find_boundaries(pred, mode="inner")] = PREDICTED_COLOUR
    return rgb


def _box(mask: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(mask)
    h, w = mask.shape
    return (max(int(rows.min()) - margin, 0), min(int(rows.max()) + margin + 1, h),
            max(int(cols.min()) - margin, 0), min(int(cols.max()) + margin + 1, w))


def plot_instance_errors(
    image: np.ndarray,
    pred: np.ndarray,
    truth: np.ndarray,
    errors: InstanceErrors | None = None,
    *,
    probability: np.ndarray | None = None,
    closeups: int = 4,
    margin: int = 6,
    title: str | None = None,
) -> Figure:
    """The whole image with the true outlines (green), the predicted ones (magenta) and a box
    around every merge (orange) and split (blue); beside it the object probability if given;
    below, close-ups of the first merges and splits (up to ``closeups``, merges first, alternating).

    Args:
        image: ``(H, W)`` grey values in [0, 1] (the scaled image).
        pred, truth: ``(H, W)`` instance ids, 0 = background.
        errors: the result of :func:`merges_and_splits` (computed with ``fraction`` 0.5 when not given).
        probability: ``(H, W)`` object probability in [0, 1], drawn beside the image when given.
        closeups: how many close-ups at most (0: none).
        margin: pixels around an error's objects in its close-up.
        title: the figure's title.

    Returns:
        The figure (the notebook displays it).

    Serves: U-Net paper section 3 (touching objects separated by the weight map); chapter 12.
    """
    pred, truth = _label_image(pred, "pred"), _label_image(truth, "truth")
    image = np.asarray(image)
    if image.shape != pred.shape or pred.shape != truth.shape:
        raise ValueError(f"image {image.shape}, pred {pred.shape} and truth {truth.shape} must have one shape")
    if probability is not None and np.shape(probability) != image.shape:
        raise ValueError(f"probability {np.shape(probability)} must have the image's shape {image.shape}")
    if closeups < 0 or margin < 0:
        raise ValueError(f"closeups and margin must be >= 0, got {closeups} and {margin}")
    errors = merges_and_splits(pred, truth) if errors is None else errors
    boxes = [("merge", MERGE_COLOUR, np.isin(pred, [p]) | np.isin(truth, list(ts)), f"{len(ts)} true, 1 predicted")
             for p, ts in errors.merges]
    boxes += [("split", SPLIT_COLOUR, np.isin(truth, [t]) | np.isin(pred, list(ps)), f"1 true, {len(ps)} predicted")
              for t, ps in errors.splits]
    merges = [b for b in boxes if b[0] == "merge"]
    splits = [b for b in boxes if b[0] == "split"]
    chosen = [b for pair in zip(merges, splits) for b in pair]
    chosen += merges[len(chosen) // 2:] + splits[len(chosen) // 2:]
    chosen = chosen[:closeups]

    top = 2 if probability is not None else 1
    cols = max(len(chosen), 1) if chosen else top
    width = max(3.0 * cols, 4.6 * top)
    upper = min(0.8 * width / top, 6.0)  # the whole-image panels about square
    fig = plt.figure(figsize=(width, upper + (2.8 if chosen else 0.0)))
    grid = fig.add_gridspec(2 if chosen else 1, top * cols, height_ratios=[upper, 2.8] if chosen else [1.0])
    span = cols
    ax = fig.add_subplot(grid[0, :span] if top == 2 else grid[0, :])
    ax.imshow(_outlines(image, pred, truth), interpolation="nearest")
    for kind, colour, mask, _ in boxes:
        r0, r1, c0, c1 = _box(mask, 2)
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, edgecolor=colour, linewidth=1.6))
    ax.set_title(f"{len(errors.merges)} merge(s), {len(errors.splits)} split(s)", fontsize=10)
    ax.legend(handles=[Patch(color=TRUE_COLOUR, label="true outline"), Patch(color=PREDICTED_COLOUR, label="predicted"),
                       Patch(color=MERGE_COLOUR, label="merge"), Patch(color=SPLIT_COLOUR, label="split")],
              loc="lower left", fontsize=7, framealpha=0.8)
    ax.axis("off")
    if probability is not None:
        ax = fig.add_subplot(grid[0, span:])
        shown = ax.imshow(probability, cmap="magma", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.contour(truth > 0, levels=[0.5], colors=[TRUE_COLOUR], linewidths=0.6)
        ax.set_title("object probability, true outlines", fontsize=10)
        ax.axis("off")
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
    for k, (kind, colour, mask, text) in enumerate(chosen):
        r0, r1, c0, c1 = _box(mask, margin)
        ax = fig.add_subplot(grid[1, k * top:(k + 1) * top])
        ax.imshow(_outlines(image[r0:r1, c0:c1], pred[r0:r1, c0:c1], truth[r0:r1, c0:c1]), interpolation="nearest")
        ax.set_title(f"{kind}: {text}", fontsize=9, color="black")
        for spine in ax.spines.values():
            spine.set_edgecolor(colour)
            spine.set_linewidth(2.5)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
