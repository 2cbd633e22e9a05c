"""Upsampling and receptive fields, written out by hand (chapters 02 and 03).

Everything here has a torch counterpart that is faster; these versions exist so that the
arithmetic is visible, and the tests show that they equal torch's.

Upsampling (업샘플링):

- :func:`bilinear_kernel`: the weights that make a transposed convolution a bilinear
  interpolation (FCN's initialisation of its upsampling layers).
- :func:`transposed_conv_stamps`: transposed convolution by its definition, one scaled copy
  of the kernel per input pixel ("stamping"), kept apart so that they can be drawn.
- :func:`conv_transpose2d_zero_insertion` and :func:`conv_transpose2d_matrix`: transposed
  convolution (전치 합성곱) seen as "insert zeros, pad, convolve" and as "multiply by the
  transpose of the convolution matrix". Both equal :func:`torch.nn.functional.conv_transpose2d`.
- :func:`interpolation_matrix` and :func:`bilinear_resize`: bilinear interpolation (쌍선형 보간)
  as one 1-D interpolation along the rows and one along the columns, for
  ``align_corners=True`` and ``False``; equal to :func:`torch.nn.functional.interpolate`.

The receptive fields of chapters 02 and 04 are in :mod:`unet_course.ops.receptive`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import as_pair as _pair

IntPair = int | tuple[int, int]

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
]


# ---------------------------------------------------------------------------------------------
# Bilinear kernel and transposed convolution
# ---------------------------------------------------------------------------------------------


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Weights of a transposed convolution that performs bilinear interpolation.

    The 1-D profile is a tent ``1 - |x - c| / f`` with ``f = ceil(k / 2)`` and centre
    ``c = f - 1`` (odd ``k``) or ``f - 0.5`` (even ``k``); the 2-D kernel is the outer product
    of two tents. Channel ``i`` is copied to channel ``i`` (a diagonal weight), so each channel
    is upsampled on its own, as in the FCN paper's upsampling layers.

    Args:
        in_channels: input channels of the transposed convolution.
        out_channels: output channels; must equal ``in_channels`` (a diagonal weight).
        kernel_size: ``k``; with stride ``s`` use ``k = 2 s - s % 2`` and padding ``s // 2``
            (see :func:`bilinear_upsampling_layout`).

    Returns:
        ``(in_channels, out_channels, k, k)`` tensor, the layout of
        ``nn.ConvTranspose2d.weight``.

    Serves: FCN paper section 3.3; chapter 03.
    """
    if in_channels != out_channels:
        raise ValueError(
            f"a bilinear kernel maps each channel to itself, so in_channels ({in_channels}) must equal "
            f"out_channels ({out_channels})"
        )
    if in_channels < 1 or kernel_size < 1:
        raise ValueError(f"need in_channels >= 1 and kernel_size >= 1, got {in_channels} and {kernel_size}")
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    x = torch.arange(kernel_size, dtype=torch.float64)
    tent = 1 - (x - centre).abs() / factor
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size, dtype=torch.float64)
    weight[range(in_channels), range(in_channels)] = torch.outer(tent, tent)
    return weight.to(dtype)


def bilinear_upsampling_layout(stride: int) -> tuple[int, int]:
    """Kernel size and padding of a transposed convolution that upsamples by ``stride``.

    With ``k = 2 s - s % 2`` and ``p = s // 2`` an ``n``-pixel input becomes exactly ``n s``
    pixels, and with :func:`bilinear_kernel` weights the result equals
    ``F.interpolate(..., scale_factor=s, mode="bilinear", align_corners=False)`` everywhere
    except within ``s`` pixels of the border (where interpolation repeats the edge value and the
    transposed convolution sees zeros).

    Returns:
        ``(kernel_size, padding)``.

    Serves: FCN paper section 3.3; chapter 03.
    """
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    return 2 * stride - stride % 2, stride // 2


def conv_transpose_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1) -> int:
    """Length of a transposed convolution's output: ``(n - 1) s - 2 p + d (k - 1) + 1 + op``.

    Serves: FCN paper section 3.3; chapter 03.
    """
    return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + 1 + output_padding


