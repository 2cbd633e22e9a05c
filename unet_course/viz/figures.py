"""Small plotting helpers shared by the chapters."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def instance_colors(instances: np.ndarray, *, seed: int = 0, background=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Colour an instance map: each id gets a random bright colour, 0 gets ``background``.

    Args:
        instances: ``(H, W)`` integer ids, 0 = background.
        seed: seed of the colour draw, so that a figure looks the same every time.

    Returns:
        ``(H, W, 3)`` float RGB image in [0, 1].

    Serves: U-Net paper section 3 (touching objects); chapters 01 and 08.
    """
    instances = np.asarray(instances)
    if not np.issubdtype(instances.dtype, np.integer):
        raise TypeError(f"instances must be an integer map, got dtype {instances.dtype}")
    rng = np.random.default_rng(seed)
    n = int(instances.max(initial=0))
    palette = rng.uniform(0.25, 1.0, size=(n + 1, 3))
    palette[0] = background
    return palette[instances]


def show_row(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    cmaps: Sequence[str | None] | None = None,
    size: float = 3.2,
    suptitle: str | None = None,
) -> Figure:
    """Show images side by side without axes; grey images use ``cmaps[i]`` (default ``gray``).

    Returns the figure (the notebook displays it).

    Serves: a figure helper of chapters 01-09.
    """
    if len(images) != len(titles):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    cmaps = cmaps or ["gray"] * len(images)
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size), squeeze=False)
    for ax, img, title, cmap in zip(axes[0], images, titles, cmaps):
        ax.imshow(img, cmap=cmap if np.asarray(img).ndim == 2 else None, interpolation="nearest")
        ax.set_title(title)
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _annotate(ax, values: np.ndarray, mask: np.ndarray | None = None, fmt: str = "{:g}", fontsize: float = 8,
              dark_above: float = np.inf) -> None:
    """Write each value of a small 2-D array in its cell (skipping cells where ``mask`` is False);
    values above ``dark_above`` (drawn dark) get white text."""
    for (i, j), v in np.ndenumerate(values):
        if mask is None or mask[i, j]:
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                    color="white" if v > dark_above else "black")


def _grid(ax, rows: int, cols: int, color: str = "0.6") -> None:
    """Cell borders of a ``rows x cols`` image drawn with ``imshow`` (pixel centres on integers)."""
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color=color, lw=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)


def plot_transposed_stamps(x, weight, stride: int = 2) -> Figure:
    """Transposed convolution as stamping (chapter 03): input, kernel, one panel per input pixel
    with its scaled copy of the kernel placed at ``stride * index`` in the output, and their sum.

    Args:
        x: ``(H, W)`` one-channel input (tensor or array), small (at most 3 x 3 to stay legible).
        weight: ``(kH, kW)`` kernel.
        stride: the stride of the transposed convolution.

    Returns:
        The figure; every stamp and the output share one colour scale (colour bar on the right),
        and every cell is labelled with its value.
    """
    import torch

    from unet_course import ops

    x_t = torch.as_tensor(np.asarray(x, dtype=np.float64))
    w_t = torch.as_tensor(np.asarray(weight, dtype=np.float64))
    if x_t.dim() != 2 or x_t.numel() > 9:
        raise ValueError(f"x must be a small (H, W) array with at most 9 pixels to stay legible, got shape {tuple(x_t.shape)}")
    stamps = ops.transposed_conv_stamps(x_t, w_t, stride).numpy()
    total = stamps.sum(0)
    h, w = x_t.shape
    vmax = float(max(np.abs(total).max(), 1e-12))
    n_panels = 3 + len(stamps)
    fig, axes = plt.subplots(1, n_panels, figsize=(1.75 * n_panels + 0.8, 2.6),
                             gridspec_kw={"width_ratios": [1, 1] + [1.6] * (len(stamps) + 1)})
    small = {"cmap": "Blues", "vmin": 0, "vmax": vmax, "interpolation": "nearest"}
    panels = [(x_t.numpy(), f"input x\n({h} x {w})", None), (w_t.numpy(), f"kernel w\n({w_t.shape[0]} x {w_t.shape[1]})", None)]
    for index, stamp in enumerate(stamps):
        i, j = divmod(index, w)
        rows = slice(stride * i, stride * i + w_t.shape[0])
        cols = slice(stride * j, stride * j + w_t.shape[1])
        covered = np.zeros(stamp.shape, dtype=bool)
        covered[rows, cols] = True
        panels.append((np.where(covered, stamp, np.nan), f"x[{i},{j}] = {x_t[i, j].item():g}\ntimes w, at ({stride * i},{stride * j})", covered))
    panels.append((total, f"sum of the stamps\n= output ({total.shape[0]} x {total.shape[1]})", None))
    for ax, (values, title, covered) in zip(axes, panels):
        im = ax.imshow(values, **small)
        _grid(ax, *values.shape)
        _annotate(ax, np.nan_to_num(values), covered, dark_above=0.6 * vmax)
        ax.set_title(title, fontsize=8.5)
    fig.colorbar(im, ax=list(axes), shrink=0.75, pad=0.01, label="value")
    return fig


