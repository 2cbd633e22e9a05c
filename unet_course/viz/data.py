"""Plots for data and augmentation (chapter 07): label outlines, grid patterns, displacement fields."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from skimage.segmentation import find_boundaries

from ..augment import dense_displacement


def outline(image: np.ndarray, labels: np.ndarray, color: tuple[float, float, float] = (1.0, 0.2, 0.1)) -> np.ndarray:
    """A grey ``(H, W)`` image in [0, 1] with the borders of the label regions drawn in ``color``.

    Returns ``(H, W, 3)`` float RGB in [0, 1].

    Serves: U-Net paper section 3.1; chapter 07.
    """
    image = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    labels = np.asarray(labels)
    if image.shape != labels.shape:
        raise ValueError(f"image {image.shape} and labels {labels.shape} must have one shape")
    rgb = np.repeat(image[..., None], 3, axis=-1)
    rgb[find_boundaries(labels, mode="inner")] = color
    return rgb


def grid_pattern(shape: tuple[int, int] | int, spacing: int = 32, width: int = 2) -> np.ndarray:
    """A white image with black grid lines every ``spacing`` pixels: ``(H, W)`` float32.

    Warping it shows what a deformation does to straight lines.

    Serves: U-Net paper section 3.1; chapter 07.
    """
    h, w = (shape, shape) if isinstance(shape, int) else shape
    rows, cols = np.mgrid[0:h, 0:w]
    off = spacing // 2
    lines = ((rows + off) % spacing < width) | ((cols + off) % spacing < width)
    return np.where(lines, 0.0, 1.0).astype(np.float32)


def plot_displacement(
    ax: Axes,
    coarse: np.ndarray,
    shape: tuple[int, int],
    *,
    image: np.ndarray | None = None,
    step: int = 24,
    scale: float = 1.0,
) -> None:
    """Draw a coarse grid's displacements (red, at the nodes) and the dense field (blue arrows).

    Args:
        ax: the axes to draw on (image coordinates, rows down).
        coarse: ``(2, g_rows, g_cols)`` grid displacements in pixels.
        shape: ``(H, W)`` of the image the grid spans corner to corner.
        image: optional background image; default the length of the dense displacement.
        step: spacing of the dense arrows in pixels.
        scale: arrows are drawn ``scale`` times their length (1: true length in pixels).

    Serves: U-Net paper section 3.1; chapter 07.
    """
    h, w = shape
    dense = dense_displacement(coarse, shape)
    if image is None:
        shown = ax.imshow(np.hypot(dense[0], dense[1]), cmap="viridis")
        plt.colorbar(shown, ax=ax, fraction=0.046, pad=0.02, label="|d| (px)")
    else:
        ax.imshow(image, cmap="gray")
    rows, cols = np.mgrid[step // 2 : h : step, step // 2 : w : step]
    ax.quiver(cols, rows, scale * dense[1][rows, cols], scale * dense[0][rows, cols], color="deepskyblue",
              angles="xy", scale_units="xy", scale=1.0, width=0.004)
    gy, gx = coarse.shape[1:]
    node_rows = np.linspace(0, h - 1, gy)[:, None].repeat(gx, 1)
    node_cols = np.linspace(0, w - 1, gx)[None, :].repeat(gy, 0)
    ax.quiver(node_cols, node_rows, scale * coarse[1], scale * coarse[0], color="red", angles="xy",
              scale_units="xy", scale=1.0, width=0.008)
    ax.scatter(node_cols, node_rows, s=30, c="red", zorder=3)
    ax.set_xlim(-0.05 * w, 1.05 * w)
    ax.set_ylim(1.05 * h, -0.05 * h)
    ax.set_xticks([])
    ax.set_yticks([])


def explorer(draw, **controls):
    """Sliders that redraw a figure: ``draw(**values)`` runs each time a control changes.

    Args:
        draw: a function of the controls' values that draws (and shows) a Matplotlib figure.
        **controls: ipywidgets value widgets by ``draw``'s parameter names, e.g.
            ``sigma=widgets.FloatSlider(value=10, min=0, max=30)``.

    Returns:
        An ``ipywidgets.VBox``: the controls above an ``Output`` area. Nothing is drawn until a
        control moves (the chapter's static figure stands for the first drawing), so executing the
        notebook headless writes nothing into the ``Output`` widget: nbclient (nbval, nbconvert)
        can stall for its whole cell timeout on output captured by one, as ``ipywidgets.interact``
        does.

    Serves: figures of the data of chapters 01, 07-09 (U-Net paper section 4).
    """
    import ipywidgets as widgets

    if not controls:
        raise ValueError("explorer needs at least one control, e.g. sigma=widgets.FloatSlider(...)")
    area = widgets.Output()

    def redraw(_change=None) -> None:
        with area:
            area.clear_output(wait=True)
            draw(**{name: control.value for name, control in controls.items()})

    for control in controls.values():
        if not hasattr(control, "observe") or not hasattr(control, "value"):
            raise TypeError(f"each control must be an ipywidgets value widget, got {type(control).__name__}")
        control.observe(redraw, names="value")
    hint = widgets.HTML("<i>Move a slider to draw; the figure above shows the start values.</i>")
    return widgets.VBox([widgets.HBox(list(controls.values())), hint, area])
