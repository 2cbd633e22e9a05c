"""All the course's plotting, in one place (figures of chapters 01-12).

- :mod:`.figures`: shared helpers (instance colours, a row of images), chapter 01's kinds of
  segmentation, chapters 02-03's figures of a classifier made convolutional and of transposed
  convolution.
- :mod:`.data`: chapter 07's label outlines, grid patterns and displacement fields (paper
  section 3.1), and the explorer behind its widgets.
- :mod:`.unet`: the U-Net drawn from its own size walk (paper Fig. 1, chapter 05), copy and crop,
  the overlap-tile plan (Fig. 2, chapter 06), FCN's skips and chapter 04's curves.
- :mod:`.fcn_vs_unet`: FCN-8s and U-Net side by side (chapter 05's opening figure).
- :mod:`.simple_points`: a pixel whose flip keeps the topology and one whose flip splits a cell
  (the warping error's simple points, chapter 09).
- :mod:`.instance_errors`: merged and split objects of a segmentation (``metrics.merges_and_splits``),
  shown (chapter 12).

Everything is importable from here: ``from unet_course import viz; viz.draw_unet(model)``.
"""

from .data import explorer, grid_pattern, outline, plot_displacement
from .fcn_vs_unet import draw_fcn_vs_unet
from .figures import (
    CLASS_COLOURS,
    instance_colors,
    plot_fc_as_conv,
    plot_segmentation_kinds,
    plot_transposed_stamps,
    show_row,
)
from .instance_errors import plot_instance_errors
from .simple_points import plot_simple_points
from .unet import (
    draw_copy_and_crop,
    draw_fcn_skips,
    draw_tiling,
    draw_unet,
    plot_activation_moments,
    plot_fcn_curves,
    size_explorer,
    size_table,
)

__all__ = [
    "CLASS_COLOURS",
    "instance_colors",
    "show_row",
    "plot_transposed_stamps",
    "plot_fc_as_conv",
    "plot_segmentation_kinds",
    "outline",
    "grid_pattern",
    "plot_displacement",
    "explorer",
    "draw_unet",
    "size_table",
    "size_explorer",
    "draw_copy_and_crop",
    "draw_tiling",
    "plot_activation_moments",
    "draw_fcn_skips",
    "plot_fcn_curves",
    "draw_fcn_vs_unet",
    "plot_simple_points",
    "plot_instance_errors",
]
