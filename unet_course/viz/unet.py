"""Figures and explorers for the U-Net chapters (05 architecture, 06 overlap-tile).

- :func:`draw_unet`: the paper's Fig. 1 drawn from a model's own size walk.
- :func:`size_table` and :func:`size_explorer`: which input sizes a U-Net accepts, as a static
  table and as an ipywidgets explorer.
- :func:`draw_copy_and_crop`: a skip feature map, its centre crop and the upsampled map.
- :func:`draw_tiling`: the paper's Fig. 2 (blue input tile, yellow output tile) from a real plan.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from ..models.unet import UNet
from ..tiling import TilePlan, mirror_indices

__all__ = ["draw_unet", "size_table", "size_explorer", "draw_copy_and_crop", "draw_tiling",
           "plot_activation_moments", "draw_fcn_skips", "plot_fcn_curves"]

ARROWS = {
    "conv": ("#1f5fbf", "conv 3x3, ReLU"),
    "pool": ("#c0392b", "max pool 2x2"),
    "up": ("#27ae60", "up-conv 2x2"),
    "copy": ("#7f7f7f", "copy and crop"),
    "head": ("#16a085", "conv 1x1"),
}


def draw_unet(model: UNet, n: int = 572, ax: plt.Axes | None = None) -> plt.Axes:
    """Draw ``model`` as a U: one box per feature map, its channels above and its side below.

    Boxes come from ``model.size_walk(n)``, so the figure shows the sizes and channels of this
    very network (572 -> 388 with 64 ... 1024 channels for the paper's). Box height grows with
    the map's side, box width with log2 of its channels.

    Serves: U-Net paper section 2, Fig. 1; chapter 05.
    """
    walk = model.size_walk(n)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(4 + 0.55 * len(walk), 18), 1.6 + 1.3 * (model.depth + 1)))
    top = max(s.size for s in walk)
    boxes: dict[str, tuple[float, float, float, float]] = {}
    x = 0.0
    for i, step in enumerate(walk):
        if step.layer.startswith("pool") or step.layer.endswith(".up"):
            x += 0.35
        height = 0.25 + 0.6 * step.size / top
        width = 0.08 + 0.05 * math.log2(max(step.channels, 1) + 1)
        y = -1.3 * step.level
        boxes[step.layer] = (x, y, width, height)
        skip_color = "#f6d7a7" if step.layer.endswith(".up") else "#dbe8f6"
        ax.add_patch(Rectangle((x, y - height / 2), width, height, facecolor=skip_color, edgecolor="#223"))
        ax.text(x + width / 2, y + height / 2 + 0.04, str(step.channels), ha="center", va="bottom", fontsize=7)
        ax.text(x + width / 2, y - height / 2 - 0.04, str(step.size), ha="center", va="top", fontsize=6.5,
                rotation=90 if step.size >= 100 else 0)
        if i:
            px, py, pw, _ = boxes[walk[i - 1].layer]
            kind = "pool" if step.layer.startswith("pool") else "up" if step.layer.endswith(".up") else (
                "head" if step.layer == "head" else "conv")
            ax.add_patch(FancyArrowPatch((px + pw, py), (x, y), arrowstyle="-|>", mutation_scale=8,
                                         color=ARROWS[kind][0], lw=1.2))
        x += width + 0.12
    for level in range(model.depth):  # copy and crop: last conv of a level to the up-conv
        sx, sy, sw, _ = boxes[f"encoder{level}.conv2"]
        ux, uy, _, _ = boxes[f"decoder{model.depth - 1 - level}.up"]
        ax.add_patch(FancyArrowPatch((sx + sw, sy), (ux, uy), arrowstyle="-|>", mutation_scale=8,
                                     color=ARROWS["copy"][0], lw=1.0, linestyle="--"))
    try:  # Hangul labels need the NanumGothic fallback font
        from ..fonts import use_korean_font

        use_korean_font()
        names = ("contracting path (수축 경로)", "bottleneck (병목)", "expanding path (확장 경로)")
    except ModuleNotFoundError:
        names = ("contracting path", "bottleneck", "expanding path")
    bx, by, bw, _ = boxes["bottleneck.conv1"]
    ax.text(0.0, -1.3 * model.depth, names[0], fontsize=10, ha="left", va="center", color="#444")
    ax.text(bx + bw, by - 0.75, names[1], fontsize=10, ha="center", va="center", color="#444")
    ax.text(x, -1.3 * model.depth, names[2], fontsize=10, ha="right", va="center", color="#444")
    for kind, (color, label) in ARROWS.items():
        ax.plot([], [], color=color, lw=2, ls="--" if kind == "copy" else "-", label=label)
    ax.legend(loc="upper center", fontsize=8, frameon=False, ncol=5)
    ax.set_xlim(-0.2, x + 0.2)
    ax.set_ylim(-1.3 * model.depth - 0.95, 1.1)
    ax.set_axis_off()
    ax.set_title(f"U-Net, depth {model.depth}, padding={model.padding!r}: input {n} -> output "
                 f"{walk[-1].size} (channels above each map, side below)", fontsize=10)
    return ax


def _pool_inputs(model: UNet, n: int) -> tuple[list[int], str | None]:
    walk = model.size_walk(n, strict=False)
    sizes = [s.size for s in walk if s.layer.endswith("conv2") and s.layer.startswith("encoder")]
    return sizes, model.size_problem(n)


def size_table(model: UNet, sizes: list[int] | range) -> str:
    """A plain-text table: for each input side, the side entering every max-pool (odd ones
    marked ``*``), the output side, and whether the size is valid.

    Serves: U-Net paper section 2; chapter 05.
    """
    header = ["input"] + [f"pool{i + 1} in" for i in range(model.depth)] + ["output", "valid"]
    rows = []
    for n in sizes:
        pools, problem = _pool_inputs(model, n)
        cells = [str(n)] + [f"{p}{'*' if p % 2 else ''}" for p in pools]
        cells += ["-"] * (model.depth - len(pools))
        cells += [str(model.output_size(n)) if problem is None else "-", "yes" if problem is None else "no"]
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def size_explorer(depth: int = 4, n: int = 572, padding: str = "valid") -> Any:
    """An ipywidgets explorer: pick an input side and a depth; see the size walk, where an odd
    map meets a max-pool, and the nearest valid sizes. Pair it with :func:`size_table`.

    Serves: U-Net paper section 2; chapter 05.
    """
    import ipywidgets as widgets

    size = widgets.IntSlider(value=n, min=16, max=1200, description="input side")
    depth_w = widgets.Dropdown(options=[1, 2, 3, 4, 5], value=depth, description="depth")
    pad_w = widgets.ToggleButtons(options=["valid", "same"], value=padding, description="padding")
    out = widgets.HTML()

    def update(*_: Any) -> None:
        model = UNet(base_channels=1, depth=depth_w.value, padding=pad_w.value)
        walk = model.size_walk(size.value, strict=False)
        problem = model.size_problem(size.value)
        path = " → ".join(
            f"<b style='color:#c0392b'>{s.size}</b>" if s.layer.startswith("pool") else str(s.size) for s in walk
        )
        if problem is None:
            verdict = f"<span style='color:#27ae60'>valid: output {walk[-1].size} × {walk[-1].size}</span>"
        else:
            above = model.valid_input_size(size.value)
            below = above - 2**model.depth
            near = f"{below} or {above}" if below >= model.valid_input_size(1) else str(above)
            verdict = f"<span style='color:#c0392b'>not valid: {problem}; nearest valid sizes {near}</span>"
        out.value = f"<p style='font-family:monospace'>{path}</p><p>{verdict}</p>"

    for w in (size, depth_w, pad_w):
        w.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([size, depth_w]), pad_w, out])


def draw_copy_and_crop(skip: np.ndarray, upsampled: np.ndarray, axes: Any = None) -> Any:
    """Three panels: the skip map of the contracting path with the centre crop marked, the
    cropped map, and the upsampled map of the expanding path it is concatenated with.

    ``skip`` ``(H, W)`` and ``upsampled`` ``(h, w)`` with ``h <= H``, ``w <= W`` (one channel each).

    Serves: U-Net paper section 2; chapter 05.
    """
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    big, small = skip.shape, upsampled.shape
    top, left = (big[0] - small[0]) // 2, (big[1] - small[1]) // 2
    axes[0].imshow(skip, cmap="magma")
    axes[0].add_patch(Rectangle((left - 0.5, top - 0.5), small[1], small[0], fill=False, ec="#29b6f6", lw=2))
    axes[0].set_title(f"skip map {big[0]}x{big[1]}, crop {top} px a side")
    axes[1].imshow(skip[top : top + small[0], left : left + small[1]], cmap="magma")
    axes[1].set_title(f"cropped {small[0]}x{small[1]}")
    lo, hi = np.percentile(upsampled, [1, 99])  # robust contrast: a few extreme pixels dominate otherwise
    axes[2].imshow(upsampled, cmap="viridis", vmin=lo, vmax=hi if hi > lo else lo + 1e-6)
    axes[2].set_title(f"up-convolved {small[0]}x{small[1]}")
    for a in axes:
        a.set_xticks([])
        a.set_yticks([])
    return axes


def draw_tiling(image: np.ndarray, plan: TilePlan, tile: tuple[int, int] = (0, 1),
                segmentation: np.ndarray | None = None, axes: Any = None) -> Any:
    """The paper's Fig. 2 from a real plan: the mirror-extended canvas with the image outlined,
    the input tile ``tile = (row, column)`` in blue and its output tile in yellow, the mirrored
    context dimmed, and the
    output grid of all tiles; with ``segmentation`` ``(H, W)``, a second panel shows it with the
    same yellow tile."""
    if axes is None:
        n = 2 if segmentation is not None else 1
        _, axes = plt.subplots(1, n, figsize=(6.2 * n, 6))
    axes = np.atleast_1d(axes)
    h, w = plan.image_shape
    ch, cw = plan.canvas_shape
    rows = mirror_indices(h, plan.offset, ch - plan.offset - h)
    cols = mirror_indices(w, plan.offset, cw - plan.offset - w)
    canvas = image[rows[:, None], cols[None, :]]
    ax = axes[0]
    ax.imshow(canvas, cmap="gray")
    shade = np.zeros((ch, cw, 4))
    shade[..., 3] = 0.4  # dim the mirrored context so that the image itself stands out
    shade[plan.offset : plan.offset + h, plan.offset : plan.offset + w, 3] = 0.0
    ax.imshow(shade)
    ax.add_patch(Rectangle((plan.offset - 0.5, plan.offset - 0.5), w, h, fill=False, ec="white", lw=1.5, ls="--"))
    for i, y in enumerate(plan.ys):
        for j, x in enumerate(plan.xs):
            ax.add_patch(Rectangle((x + plan.offset - 0.5, y + plan.offset - 0.5), plan.keep[1], plan.keep[0],
                                   fill=False, ec="#f1c40f", lw=0.6, alpha=0.6))
    i, j = tile
    y, x = plan.ys[i], plan.xs[j]
    ax.add_patch(Rectangle((x - 0.5, y - 0.5), plan.tile_size[1], plan.tile_size[0], fill=False, ec="#2e86de", lw=2.5))
    ax.add_patch(Rectangle((x + plan.offset - 0.5, y + plan.offset - 0.5), plan.keep[1], plan.keep[0],
                           facecolor="#f1c40f", alpha=0.25, ec="#f1c40f", lw=2.5))
    ax.set_title(f"mirror-extended image; input tile {plan.tile_size[0]} (blue), output {plan.keep[0]} (yellow)")
    if segmentation is not None and len(axes) > 1:
        b = axes[1]
        b.imshow(segmentation, cmap="gray")
        b.add_patch(Rectangle((x - 0.5, y - 0.5), min(plan.keep[1], w - x), min(plan.keep[0], h - y),
                              facecolor="#f1c40f", alpha=0.25, ec="#f1c40f", lw=2.5))
        b.set_title("segmentation, tile by tile")
    for a in axes:
        a.set_xticks([])
        a.set_yticks([])
    return axes


def plot_activation_moments(records: list[dict], ax: plt.Axes | None = None) -> plt.Axes:
    """Mean square of every convolution's output (before its ReLU), layer by layer, on a log
    scale, from :func:`unet_course.models.unet.activation_moments`; the kind of each layer
    (3x3, up-convolution, 1x1) by marker, the max-poolings as vertical lines.

    Serves: U-Net paper section 3 (initialisation); chapter 05.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.6))
    x = np.arange(len(records))
    y = np.array([r["output"] for r in records])
    ax.plot(x, y, "-", color="#999999", lw=1)
    styles = {"conv3x3": ("o", "#1f5fbf", "3x3 convolution"), "upconv": ("^", "#27ae60", "2x2 up-convolution"),
              "conv1x1": ("s", "#16a085", "final 1x1")}
    for kind, (marker, color, label) in styles.items():
        idx = [i for i, r in enumerate(records) if r["kind"] == kind]
        ax.plot(idx, y[idx], marker, color=color, label=label, ms=6, ls="none")
    encoders = [i for i, r in enumerate(records) if r["name"].startswith("encoder") and r["name"].endswith(".0")]
    for k, i in enumerate(encoders[1:] + [next(i for i, r in enumerate(records) if r["name"].startswith("bottleneck"))]):
        ax.axvline(i - 0.5, color="#c0392b", lw=0.8, ls="--", label="max-pool 2x2" if k == 0 else None)
    ax.axhline(records[0]["output"], color="#444444", lw=0.8, ls=":", label="first layer's value")
    ax.set_yscale("log")
    ax.set_xticks(x, [r["name"].replace("encoder", "enc").replace("decoder", "dec").replace(".conv", "") for r in records],
                  rotation=70, fontsize=7)
    ax.set_ylabel("mean of y² (pre-activation)")
    ax.legend(fontsize=8, ncol=3, loc="upper left")
    return ax