def plot_fc_as_conv(unit_filter, map_sizes: Sequence[int] = (7, 14), channels: int | None = None) -> Figure:
    """A fully connected layer drawn as a convolution whose kernel covers the whole map (chapter 02).

    Args:
        unit_filter: ``(k, k)`` weights of one output unit of the FC layer on one input channel:
            its row of the weight matrix reshaped to ``(C, k, k)``, one channel shown.
        map_sizes: feature-map sides to draw; the first should equal ``k`` (the size the FC layer
            was built for), the others are larger maps the same kernel slides over.
        channels: ``C``, the number of input channels, written in the titles.

    Returns:
        The figure: the filter, then one panel per map size with the kernel's first window (red),
        its last window (dashed) and a dot at the top-left corner of every window position; the
        title gives the number of positions, ``(n - k + 1)^2``, the size of the output map.
    """
    from matplotlib.patches import Rectangle

    f = np.asarray(unit_filter, dtype=float)
    if f.ndim != 2 or f.shape[0] != f.shape[1]:
        raise ValueError(f"unit_filter must be a square (k, k) array, got shape {f.shape}")
    k = f.shape[0]
    if any(int(n) < k for n in map_sizes):
        raise ValueError(f"every map size must be >= the kernel size {k}, got {list(map_sizes)}")
    c = f"{channels} x " if channels else ""
    fig, axes = plt.subplots(1, 1 + len(map_sizes), figsize=(3.6 * (1 + len(map_sizes)), 3.9),
                             gridspec_kw={"width_ratios": [1] + [n / k for n in map_sizes]})
    lim = float(np.abs(f).max()) or 1.0
    im = axes[0].imshow(f, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    _grid(axes[0], k, k, color="0.85")
    axes[0].set_title(f"one FC unit's weights,\nreshaped to {c}{k} x {k}\n(channel 0 shown)", fontsize=9)
    fig.colorbar(im, ax=axes[0], shrink=0.6, pad=0.02)
    for ax, n in zip(axes[1:], map_sizes):
        n = int(n)
        positions = n - k + 1
        ax.imshow(np.zeros((n, n)), cmap="Greys", vmin=0, vmax=1)
        ax.imshow(f, cmap="RdBu_r", vmin=-lim, vmax=lim, alpha=0.6, extent=(-0.5, k - 0.5, k - 0.5, -0.5))
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(n - 0.5, -0.5)
        _grid(ax, n, n)
        ax.add_patch(Rectangle((-0.5, -0.5), k, k, fill=False, ec="C3", lw=2.5))
        if positions > 1:
            ax.add_patch(Rectangle((positions - 1.5, positions - 1.5), k, k, fill=False, ec="C3", lw=1.5, ls="--"))
        corners = np.arange(positions)
        yy, xx = np.meshgrid(corners, corners, indexing="ij")
        ax.plot(xx.ravel(), yy.ravel(), "o", color="C3", ms=3 if positions > 1 else 6)
        what = "one position: the FC layer" if positions == 1 else "a heatmap of scores"
        ax.set_title(f"{c}{n} x {n} map, {k} x {k} kernel:\n{positions} x {positions} position(s),\n{what}", fontsize=9)
    return fig


CLASS_COLOURS = ((0.12, 0.12, 0.28), (0.10, 0.62, 0.62), (0.96, 0.62, 0.10), (0.75, 0.30, 0.75))


def plot_segmentation_kinds(image: np.ndarray, semantic: np.ndarray, instances: np.ndarray,
                            class_names: Sequence[str], *, seed: int = 1) -> Figure:
    """One image and its semantic, instance and panoptic labelling side by side (chapter 01).

    Args:
        image: ``(H, W)`` grey image.
        semantic: ``(H, W)`` class ids, 0 = background (a "stuff" class), at most 4 classes.
        instances: ``(H, W)`` instance ids, 0 = no object; each object lies in one class.
        class_names: one name per class id, background first.

    Returns:
        The figure: semantic (one colour per class, legend), instance (one random colour per
        object, background left unlabelled, black), panoptic (the class's colour, a different shade
        per object, a white line between touching objects, background labelled).
    """
    from matplotlib.patches import Patch
    from skimage.segmentation import find_boundaries

    semantic = np.asarray(semantic)
    instances = np.asarray(instances)
    if semantic.shape != instances.shape or np.asarray(image).shape != semantic.shape:
        raise ValueError(f"image, semantic and instances must have one shape, got {np.asarray(image).shape}, {semantic.shape}, {instances.shape}")
    n_classes = int(semantic.max()) + 1
    if n_classes > len(CLASS_COLOURS) or len(class_names) < n_classes:
        raise ValueError(f"need at most {len(CLASS_COLOURS)} classes and one name per class; got {n_classes} classes, {len(class_names)} names")
    palette = np.array(CLASS_COLOURS)
    sem_rgb = palette[semantic]
    rng = np.random.default_rng(seed)
    shade = rng.uniform(0.45, 1.0, size=int(instances.max(initial=0)) + 1)
    pan_rgb = sem_rgb.copy()
    things = instances > 0
    pan_rgb[things] = np.clip(sem_rgb[things] * shade[instances[things], None] * 1.1, 0, 1)
    pan_rgb[find_boundaries(instances, mode="inner") & things] = 1.0
    fig, axes = plt.subplots(1, 4, figsize=(14, 4.4))
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title("image")
    axes[1].imshow(sem_rgb, interpolation="nearest")
    axes[1].set_title("semantic: a class per pixel\n(touching cells merge)")
    axes[2].imshow(instance_colors(instances, seed=seed), interpolation="nearest")
    axes[2].set_title("instance: an id per cell\n(background unlabelled, black)")
    axes[3].imshow(pan_rgb, interpolation="nearest")
    axes[3].set_title("panoptic: class (colour) and id (shade)\nfor every pixel")
    for ax in axes:
        ax.axis("off")
    handles = [Patch(color=palette[c], label=f"{c}: {class_names[c]}") for c in range(n_classes)]
    fig.legend(handles=handles, loc="lower center", ncol=n_classes, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig
