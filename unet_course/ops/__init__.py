"""The arithmetic of FCN's layers, written out by hand and checked against torch.

- :mod:`.upsampling` (chapter 03, FCN paper section 3.3): the bilinear kernel, transposed
  convolution by stamping, zero insertion and the convolution matrix, bilinear interpolation as
  two matrix products.
- :mod:`.receptive` (chapters 02 and 04, FCN paper section 3.1): layer footprints, the
  composition rule, receptive fields, the one kernel of two stacked convolutions, and the
  empirical receptive field found by back-propagation.

Everything is importable from here: ``from unet_course import ops; ops.compose``.
"""

from . import receptive, upsampling
from .receptive import *  # noqa: F403  (the names of receptive.__all__)
from .upsampling import *  # noqa: F403  (the names of upsampling.__all__)

__all__ = [*upsampling.__all__, *receptive.__all__]
