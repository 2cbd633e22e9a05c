"""Exercises of chapter 03: bilinear interpolation and transposed convolution.

Answers come from the package (ops) or from torch, never typed in.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from unet_course import ops, quiz
from unet_course.quiz.catalog import N_


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


# --- build step: the 2-D transposed convolution as stamping (03.conv-transpose-2d) ---------------
#
# The learner's function takes x (C_in, H, W) and weights w (C_in, C_out, k, k), PyTorch's layout of
# nn.ConvTranspose2d's weight, an int stride and an int padding, and returns (C_out, H_out, W_out).
# The reference is torch's conv_transpose2d (an adapter: NumPy in, NumPy out); ``_diagnose_2d``
# recognises each typical mistake from what the learner's output is.


def _torch_transpose_2d(x: np.ndarray, w: np.ndarray, stride: int, padding: int, dilation: int = 1) -> np.ndarray:
    t = F.conv_transpose2d(torch.as_tensor(np.asarray(x, dtype=np.float64))[None],
                           torch.as_tensor(np.asarray(w, dtype=np.float64)),
                           stride=stride, padding=padding, dilation=dilation)
    return t[0].numpy()


def conv_transpose_2d(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """2-D transposed convolution of one image, computed by ``torch.nn.functional.conv_transpose2d``.

    ``x``: ``(C_in, H, W)``; ``w``: ``(C_in, C_out, k, k)`` (the layout of ``nn.ConvTranspose2d``'s
    weight); ``stride`` and ``padding`` ints, the same on both axes; no bias, no output padding.
    Returns ``(C_out, (H - 1) * stride + k - 2 * padding, (W - 1) * stride + k - 2 * padding)``, float64.
    """
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim != 3 or w.ndim != 4 or w.shape[0] != x.shape[0] or w.shape[2] != w.shape[3]:
        raise ValueError(f"x must be (C_in, H, W) and w (C_in, C_out, k, k); got x {x.shape}, w {w.shape}")
    return _torch_transpose_2d(x, w, stride, padding)


def _conv_transpose_2d_cases() -> list[tuple]:
    rng = np.random.default_rng(22)
    # (C_in, C_out, H, W, k, stride, padding): the first case has one input channel (some output
    # pixels get one stamp) and padding 0; later ones pad, add channels, stride past the kernel
    shapes = [(1, 2, 3, 4, 3, 2, 0), (2, 3, 4, 3, 4, 2, 1), (3, 1, 2, 5, 2, 3, 0), (2, 2, 3, 3, 5, 1, 2),
              (2, 3, 3, 2, 5, 3, 1), (1, 1, 1, 1, 3, 2, 1)]
    return [(rng.normal(size=(ci, h, w)), rng.normal(size=(ci, co, k, k)), s, p)
            for ci, co, h, w, k, s, p in shapes]


def _stamp(x, w, stride, flip=False, dilation=1, add=True):
    """The full canvas of the stamps (before padding is cut), with a mistake switched on."""
    x, w = np.asarray(x), np.asarray(w)
    c_in, h, wd = x.shape
    c_out, k = w.shape[1], w.shape[2]
    reach = dilation * (k - 1) + 1
    out = np.zeros((c_out, (h - 1) * stride + reach, (wd - 1) * stride + reach))
    for c in range(c_in):
        kernel = w[c, :, ::-1, ::-1] if flip else w[c]
        for i in range(h):
            for j in range(wd):
                rows = slice(i * stride, i * stride + reach, dilation)
                cols = slice(j * stride, j * stride + reach, dilation)
                if add:
                    out[:, rows, cols] += x[c, i, j] * kernel
                else:
                    out[:, rows, cols] = x[c, i, j] * kernel
    return out


def _cut(canvas, p):
    return canvas[:, p : canvas.shape[1] - p, p : canvas.shape[2] - p]


def _ct2_flipped(x, w, stride, padding):
    """Mistake: the kernel rotated by 180 degrees, as the convolution view would have it."""
    return _cut(_stamp(x, w, stride, flip=True), padding)


def _ct2_padding_added(x, w, stride, padding):
    """Mistake: padding added around the stamped canvas, as a convolution's padding is."""
    return np.pad(_stamp(x, w, stride), ((0, 0), (padding, padding), (padding, padding)))


