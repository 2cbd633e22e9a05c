"""Data augmentation as in the U-Net paper, section 3.1 (chapter 07).

- :mod:`.core`: the NumPy core, one sample at a time: shift, rotation, flips, grey values and the
  elastic deformation (random displacements on a coarse 3x3 grid, 10 px standard deviation,
  bicubic interpolation), all as maps of sampling coordinates applied alike to image, labels and
  weights; :class:`Augmenter` draws and composes them.
- :mod:`.batched`: the same maps on batches of tensors on any device (``*_torch``).

Everything is importable from here: ``from unet_course import augment; augment.elastic_deform``.
"""

from .batched import augment_batch_torch, dense_displacement_torch, elastic_deform_torch, warp_torch
from .core import (
    Augmented,
    Augmenter,
    apply_coordinates,
    dense_displacement,
    elastic_coordinates,
    elastic_deform,
    flip,
    gray_value,
    identity_coordinates,
    random_coarse_displacement,
    rotate,
    shift,
    warp,
)

__all__ = [
    "Augmented",
    "Augmenter",
    "identity_coordinates",
    "warp",
    "apply_coordinates",
    "random_coarse_displacement",
    "dense_displacement",
    "elastic_coordinates",
    "elastic_deform",
    "shift",
    "rotate",
    "flip",
    "gray_value",
    "dense_displacement_torch",
    "warp_torch",
    "elastic_deform_torch",
    "augment_batch_torch",
]
