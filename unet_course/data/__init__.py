"""Images and labels of the course.

- :mod:`unet_course.data.cells`: synthetic microscopy-like cells with instance labels.
"""

from .cells import RENDERINGS, CellSample, cell_instances, synthetic_cells

__all__ = ["RENDERINGS", "CellSample", "cell_instances", "synthetic_cells"]