def _check_transpose_args(x: torch.Tensor, weight: torch.Tensor, stride, padding, output_padding):
    if x.dim() != 4:
        raise ValueError(f"x must be (N, C_in, H, W), got shape {tuple(x.shape)}")
    if weight.dim() != 4 or weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"weight must be (C_in, C_out, kH, kW) with C_in = {x.shape[1]} (the layout of "
            f"nn.ConvTranspose2d.weight), got shape {tuple(weight.shape)}"
        )
    s = _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    op = _pair(output_padding, "output_padding", 0)
    if any(o >= st for o, st in zip(op, s)):
        raise ValueError(f"output_padding {op} must be smaller than the stride {s}")
    k = tuple(weight.shape[2:])
    for axis in range(2):
        size = conv_transpose_output_size(x.shape[2 + axis], k[axis], s[axis], p[axis], op[axis])
        if size < 1:
            raise ValueError(
                f"padding {p} removes the whole output along axis {axis} (output length {size}); "
                "use a smaller padding"
            )
    return s, p, op


def conv_transpose2d_zero_insertion(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
) -> torch.Tensor:
    """Transposed convolution as "insert zeros, pad, convolve with the flipped kernel".

    1. Put ``s - 1`` zeros between neighbouring input pixels (the input is spread out by ``s``).
    2. Pad ``k - 1 - p`` zeros on every side (negative: crop), plus ``output_padding`` at the
       bottom and right.
    3. Slide the kernel, rotated by 180 degrees and with its channel axes swapped, over the
       result with stride 1 (an ordinary convolution).

    Args:
        x: ``(N, C_in, H, W)`` float tensor.
        weight: ``(C_in, C_out, kH, kW)``, the layout of ``nn.ConvTranspose2d.weight``.
        bias: ``(C_out,)`` or ``None``.
        stride, padding, output_padding: as in ``nn.ConvTranspose2d`` (int or pair).

    Returns:
        ``(N, C_out, H_out, W_out)`` with ``H_out = (H - 1) s - 2 p + k + output_padding``,
        equal to ``F.conv_transpose2d(x, weight, bias, stride, padding, output_padding)``.

    Serves: FCN paper section 3.3; chapter 03.
    """
    s, p, op = _check_transpose_args(x, weight, stride, padding, output_padding)
    n, c, h, w = x.shape
    k = weight.shape[2:]
    spread = x.new_zeros(n, c, (h - 1) * s[0] + 1, (w - 1) * s[1] + 1)
    spread[:, :, :: s[0], :: s[1]] = x
    # F.pad takes (left, right, top, bottom); negative amounts crop
    before = [k[0] - 1 - p[0], k[1] - 1 - p[1]]
    padded = F.pad(spread, (before[1], before[1] + op[1], before[0], before[0] + op[0]))
    flipped = weight.flip(2, 3).transpose(0, 1)  # (C_out, C_in, kH, kW)
    return F.conv2d(padded, flipped, bias)