def _ct2_padding_kept(x, w, stride, padding):
    """Mistake: the padding argument ignored."""
    return _stamp(x, w, stride)


def _ct2_stride_ignored(x, w, stride, padding):
    """Mistake: every stamp one pixel after the previous one."""
    return _cut(_stamp(x, w, 1), padding)


def _ct2_stride_as_dilation(x, w, stride, padding):
    """Mistake: the kernel taps spread stride pixels apart, the stamps one pixel apart."""
    return _cut(_stamp(x, w, 1, dilation=stride), padding)


def _ct2_one_short(x, w, stride, padding):
    """Mistake: an output of (n - 1) * stride + k - 1 - 2 * padding pixels, bounds checked."""
    c_in, h, wd = x.shape
    c_out, k = w.shape[1], w.shape[2]
    h_out, w_out = (h - 1) * stride + k - 1 - 2 * padding, (wd - 1) * stride + k - 1 - 2 * padding
    out = np.zeros((c_out, h_out, w_out))
    for c in range(c_in):
        for i in range(h):
            for j in range(wd):
                for a in range(k):
                    for b in range(k):
                        r, q = i * stride + a - padding, j * stride + b - padding
                        if 0 <= r < h_out and 0 <= q < w_out:
                            out[:, r, q] += x[c, i, j] * w[c, :, a, b]
    return out


def _ct2_overwrite(x, w, stride, padding):
    """Mistake: ``=`` instead of ``+=``, so a later stamp overwrites where stamps overlap."""
    return _cut(_stamp(x, w, stride, add=False), padding)


def _ct2_empty_slice(x, w, stride, padding):
    """Mistake: the padding cut as ``out[:, p:-p, p:-p]``, which is empty for p = 0."""
    full = _stamp(x, w, stride)
    return full[:, padding:-padding, padding:-padding]


MSG_2D_FLIPPED = (N_("Your output is the transposed convolution with the kernel rotated by 180 degrees: stamp w as it is; "
                     "the rotation belongs to view 1, where the transposed convolution is written as an ordinary convolution."))
MSG_2D_PADDING_ADDED = (N_("Your output is larger than the stamped canvas: in a transposed convolution, padding removes "
                           "pixels from each side of the stamped output instead of adding them."))
MSG_2D_PADDING_KEPT = (N_("Your output is the whole stamped canvas: padding p cuts p pixels from each side of it "
                          "(top, bottom, left and right)."))
MSG_2D_STRIDE_IGNORED = (N_("Your stamps start one pixel apart: input pixel (i, j) stamps its kernel with its top left "
                            "corner at (i * stride, j * stride)."))
MSG_2D_DILATION = (N_("Your kernel taps are stride pixels apart, as in a dilated convolution: the stamps are stride "
                      "pixels apart, and the taps inside one stamp are neighbours."))
MSG_2D_ONE_SHORT = (N_("Your output is one pixel short on each axis: a stamp that starts at row r covers the k rows "
                       "r, ..., r + k - 1, so the canvas reaches k - 1 rows past the start of the last stamp."))
MSG_2D_OVERWRITE = (N_("Your output is right where a single stamp reaches a pixel and wrong where stamps overlap: add "
                       "each stamp to the output (+=) instead of writing over it (=)."))
MSG_2D_EMPTY = (N_("Your output is empty when padding is 0: out[:, p:-p, p:-p] with p = 0 is out[:, 0:0, 0:0]; "
                   "cut with out[:, p:H - p, p:W - p]."))
MSG_2D_CHANNELS = (N_("Your output has as many channels as the input: w has shape (C_in, C_out, k, k), so input "
                      "channel c stamps w[c], a (C_out, k, k) block, into all C_out output channels, and the "
                      "stamps of all input channels add up."))
MSG_2D_SHAPE = N_("Your output has shape {given}; for this input it should have shape {expected}.")
MSG_2D_VALUES = (N_("Your output has the right shape but differs from the reference at {count} of {size} positions; "
                    "the first is output channel {c}, row {r}, column {q}."))
