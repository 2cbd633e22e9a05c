"""A figure of simple points: one pixel whose flip changes the topology and one whose flip does not.

The warping error of the ISBI 2012 challenge (Jain et al. 2010, the U-Net paper's Table 1) warps
the truth toward a prediction by flipping **simple points** only: pixels whose flip
(interior <-> membrane) creates, deletes, splits or merges no cell and no hole. This module
draws a small label patch, a cell made of two lobes joined by a one-pixel neck, and flips two of
its pixels:

- ``A``, a corner of a lobe: after the flip there is still one cell and one membrane region, so
  ``A`` is simple;
- ``B``, the neck: after the flip the cell falls into two, so ``B`` is not simple.

Interior is 4-connected and membrane 8-connected, the convention of
:mod:`unet_course.metrics.isbi`; outside the patch counts as membrane.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage as ndi

__all__ = ["SimplePointExample", "component_counts", "plot_simple_points", "simple_point_example"]

# 1 = interior, 0 = membrane: two lobes joined by a one-pixel neck in row 4
_PATCH = np.array([
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0],
    [0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0],
    [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0],
    [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
    [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0],
    [0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0],
    [0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
], dtype=bool)
_SIMPLE = (1, 1)      # a corner of the left lobe
_NOT_SIMPLE = (4, 5)  # the neck


class SimplePointExample(NamedTuple):
    """The patch of :func:`plot_simple_points` and its two marked pixels.

    Attributes:
        interior: ``(9, 11)`` bool, True = interior.
        simple: ``(row, column)`` of pixel A, whose flip keeps the topology.
        not_simple: ``(row, column)`` of pixel B, whose flip splits the cell.

    Serves: U-Net paper section 4, Table 1 (the warping error's simple points); chapter 09.
    """

    interior: np.ndarray
    simple: tuple[int, int]
    not_simple: tuple[int, int]


def simple_point_example() -> SimplePointExample:
    """The figure's patch: two lobes joined by a one-pixel neck, with pixels A and B.

    Serves: U-Net paper section 4, Table 1 (the warping error's simple points); chapter 09.
    """
    return SimplePointExample(_PATCH.copy(), _SIMPLE, _NOT_SIMPLE)


def component_counts(interior: np.ndarray) -> tuple[int, int]:
    """``(cells, membrane regions)`` of a binary patch: the 4-connected components of the
    interior and the 8-connected components of the membrane, outside the patch counting as
    membrane (a one-pixel frame of membrane is added before counting).

    Args:
        interior: ``(H, W)`` bool (or 0/1), True = interior.

    Serves: U-Net paper section 4, Table 1 (the warping error's simple points); chapter 09.
    """
    interior = np.asarray(interior)
    if interior.ndim != 2:
        raise ValueError(f"interior must be a 2-D (H, W) mask, got shape {interior.shape}")
    framed = np.pad(interior.astype(bool), 1, constant_values=False)
    cells = ndi.label(framed, ndi.generate_binary_structure(2, 1))[1]
    membrane = ndi.label(~framed, ndi.generate_binary_structure(2, 2))[1]
    return int(cells), int(membrane)


def _flipped(interior: np.ndarray, pixel: tuple[int, int]) -> np.ndarray:
    out = interior.copy()
    out[pixel] = ~out[pixel]
    return out


def plot_simple_points(axes=None):
    """Three panels: the patch with pixels A (simple) and B (not simple), A flipped, B flipped.

    Each panel colours the cells (4-connected interior components) and gives the counts of
    cells and membrane regions (8-connected) in its title; the 3 x 3 window that decides each
    pixel is outlined. The simplicity shown is checked against
    :func:`unet_course.metrics.isbi.simple_points`.

    Args:
        axes: three matplotlib axes to draw into (default: a new ``1 x 3`` figure).

    Returns:
        The matplotlib figure.

    Serves: U-Net paper section 4, Table 1 (the warping error's simple points); chapter 09.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Rectangle

    from ..metrics import isbi

    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
    else:
        axes = list(axes)
        if len(axes) != 3:
            raise ValueError(f"plot_simple_points draws three panels; give three axes, got {len(axes)}")
        fig = axes[0].figure
    example = simple_point_example()
    simple = isbi.simple_points(example.interior, 4)
    if not (simple[example.simple] and not simple[example.not_simple]):
        raise RuntimeError("the example's pixel A must be simple and B not: isbi.simple_points disagrees")
    colours = ListedColormap(["#303030", "#4c9be8", "#f0a13c", "#6cc070"])
    panels = [
        ("the patch", example.interior),
        ("flip A (a corner)", _flipped(example.interior, example.simple)),
        ("flip B (the neck)", _flipped(example.interior, example.not_simple)),
    ]
    base = component_counts(example.interior)
    for ax, (title, patch) in zip(axes, panels):
        cells = ndi.label(patch, ndi.generate_binary_structure(2, 1))[0]
        ax.imshow(np.minimum(cells, 3), cmap=colours, vmin=0, vmax=3)
        n_cells, n_membrane = component_counts(patch)
        verdict = "" if patch is example.interior else (
            ": topology kept" if (n_cells, n_membrane) == base else ": topology changed")
        ax.set_title(f"{title}\n{n_cells} cell(s), {n_membrane} membrane region(s){verdict}", fontsize=9)
        for (r, c), name in ((example.simple, "A"), (example.not_simple, "B")):
            ax.text(c, r, name, ha="center", va="center", color="white", fontsize=11, fontweight="bold")
            ax.add_patch(Rectangle((c - 1.5, r - 1.5), 3, 3, fill=False, edgecolor="red", linewidth=1.5))
        h, w = patch.shape
        ax.hlines(np.arange(-0.5, h), -0.5, w - 0.5, color="#808080", linewidth=0.4)
        ax.vlines(np.arange(-0.5, w), -0.5, h - 0.5, color="#808080", linewidth=0.4)
        ax.set_xticks([])
        ax.set_yticks([])
        # half a pixel of margin: A's window reaches the patch's edge and would sit on the frame
        ax.set_xlim(-1.0, w)
        ax.set_ylim(h, -1.0)
        ax.set_frame_on(False)
    fig.tight_layout()
    return fig
