"""The arithmetic of FCN's layers, written out by hand and checked against torch.

- :mod:`.upsampling` (chapter 03, FCN paper section 3.3): the bilinear kernel, transposed
  convolution by stamping, zero insertion and the convolution matrix, bilinear interpolation as
  two matrix products.
- :mod:`.receptive` (chapters 02 and 04, FCN paper section 3.1): layer footprints, the
  composition rule, receptive fields, the one kernel of two stacked convolutions, and the
  empirical receptive field found by back-propagation.

Everything is importable from here: ``from unet_course import ops; ops.compose``.
"""

from .receptive import (
    LayerSpec,
    ReceptiveField,
    compose,
    compose_all,
    compose_linear_convs,
    gradient_support,
    layer_specs,
    receptive_fields,
)
from .upsampling import (
    bilinear_kernel,
    bilinear_resize,
    bilinear_upsampling_layout,
    conv_matrix,
    conv_transpose2d_matrix,
    conv_transpose2d_zero_insertion,
    conv_transpose_output_size,
    interpolation_matrix,
    transposed_conv_stamps,
)

__all__ = [
    "bilinear_kernel",
    "bilinear_upsampling_layout",
    "conv_transpose_output_size",
    "conv_transpose2d_zero_insertion",
    "transposed_conv_stamps",
    "conv_matrix",
    "conv_transpose2d_matrix",
    "interpolation_matrix",
    "bilinear_resize",
    "LayerSpec",
    "layer_specs",
    "compose",
    "compose_all",
    "ReceptiveField",
    "receptive_fields",
    "compose_linear_convs",
    "gradient_support",
]