MSG_2D_NOT_ARRAY = N_("Your function returned {kind}; return a NumPy array of shape (C_out, H_out, W_out).")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _diagnose_2d(yours, ref: np.ndarray, args: tuple) -> str | None:
    """What is wrong with a learner's transposed convolution: the mistake it makes, recognised from
    its output (the same computation with the mistake switched on, or the shape it gives)."""
    x, w, stride, p = args
    if isinstance(yours, torch.Tensor):
        yours = yours.detach().cpu().numpy()
    if not isinstance(yours, np.ndarray):
        return MSG_2D_NOT_ARRAY.format(kind=type(yours).__name__)
    if yours.dtype == object:
        return MSG_2D_NOT_ARRAY.format(kind="an array of objects")
    if _same(yours, ref):
        return None
    if p == 0 and yours.ndim == 3 and 0 in yours.shape[1:]:
        return MSG_2D_EMPTY
    full = _torch_transpose_2d(x, w, stride, 0)
    candidates = [
        (_torch_transpose_2d(x, w[:, :, ::-1, ::-1].copy(), stride, p), MSG_2D_FLIPPED),
        (ref[:, :-1, :-1], MSG_2D_ONE_SHORT),
    ]
    if p > 0:
        candidates += [(np.pad(full, ((0, 0), (p, p), (p, p))), MSG_2D_PADDING_ADDED), (full, MSG_2D_PADDING_KEPT)]
    if stride > 1:
        candidates += [(_torch_transpose_2d(x, w, 1, p), MSG_2D_STRIDE_IGNORED),
                       (_torch_transpose_2d(x, w, 1, p, dilation=stride), MSG_2D_DILATION)]
    for candidate, message in candidates:
        if _same(yours, candidate):
            return message
    if yours.shape != ref.shape:
        if yours.ndim == 3 and yours.shape[0] == x.shape[0] != ref.shape[0]:
            return MSG_2D_CHANNELS
        if yours.ndim == 3 and yours.shape[0] == ref.shape[0]:
            grown = (yours.shape[1] - ref.shape[1], yours.shape[2] - ref.shape[2])
            if p > 0 and grown == (4 * p, 4 * p):
                return MSG_2D_PADDING_ADDED
            if p > 0 and grown == (2 * p, 2 * p):
                return MSG_2D_PADDING_KEPT
            if grown == (-1, -1):
                return MSG_2D_ONE_SHORT
        return MSG_2D_SHAPE.format(given=tuple(yours.shape), expected=tuple(ref.shape))
    # stamps per output pixel: where only one stamp reaches, a missing + cannot show
    count = _torch_transpose_2d(np.ones(x.shape), np.ones((x.shape[0], 1) + w.shape[2:]), stride, p)[0]
    wrong = ~np.isclose(yours, ref, rtol=1e-6, atol=1e-9)
    if (count == 1).any() and not wrong[:, count == 1].any() and wrong[:, count > 1].any():
        return MSG_2D_OVERWRITE
    c, r, q = (int(v) for v in np.argwhere(wrong)[0])
    return MSG_2D_VALUES.format(count=int(wrong.sum()), size=wrong.size, c=c, r=r, q=q)


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
    quiz.CodeExercise(
        "03.conv-transpose-2d",
        "Write `conv_transpose_2d(x, w, stride, padding)` with NumPy loops: x is (C_in, H, W), w is "
        "(C_in, C_out, k, k) as in nn.ConvTranspose2d; every input pixel x[c, i, j] adds x[c, i, j] * w[c] "
        "to the output at (i * stride, j * stride), then padding pixels are cut from every side. Return "
        "(C_out, H_out, W_out); no bias.",
        conv_transpose_2d,
        _conv_transpose_2d_cases,
        compare=_diagnose_2d,
        hint="Make a canvas of zeros large enough for every whole stamp, add the stamps of every input channel and "
        "pixel, and cut the padding off the canvas at the end.",
        wrong=[
            quiz.Mistake(_ct2_flipped, says=MSG_2D_FLIPPED),
            quiz.Mistake(_ct2_padding_added, says=MSG_2D_PADDING_ADDED),
            quiz.Mistake(_ct2_padding_kept, says=MSG_2D_PADDING_KEPT),
            quiz.Mistake(_ct2_stride_ignored, says=MSG_2D_STRIDE_IGNORED),
            quiz.Mistake(_ct2_stride_as_dilation, says=MSG_2D_DILATION),
            quiz.Mistake(_ct2_one_short, says=MSG_2D_ONE_SHORT),
            quiz.Mistake(_ct2_overwrite, says=MSG_2D_OVERWRITE),
            quiz.Mistake(_ct2_empty_slice, says=MSG_2D_EMPTY),
        ],
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