def draw_fcn_skips(ax: plt.Axes | None = None) -> plt.Axes:
    """The FCN skip architecture (Long et al. 2015, Fig. 3) as a diagram: the backbone's
    pooling layers with their strides, and the three fusion points where FCN-32s, 16s and 8s
    take their scores (conv7 / score_fr at stride 32, pool4 at 16, pool3 at 8)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 5))
    stages = ["image", "pool1", "pool2", "pool3", "pool4", "pool5", "conv7\n(fc7)"]
    strides = [1, 2, 4, 8, 16, 32, 32]
    xs = np.arange(len(stages)) * 1.6
    for x, name, s in zip(xs, stages, strides):
        h = 2.6 / math.sqrt(s) + 0.25
        ax.add_patch(Rectangle((x - 0.3, 4.2 - h / 2), 0.6, h, fc="#d6e4f5", ec="#1f5fbf"))
        ax.text(x, 4.2 - h / 2 - 0.15, f"{name}\n1/{s}" if s > 1 else name, ha="center", va="top", fontsize=8)
    for a, b in zip(xs[:-1], xs[1:]):
        ax.add_patch(FancyArrowPatch((a + 0.32, 4.2), (b - 0.32, 4.2), arrowstyle="-|>", mutation_scale=10, color="#555555"))
    rows = {"32s": 2.6, "16s": 1.5, "8s": 0.4}
    colors = {"32s": "#c0392b", "16s": "#8e44ad", "8s": "#27ae60"}
    score = {"conv7": xs[6], "pool4": xs[4], "pool3": xs[3]}
    right = xs[-1] + 2.2

    def node(x, y, text, color):
        ax.text(x, y, text, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.25", fc="white", ec=color))

    def arrow(p, q, color, style="-|>"):
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle=style, mutation_scale=9, color=color, lw=1.2))

    # FCN-32s: scores of conv7 upsampled x32
    c = colors["32s"]
    arrow((score["conv7"], 2.65), (score["conv7"], rows["32s"] + 0.2), c)
    node(score["conv7"], rows["32s"], "score 1x1", c)
    arrow((score["conv7"] + 0.5, rows["32s"]), (right - 0.6, rows["32s"]), c)
    node(right, rows["32s"], "x32 up -> FCN-32s", c)
    # FCN-16s and FCN-8s: the previous row's fused scores upsampled x2, plus the scores of a pool
    # layer (pool4, then pool3), upsampled x16 or x8 to the input
    for variant, pool, above, factor in (("16s", "pool4", "32s", 16), ("8s", "pool3", "16s", 8)):
        c = colors[variant]
        arrow((score[pool], 2.65), (score[pool], rows[variant] + 0.2), c)
        node(score[pool], rows[variant], "score 1x1", c)
        node(score["conv7"], rows[variant], "+", c)
        arrow((score["conv7"], rows[above] - 0.2), (score["conv7"], rows[variant] + 0.2), c)
        ax.text(score["conv7"] + 0.08, (rows[above] + rows[variant]) / 2, "x2 up", fontsize=7, color=c)
        arrow((score[pool] + 0.5, rows[variant]), (score["conv7"] - 0.2, rows[variant]), c)
        arrow((score["conv7"] + 0.2, rows[variant]), (right - 0.6, rows[variant]), c)
        node(right, rows[variant], f"x{factor} up -> FCN-{variant}", c)
    for name, x in (("fusion 1\nconv7, stride 32", score["conv7"]), ("fusion 2\npool4, stride 16", score["pool4"]),
                    ("fusion 3\npool3, stride 8", score["pool3"])):
        ax.text(x, 5.9, name, ha="center", va="center", fontsize=8, weight="bold")
    ax.set_xlim(-0.6, right + 1.2)
    ax.set_ylim(-0.2, 6.3)
    ax.axis("off")
    return ax


def plot_fcn_curves(curves: dict, key: str = "mean_iou", ax: plt.Axes | None = None) -> plt.Axes:
    """Held-out score (``key`` of each curve of :func:`unet_course.experiments.fcn.fcn_plateau_curves`)
    against training steps, one line per variant, the best step of each marked.

    Serves: FCN paper section 4.2; chapter 04.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    colors = {"32s": "#c0392b", "16s": "#8e44ad", "8s": "#27ae60"}
    for v, c in curves.items():
        ax.plot(c["steps"], c[key], "-", color=colors.get(v), label=f"FCN-{v}")
        best = c["steps"].index(c["best_step"])
        ax.plot(c["best_step"], c[key][best], "o", color=colors.get(v))
    ax.set_xlabel("training step")
    ax.set_ylabel({"mean_iou": "held-out mean IoU", "boundary_f": "held-out boundary F"}.get(key, key))
    ax.set_ylim(0, 1)
    ax.legend()
    return ax
