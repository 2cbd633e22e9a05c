"""Mirror extrapolation: an image extended beyond its border by reflecting it at the border.

The paper extends an image this way twice: to give the border pixels context in the overlap-tile
strategy (Fig. 2, chapter 06: :mod:`unet_course.tiling`) and for positions an augmentation moves
outside the image (section 3.1, chapter 07: :mod:`unet_course.augment`). One rule serves both:
reflect about the border pixel without repeating it (``numpy.pad``'s ``"reflect"``,
``c b | a b c d | c b``), repeated for pads longer than the axis.

- :func:`mirror_index`: the rule on integer positions (NumPy array or tensor, any device).
- :func:`mirror_indices`: the indices that mirror an axis by ``before`` and ``after`` pixels.
- :func:`mirror_pad`: an image extended on its four sides.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["mirror_index", "mirror_indices", "mirror_pad"]


def mirror_index(i: np.ndarray | Tensor, n: int) -> np.ndarray | Tensor:
    """Integer positions ``i`` (any, also negative or ``>= n``) mirrored into ``0 .. n-1``.

    Works on a NumPy array or a tensor (any device) and returns the same kind; an axis of one
    pixel repeats it (the period ``2 n - 2`` would be 0).

    Serves: U-Net paper Fig. 2 and section 3.1; chapters 06 and 07.
    """
    if n == 1:
        return torch.zeros_like(i) if isinstance(i, Tensor) else np.zeros_like(i)
    period = 2 * n - 2
    if isinstance(i, Tensor):
        j = torch.remainder(i, period)
        return torch.where(j >= n, period - j, j)
    j = np.mod(i, period)
    return np.where(j >= n, period - j, j)


def mirror_indices(n: int, before: int, after: int) -> np.ndarray:
    """Indices into an axis of length ``n`` that mirror it by ``before`` and ``after`` pixels.

    Mirroring reflects about the border pixel without repeating it (``numpy.pad``'s
    ``"reflect"``: ``c b | a b c d | c b``), and repeats the reflection for pads longer than
    the axis, so any pad works, even on an axis of 1 pixel (then the pixel is repeated).

    Returns an ``int64`` array of length ``before + n + after`` with values in ``[0, n)``.

    Serves: U-Net paper Fig. 2 and section 3.1; chapters 06 and 07.
    """
    if n < 1:
        raise ValueError(f"cannot mirror an empty axis (length {n})")
    if before < 0 or after < 0:
        raise ValueError(f"pads must be >= 0, got before={before}, after={after}")
    i = np.arange(-before, n + after, dtype=np.int64)
    return mirror_index(i, n)


def _pads(pad: int | tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    if isinstance(pad, (int, np.integer)):
        pads = (int(pad),) * 4
    else:
        pads = tuple(int(p) for p in pad)
        if len(pads) != 4:
            raise ValueError(f"pad must be an int or (top, bottom, left, right), got {pad!r}")
    if min(pads) < 0:
        raise ValueError(f"pads must be >= 0, got {pad!r}")
    return pads  # type: ignore[return-value]


def mirror_pad(image: np.ndarray | Tensor, pad: int | tuple[int, int, int, int]) -> np.ndarray | Tensor:
    """Extend the last two axes of ``image`` by mirroring it at its borders.

    Args:
        image: array or tensor ``(..., H, W)`` of any dtype.
        pad: pixels added on every side, or ``(top, bottom, left, right)``. Pads may exceed the
            image (the mirror is then repeated), unlike ``torch.nn.functional.pad``.

    Returns:
        The same kind of object (NumPy array or tensor), ``(..., top + H + bottom,
        left + W + right)``; equal to ``numpy.pad(image, ..., mode="reflect")``.

    Serves: U-Net paper Fig. 2 and section 3.1; chapters 06 and 07.
    """
    top, bottom, left, right = _pads(pad)
    if image.ndim < 2:
        raise ValueError(f"mirror_pad needs an array with at least 2 axes (H, W), got shape {tuple(image.shape)}")
    rows = mirror_indices(image.shape[-2], top, bottom)
    cols = mirror_indices(image.shape[-1], left, right)
    if isinstance(image, Tensor):
        r = torch.as_tensor(rows, device=image.device)
        c = torch.as_tensor(cols, device=image.device)
        return image.index_select(-2, r).index_select(-1, c)
    return image[..., rows[:, None], cols[None, :]]
