"""FCN-8s and U-Net side by side (chapter 05's opening figure).

Two schematic diagrams drawn to the same conventions: a box per feature map, its height the
map's side relative to the input, its width growing with log2 of its channels. The FCN-8s panel
follows the FCN paper's skip architecture (Long et al. 2015, section 4.2, Fig. 3) and its
reference implementation (voc-fcn8s: the first convolution pads the input by 100 pixels, Crop
layers align the maps before each sum and cut the output back to the input); the U-Net panel
follows the U-Net paper's Fig. 1 (unpadded convolutions, copy and crop, concatenation).

What the figure contrasts: FCN's skips carry **class scores** (21 channels for PASCAL VOC) and
are **summed**, and its expanding side is a thin stack of score maps; U-Net's skips carry
**feature maps** and are **concatenated**, and its expanding path is as wide as its
contracting path. FCN pads and crops back to the input's size; U-Net never pads and its
output is smaller than its input (572 -> 388).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle

__all__ = ["draw_fcn_vs_unet", "FCN_COLOUR", "UNET_COLOUR", "SCORE_COLOUR"]

FCN_COLOUR = "#d6e4f5"    # feature maps
UNET_COLOUR = "#d6e4f5"
SCORE_COLOUR = "#f5cba7"  # class-score maps (FCN's skips and expanding side)
COPY_COLOUR = "#ffffff"   # U-Net's cropped copies


def _box(ax: plt.Axes, x: float, side: float, channels: int, colour: str, label: str | None = None,
         y0: float = 0.0, edge: str = "#1f3b73") -> tuple[float, float, float, float]:
    """One feature map as a box at ``x`` (left edge): height ``side`` (1 = the input's side),
    width from log2 of ``channels``; returns (left, bottom, width, height)."""
    width = 0.06 + 0.025 * math.log2(max(channels, 1))
    side = max(side, 0.06)  # the deepest maps stay visible
    bottom = y0 - side / 2
    ax.add_patch(Rectangle((x, bottom), width, side, fc=colour, ec=edge, lw=0.8))
    if label:
        ax.text(x + width / 2, bottom + side + 0.03, label, ha="center", va="bottom", fontsize=6.5)
    return x, bottom, width, side


def _arrow(ax: plt.Axes, p: tuple[float, float], q: tuple[float, float], colour: str = "#555555",
           style: str = "-|>", ls: str = "-") -> None:
    ax.add_patch(FancyArrowPatch(p, q, arrowstyle=style, mutation_scale=8, color=colour, lw=1.0, ls=ls))


def _draw_fcn(ax: plt.Axes) -> None:
    """FCN-8s: VGG16 encoder on the 100-pixel padded input, 1x1 score layers, sums, crops."""
    ax.add_patch(Rectangle((-0.06, -0.62), 0.36, 1.24, fc="none", ec="#999999", ls="--", lw=0.8))
    ax.text(0.12, 0.8, "input padded\nby 100 px", ha="center", va="bottom", fontsize=6.5, color="#666666")
    _box(ax, 0.0, 1.0, 3, FCN_COLOUR, "image")
    sides = [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 32]
    chans = [64, 128, 256, 512, 512, 4096]
    names = ["pool1", "pool2", "pool3", "pool4", "pool5", "fc7"]
    x, boxes = 0.45, {}
    for side, c, name in zip(sides, chans, names):
        boxes[name] = _box(ax, x, side, c, FCN_COLOUR, f"{name}\n{c}")
        _arrow(ax, (x - 0.14, 0), (x - 0.01, 0))
        x += boxes[name][2] + 0.2
    # score layers (1x1 convolutions to 21 classes) under pool3, pool4 and fc7
    y_score = -1.15
    score_x = {}
    for name in ("pool3", "pool4", "fc7"):
        left, bottom, width, _ = boxes[name]
        score_x[name] = left + width / 2 - 0.1
        _box(ax, score_x[name], 0.12, 21, SCORE_COLOUR, None, y0=y_score, edge="#a04000")
        _arrow(ax, (left + width / 2, bottom - 0.02), (left + width / 2, y_score + 0.08), colour="#a04000")
    ax.text(score_x["pool3"] - 0.12, y_score, "1x1 score\n(21 classes)", ha="right", va="center", fontsize=6.5,
            color="#a04000")
    # expanding side: x2 up, crop, sum with pool4's scores; x2 up, crop, sum with pool3's; x8 up, crop
    y_up = -1.75
    xs = [score_x["fc7"], score_x["pool4"], score_x["pool3"]]
    for a, b in zip(xs, xs[1:]):
        _arrow(ax, (a + 0.05, y_score - 0.08 if a == xs[0] else y_up), (b + 0.22, y_up), colour="#a04000")
        ax.text((a + b) / 2 + 0.1, y_up - 0.12, "x2 up, crop", ha="center", va="top", fontsize=6.5, color="#a04000")
        ax.text(b + 0.1, y_up, "+", ha="center", va="center", fontsize=11, weight="bold", color="#a04000")
        _arrow(ax, (b + 0.1, y_score - 0.08), (b + 0.1, y_up + 0.1), colour="#a04000")
    out = _box(ax, 0.0, 1.0, 21, SCORE_COLOUR, None, y0=y_up - 0.7, edge="#a04000")
    _arrow(ax, (xs[-1] + 0.02, y_up - 0.05), (out[0] + out[2] + 0.02, y_up - 0.7), colour="#a04000")
    ax.text(out[0] + out[2] + 0.25, y_up - 0.75, "x8 up, crop to the\ninput's size: H x W, 21", ha="left", va="top",
            fontsize=6.5, color="#a04000")
    ax.set_title("FCN-8s: skips carry class scores, summed", fontsize=9)


def _draw_unet(ax: plt.Axes) -> None:
    """U-Net: valid convolutions, copy and crop, concatenation, a wide expanding path."""
    sides = [568 / 572, 280 / 572, 136 / 572, 64 / 572, 28 / 572]
    chans = [64, 128, 256, 512, 1024]
    ups = [56 / 572, 104 / 572, 200 / 572, 392 / 572]
    y_levels = [0.0, -0.75, -1.35, -1.8, -2.15]
    _box(ax, 0.0, 1.0, 1, UNET_COLOUR, "572", y0=0.0)
    lefts = []
    for level, (side, c) in enumerate(zip(sides, chans)):
        x = 0.3 + 0.3 * level
        left, bottom, width, _ = _box(ax, x, side, c, UNET_COLOUR, f"{c}", y0=y_levels[level])
        lefts.append((left, width))
        if level:
            _arrow(ax, (x - 0.2, y_levels[level - 1] - 0.05), (x + 0.02, y_levels[level] + side / 2 + 0.02),
                   colour="#c0392b")
    _arrow(ax, (0.2, 0.0), (0.29, 0.0))
    for i, level in enumerate(reversed(range(4))):
        x = 0.3 + 0.3 * 4 + 0.45 + 0.34 * i
        c = chans[level]
        copy_box = _box(ax, x, ups[i], c, COPY_COLOUR, None, y0=y_levels[level], edge="#1f3b73")
        _box(ax, x + copy_box[2], ups[i], c, UNET_COLOUR, f"{c} + {c}", y0=y_levels[level])
        skip_left, skip_width = lefts[level]
        _arrow(ax, (skip_left + skip_width + 0.01, y_levels[level]), (x - 0.01, y_levels[level]),
               colour="#7f8c8d", ls="--")
        if i == 3:
            ax.text((skip_left + x) / 2 + 0.2, y_levels[level] + 0.03, "copy and crop", ha="center", va="bottom",
                    fontsize=6.5, color="#7f8c8d")
        below = y_levels[level + 1]
        _arrow(ax, (x - 0.12, below + 0.05), (x + 0.05, y_levels[level] - ups[i] / 2 - 0.02), colour="#27ae60")
    out_x = 0.3 + 0.3 * 4 + 0.45 + 0.34 * 3 + 0.8
    _arrow(ax, (out_x - 0.1, 0.0), (out_x - 0.01, 0.0))
    _box(ax, out_x, 388 / 572, 2, SCORE_COLOUR, "388, 2", y0=0.0, edge="#a04000")
    ax.text(1.6, -2.45, "every 3x3 convolution unpadded: 572 in, 388 out\n"
            "concatenation: the expanding path is as wide as the contracting one", ha="center", va="top",
            fontsize=6.5)
    ax.set_title("U-Net: skips carry feature maps, concatenated", fontsize=9)


def draw_fcn_vs_unet(axes: tuple[plt.Axes, plt.Axes] | None = None) -> tuple[plt.Axes, plt.Axes]:
    """Draw FCN-8s (left) and U-Net (right) side by side as schematic box diagrams.

    Box height is a map's side relative to the input (1 for the input; FCN's encoder halves it
    five times, U-Net's sides are the paper's Fig. 1 sizes divided by 572), box width grows with
    log2 of the channels. Orange boxes are class-score maps, blue ones feature maps, white ones
    U-Net's cropped copies.

    Args:
        axes: two matplotlib axes; new ones (a 12 x 4.6 inch figure) when ``None``.

    Returns:
        The two axes, FCN-8s first.

    Serves: FCN paper section 4.2 (skip architecture) beside U-Net paper section 2, Fig. 1; chapter 05.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    if len(axes) != 2:
        raise ValueError(f"draw_fcn_vs_unet needs two axes (FCN-8s, U-Net), got {len(axes)}")
    _draw_fcn(axes[0])
    _draw_unet(axes[1])
    for ax, right in zip(axes, (3.4, 3.9)):
        ax.set_xlim(-0.3, right)
        ax.set_ylim(-3.0, 1.15)
        ax.set_aspect("equal")
        ax.axis("off")
    return axes[0], axes[1]