def transposed_conv_stamps(x: torch.Tensor, weight: torch.Tensor, stride: IntPair = 1) -> torch.Tensor:
    """The stamps of a one-channel transposed convolution: one scaled kernel per input pixel.

    Input pixel ``(i, j)`` with value ``x[i, j]`` adds ``x[i, j] * weight`` to the output at rows
    ``s_h i ... s_h i + kH - 1`` and columns ``s_w j ... s_w j + kW - 1``; the output is the sum
    of these stamps (no padding, no bias). This keeps each stamp on its own output canvas.

    Args:
        x: ``(H, W)`` float tensor, one channel.
        weight: ``(kH, kW)`` kernel of the same dtype.
        stride: int or ``(s_h, s_w)``, >= 1.

    Returns:
        ``(H * W, H_out, W_out)`` with ``H_out = (H - 1) s_h + kH``; stamp ``i * W + j`` belongs
        to input pixel ``(i, j)``. Summed over the first axis it equals
        ``F.conv_transpose2d(x[None, None], weight[None, None], stride=stride)[0, 0]``.

    Serves: FCN paper section 3.3; chapter 03.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise ValueError(f"x must be an (H, W) tensor of one channel, got {type(x).__name__} {tuple(getattr(x, 'shape', ()))}")
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
        raise ValueError(f"weight must be a (kH, kW) tensor, got {type(weight).__name__} {tuple(getattr(weight, 'shape', ()))}")
    if weight.dtype != x.dtype:
        raise ValueError(f"x and weight must have one dtype, got {x.dtype} and {weight.dtype}")
    s = _pair(stride, "stride", 1)
    h, w = x.shape
    kh, kw = weight.shape
    stamps = x.new_zeros(h * w, (h - 1) * s[0] + kh, (w - 1) * s[1] + kw)
    for i in range(h):
        for j in range(w):
            stamps[i * w + j, s[0] * i : s[0] * i + kh, s[1] * j : s[1] * j + kw] = x[i, j] * weight
    return stamps


def conv_matrix(
    weight: torch.Tensor,
    input_size: tuple[int, int],
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> torch.Tensor:
    """The matrix ``C`` of a 2-D convolution (``F.conv2d``, no bias), built entry by entry.

    ``F.conv2d(x, weight, stride=stride, padding=padding).flatten() == C @ x.flatten()`` for a
    single image ``x`` of shape ``(C_in, H, W)``.

    Args:
        weight: ``(C_out, C_in, kH, kW)``, the layout of ``nn.Conv2d.weight``.
        input_size: ``(H, W)`` of the convolution's input.
        stride, padding: as in ``nn.Conv2d`` (zero padding).

    Returns:
        ``(C_out * H_out * W_out, C_in * H * W)`` dense tensor, rows and columns in
        ``(channel, row, column)`` order.

    Serves: FCN paper section 3.3; chapter 03.
    """
    if weight.dim() != 4:
        raise ValueError(f"weight must be (C_out, C_in, kH, kW), got shape {tuple(weight.shape)}")
    s = _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    h, w = _pair(input_size, "input_size", 1)
    c_out, c_in, kh, kw = weight.shape
    ho = (h + 2 * p[0] - kh) // s[0] + 1
    wo = (w + 2 * p[1] - kw) // s[1] + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"a {kh}x{kw} kernel does not fit an input of {h}x{w} with padding {p}")
    matrix = weight.new_zeros(c_out, ho, wo, c_in, h, w)
    for i in range(ho):
        for j in range(wo):
            top, left = i * s[0] - p[0], j * s[1] - p[1]
            # the part of the kernel window that lands inside the (unpadded) image
            r0, r1 = max(top, 0), min(top + kh, h)
            c0, c1 = max(left, 0), min(left + kw, w)
            if r0 < r1 and c0 < c1:
                matrix[:, i, j, :, r0:r1, c0:c1] = weight[:, :, r0 - top : r1 - top, c0 - left : c1 - left]
    return matrix.reshape(c_out * ho * wo, c_in * h * w)


def conv_transpose2d_matrix(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
) -> torch.Tensor:
    """Transposed convolution as multiplication by the transpose of a convolution matrix.

    A convolution with ``weight`` (read as ``(C_out_conv, C_in_conv) = (C_in, C_out)``),
    stride ``s`` and padding ``p`` maps an ``H_out x W_out`` image to an ``H x W`` one through a
    matrix ``C``; the transposed convolution maps back with ``C^T``. It restores the *size*,
    not the values (``C^T C`` is not the identity).

    Arguments and result as in :func:`conv_transpose2d_zero_insertion`.

    Serves: FCN paper section 3.3; chapter 03.
    """
    s, p, op = _check_transpose_args(x, weight, stride, padding, output_padding)
    n, c_in, h, w = x.shape
    k = weight.shape[2:]
    out_size = tuple(conv_transpose_output_size(x.shape[2 + a], k[a], s[a], p[a], op[a]) for a in range(2))
    matrix = conv_matrix(weight, out_size, s, p)  # (C_in * H * W, C_out * Ho * Wo)
    if matrix.shape[0] != c_in * h * w:  # cannot happen for valid arguments; guards the algebra
        raise RuntimeError("the convolution matrix does not match the input size")
    y = (x.reshape(n, -1) @ matrix).reshape(n, weight.shape[1], *out_size)
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return y


# ---------------------------------------------------------------------------------------------
# Bilinear interpolation
# ---------------------------------------------------------------------------------------------


def interpolation_matrix(
    n_in: int,
    n_out: int,
    *,
    align_corners: bool,
    scale: float | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """The ``(n_out, n_in)`` matrix of 1-D linear interpolation from ``n_in`` to ``n_out`` samples.

    Output sample ``i`` reads the input at the source coordinate

    - ``align_corners=True``: ``x = i (n_in - 1) / (n_out - 1)`` (first and last samples of
      input and output coincide);
    - ``align_corners=False``: ``x = (i + 1/2) r - 1/2`` with ``r = n_in / n_out`` (pixels are
      squares whose centres are aligned), clamped at 0; ``scale`` replaces ``r`` by
      ``1 / scale`` (what ``F.interpolate`` does when given ``scale_factor``).

    and mixes the two nearest input samples with weights ``1 - (x - floor x)`` and
    ``x - floor x``; beyond the last sample the edge value is repeated. Each row sums to 1.

    Serves: FCN paper section 3.3; chapter 03.
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be >= 1, got n_in={n_in}, n_out={n_out}")
    i = torch.arange(n_out, dtype=torch.float64)
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1)) if n_out > 1 else torch.zeros(n_out, dtype=torch.float64)
    else:
        ratio = (1.0 / scale) if scale is not None else n_in / n_out
        src = ((i + 0.5) * ratio - 0.5).clamp(min=0)
    lo = src.floor().long().clamp(max=n_in - 1)
    hi = (lo + 1).clamp(max=n_in - 1)
    frac = src - lo
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    m[torch.arange(n_out), lo] += 1 - frac
    m[torch.arange(n_out), hi] += frac
    return m.to(dtype)


