"""Data augmentation as in the U-Net paper, section 3.1 (chapter 07).

- :mod:`.core`: the NumPy core, one sample at a time: shift, rotation, flips, grey values and the
  elastic deformation (random displacements on a coarse 3x3 grid, 10 px standard deviation,
  bicubic interpolation), all as maps of sampling coordinates applied alike to image, labels and
  weights; :class:`Augmenter` draws and composes them.
- :mod:`.batched`: the same maps on batches of tensors on any device (``*_torch``).

Everything is importable from here: ``from unet_course import augment; augment.elastic_deform``.
"""

from . import batched, core
from .batched import *  # noqa: F403  (the names of batched.__all__)
from .core import *  # noqa: F403  (the names of core.__all__)

__all__ = [*core.__all__, *batched.__all__]
