"""Images and labels of the course.

- :mod:`unet_course.data.cells`: synthetic microscopy-like cells with instance labels, in
  fluorescence, phase-contrast and DIC renderings.
- :mod:`unet_course.data.em`: synthetic EM-like slices with membrane labels (ISBI convention).
- :mod:`unet_course.data.isbi`: the ISBI 2012 training stack, read from a folder you name.
- :mod:`unet_course.data.nuclei`: a real nuclei image with instance labels (stardist wheel).
- :mod:`unet_course.data.sets`: :class:`~unet_course.data.sets.SegmentationSet`, the one data set of
  images, targets and weights every chapter trains and scores on, and its builders.
- :mod:`unet_course.data.tiles`: random, augmented training tiles for valid or same U-Nets.
"""

from .cells import RENDERINGS, CellSample, cell_depth, cell_instances, synthetic_cells
from .em import EMSample, em_partition, membrane_mask, synthetic_em, synthetic_em_stack
from .isbi import (
    DATA_ENV,
    INTERIOR,
    MEMBRANE,
    EMStack,
    isbi_available,
    isbi_root,
    load_isbi2012,
    split_by_slice,
)
from .nuclei import NucleiSample, load_nuclei, nuclei_files
from .sets import SegmentationSet, class_set, instance_set, stack_samples
from .tiles import TileDataset

__all__ = [
    "RENDERINGS",
    "CellSample",
    "cell_depth",
    "cell_instances",
    "synthetic_cells",
    "EMSample",
    "em_partition",
    "membrane_mask",
    "synthetic_em",
    "synthetic_em_stack",
    "DATA_ENV",
    "INTERIOR",
    "MEMBRANE",
    "EMStack",
    "isbi_available",
    "isbi_root",
    "load_isbi2012",
    "split_by_slice",
    "NucleiSample",
    "load_nuclei",
    "nuclei_files",
    "SegmentationSet",
    "class_set",
    "instance_set",
    "stack_samples",
    "TileDataset",
]
