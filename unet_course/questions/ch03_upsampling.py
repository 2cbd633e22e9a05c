"""Exercises of chapter 03: bilinear interpolation and transposed convolution.

Answers come from the package (ops) or from torch, never typed in.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from unet_course import ops, quiz


def transposed_output_size(n: int, k: int, s: int, p: int) -> int:
    """Output length of a transposed convolution (no output padding)."""
    return ops.conv_transpose_output_size(n, k, s, p)


def _size_samples() -> list[tuple[int, int, int, int]]:
    rng = np.random.default_rng(3)
    out = [(4, 3, 2, 1), (4, 4, 2, 1), (7, 64, 32, 16), (3, 2, 2, 0), (5, 1, 1, 0)]
    while len(out) < 25:
        n, k, s = (int(v) for v in rng.integers(1, 9, 3))
        p = int(rng.integers(0, k))
        if transposed_output_size(n, k, s, p) >= 1:
            out.append((n, k, s, p))
    return out


def source_coordinate(i: int, n_in: int, n_out: int) -> float:
    """Input coordinate read by output sample i (align_corners=False), from the package's
    interpolation matrix: the weighted mean of the input indices it mixes."""
    row = ops.interpolation_matrix(n_in, n_out, align_corners=False)[i]
    return float(row @ torch.arange(n_in, dtype=row.dtype))


def _coordinate_samples() -> list[tuple[int, int, int]]:
    # samples away from the clamped ends, where the formula needs no max/min
    out = []
    for n_in, n_out in [(4, 8), (3, 7), (10, 25), (8, 4), (5, 16)]:
        for i in range(n_out):
            x = (i + 0.5) * n_in / n_out - 0.5
            if 0 <= x <= n_in - 1:
                out.append((i, n_in, n_out))
    return out


def bilinear_kernel_2d(k: int) -> np.ndarray:
    """The k x k bilinear upsampling kernel of one channel, as a NumPy array."""
    return ops.bilinear_kernel(1, 1, k, dtype=torch.float64)[0, 0].numpy()


def _kernel_cases() -> list[tuple[int]]:
    return [(k,) for k in (1, 2, 3, 4, 5, 6, 8, 16)]


def conv_transpose_1d(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """1-D transposed convolution (no padding, no bias), computed by torch."""
    t = F.conv_transpose1d(torch.as_tensor(x, dtype=torch.float64)[None, None], torch.as_tensor(w, dtype=torch.float64)[None, None], stride=stride)
    return t[0, 0].numpy()


def _conv_transpose_cases() -> list[tuple]:
    rng = np.random.default_rng(4)
    cases = [(np.array([1.0, 2.0]), np.array([1.0, 1.0, 1.0]), 2)]
    for _ in range(8):
        n, k, s = int(rng.integers(1, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
        cases.append((rng.normal(size=n), rng.normal(size=k), s))
    return cases


CHECKERBOARD_OPTIONS = [(3, 2), (4, 2), (5, 2), (4, 3)]


def _uneven(kernel: int, stride: int) -> bool:
    """Does a transposed convolution with a constant kernel spread a constant input unevenly?"""
    ones = torch.ones(1, 1, 12, 12, dtype=torch.float64)
    out = F.conv_transpose2d(ones, torch.ones(1, 1, kernel, kernel, dtype=torch.float64), stride=stride)
    inner = out[0, 0, kernel:-kernel, kernel:-kernel]
    return bool(inner.max() != inner.min())


def _size_without_overhang(n, k, s, p):
    return n * s - 2 * p


def _size_one_side(n, k, s, p):
    return (n - 1) * s + k - p


def _source_align_corners(i, n_in, n_out):
    return i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0


def _source_no_half_shift(i, n_in, n_out):
    return i * n_in / n_out


def _kernel_centre_always_f_minus_1(k):
    f = (k + 1) // 2
    tent = 1 - np.abs(np.arange(k) - (f - 1)) / f
    return np.outer(tent, tent)


def _kernel_normalised(k):
    f = (k + 1) // 2
    c = f - 1 if k % 2 == 1 else f - 0.5
    tent = 1 - np.abs(np.arange(k) - c) / f
    kernel = np.outer(tent, tent)
    return kernel / kernel.sum()


def _conv_transpose_flipped(x, w, stride):
    out = np.zeros((len(x) - 1) * stride + len(w))
    for i, value in enumerate(x):
        out[i * stride : i * stride + len(w)] += value * np.asarray(w)[::-1]
    return out


def _conv_transpose_stride_ignored(x, w, stride):
    return np.convolve(x, w)


EVEN_OPTION = [i for i, (k, s) in enumerate(CHECKERBOARD_OPTIONS) if not _uneven(k, s)]
assert len(EVEN_OPTION) == 1, "the checkerboard question needs exactly one even option"

QUESTIONS = [
    quiz.Formula(
        "03.transposed-size",
        "Write `out_size(n, k, s, p)`: the output length of a transposed convolution with kernel k, "
        "stride s and padding p on an input of length n (no output padding).",
        transposed_output_size,
        _size_samples,
        hint="It is the inverse of the convolution's size formula: spread the input by s, add the "
        "kernel's overhang k - 1, remove p on each side.",
        wrong=[_size_without_overhang, _size_one_side],
    ),
    quiz.Formula(
        "03.source-coordinate",
        "With align_corners=False, output sample i of an interpolation from n_in to n_out samples "
        "reads the input at which coordinate? Write `source(i, n_in, n_out)` (no clamping needed).",
        source_coordinate,
        _coordinate_samples,
        rtol=1e-9,
        atol=1e-9,
        hint="Pixel centres are at i + 1/2 in units of pixel width; scale the centre by n_in / n_out, "
        "then go back from centres to indices.",
        wrong=[_source_align_corners, _source_no_half_shift],
    ),
    quiz.CodeExercise(
        "03.bilinear-kernel",
        "Write `kernel(k)` returning the k x k bilinear upsampling kernel (NumPy array) that FCN "
        "uses to initialise a transposed convolution.",
        bilinear_kernel_2d,
        _kernel_cases,
        hint="A tent 1 - |x - c| / f with f = ceil(k / 2) and c = f - 1 (k odd) or f - 1/2 (k even); "
        "the 2-D kernel is the outer product of two tents.",
        wrong=[_kernel_centre_always_f_minus_1, _kernel_normalised],
    ),
    quiz.CodeExercise(
        "03.conv-transpose-1d",
        "Write `conv_transpose_1d(x, w, stride)` for 1-D NumPy arrays: every input sample adds a "
        "copy of w, scaled by the sample, at offset i * stride. No padding, no bias.",
        conv_transpose_1d,
        _conv_transpose_cases,
        hint="The output has (len(x) - 1) * stride + len(w) samples.",
        wrong=[_conv_transpose_flipped, _conv_transpose_stride_ignored],
    ),
    quiz.Choice(
        "03.checkerboard",
        "Which (kernel, stride) pair of a transposed convolution covers every output pixel equally "
        "often, so that it makes no checkerboard from uneven overlap?",
        [f"kernel {k}, stride {s}" for k, s in CHECKERBOARD_OPTIONS],
        EVEN_OPTION[0],
        hint="Draw the stamps of a constant input along one axis and count, for each output sample "
        "away from the ends, how many stamps reach it.",
        wrong=[i for i in range(len(CHECKERBOARD_OPTIONS)) if i != EVEN_OPTION[0]],
    ),
    quiz.Numeric(
        "03.predict-stamp-size",
        "Predict, before you run the cell: a 2 x 2 input, a 3 x 3 kernel, stride 2, no padding. How "
        "many pixels wide is the output of the transposed convolution? Answer as an integer.",
        lambda: float(transposed_output_size(2, 3, 2, 0)),
        rtol=0,
        atol=0.5,
        hint="Each input pixel stamps a whole kernel at its own offset; find where the last stamp "
        "ends.",
        wrong=[4, 6, 3],  # twice the input, one more, one stamp
    ),
]