def bilinear_resize(
    x: torch.Tensor,
    size: IntPair | None = None,
    *,
    scale_factor: float | None = None,
    align_corners: bool = False,
) -> torch.Tensor:
    """Bilinear interpolation by hand: interpolate the rows, then the columns.

    ``y = A_rows @ x @ A_cols^T`` with the matrices of :func:`interpolation_matrix`; equal to
    ``F.interpolate(x, size or scale_factor, mode="bilinear", align_corners=align_corners)``.

    Args:
        x: ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)`` float tensor.
        size: output ``(H_out, W_out)`` (or one int for both); give this or ``scale_factor``.
        scale_factor: output size ``floor(H * scale_factor)``; with ``align_corners=False``
            the source coordinates use ``1 / scale_factor`` as ``F.interpolate`` does.
        align_corners: the coordinate convention (see :func:`interpolation_matrix`).

    Returns:
        tensor of the same rank and dtype as ``x`` with spatial size ``(H_out, W_out)``.

    Serves: FCN paper section 3.3; chapter 03.
    """
    if x.dim() not in (2, 3, 4):
        raise ValueError(f"x must be (H, W), (C, H, W) or (N, C, H, W), got shape {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
    if (size is None) == (scale_factor is None):
        raise ValueError("give exactly one of size and scale_factor")
    h, w = x.shape[-2:]
    scale = None
    if size is None:
        if scale_factor <= 0:
            raise ValueError(f"scale_factor must be > 0, got {scale_factor}")
        out = (int(math.floor(h * scale_factor)), int(math.floor(w * scale_factor)))
        scale = float(scale_factor)
    else:
        out = _pair(size, "size", 1)
    rows = interpolation_matrix(h, out[0], align_corners=align_corners, scale=scale, dtype=x.dtype).to(x.device)
    cols = interpolation_matrix(w, out[1], align_corners=align_corners, scale=scale, dtype=x.dtype).to(x.device)
    return rows @ x @ cols.T
