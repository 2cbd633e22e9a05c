"""Merged and split objects: the instance errors of a segmentation, drawn (chapter 12).

A U-Net trained with the paper's weight map (section 3, eq. 2) should leave a thin background
gap between touching objects; where it does not, two or more true objects come out as one
predicted object (a **merge**), and where it cuts an object in two it makes a **split**. Both
cost twice in the matched scores (:mod:`unet_course.metrics.instances`): a merge of two nuclei
is at best one true positive and one false negative, a split at best one true positive and one
false positive. :func:`unet_course.metrics.merges_and_splits` finds them from the pixel overlaps, and
:func:`plot_instance_errors` shows the whole image with every error boxed and close-ups of the
first ones.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from skimage.segmentation import find_boundaries

from ..metrics.instances import InstanceErrors, _labels, merges_and_splits

__all__ = ["plot_instance_errors"]

TRUE_COLOUR = (0.2, 0.9, 0.3)
PREDICTED_COLOUR = (1.0, 0.2, 0.8)
MERGE_COLOUR = (1.0, 0.6, 0.0)
SPLIT_COLOUR = (0.2, 0.7, 1.0)


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
        errors: the result of :func:`unet_course.metrics.merges_and_splits` (computed with ``fraction`` 0.5 when not given).
        probability: ``(H, W)`` object probability in [0, 1], drawn beside the image when given.
        closeups: how many close-ups at most (0: none).
        margin: pixels around an error's objects in its close-up.
        title: the figure's title.

    Returns:
        The figure (the notebook displays it).

    Serves: U-Net paper section 3 (touching objects separated by the weight map); chapter 12.
    """
    pred, truth = _labels(pred, "pred"), _labels(truth, "truth")
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
