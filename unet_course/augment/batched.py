"""The paper's augmentation (section 3.1) on batches of tensors, on any device (chapter 07).

The same coordinate maps as :mod:`unet_course.augment.core`, applied with tensor operations so
that augmentation keeps up with a GPU: :func:`dense_displacement_torch` (the coarse 3x3 grid to a
per-pixel field), :func:`warp_torch` (nearest, linear or cubic B-spline sampling, mirrored at the
border like the NumPy core), :func:`elastic_deform_torch` and :func:`augment_batch_torch`.
Each equals its NumPy counterpart on the same displacement (tests/test_augment.py).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from scipy import ndimage as ndi
from torch import Tensor

from ..mirror import mirror_index
from .core import Augmenter, _grid_interpolation_matrix, _rotate_points, _shape2

__all__ = [
    "dense_displacement_torch",
    "warp_torch",
    "elastic_deform_torch",
    "augment_batch_torch",
]


@lru_cache(maxsize=32)
def _prefilter_matrix_np(n: int) -> np.ndarray:
    """``(n, n)``: cubic B-spline coefficients of a length-``n`` signal are ``P @ x`` (mirror border)."""
    return ndi.spline_filter1d(np.eye(n), order=3, axis=0, mode="mirror")


@lru_cache(maxsize=64)
def _matrix_tensor(kind: str, n: int, g: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    matrix = _prefilter_matrix_np(n) if kind == "prefilter" else _grid_interpolation_matrix(n, g)
    return torch.tensor(matrix, dtype=dtype, device=device)


def _as_tensor(kind: str, n: int, like: Tensor, g: int = 0) -> Tensor:
    """The cached interpolation matrix ``kind`` as a tensor on ``like``'s device, in a float dtype."""
    dtype = like.dtype if like.dtype in (torch.float32, torch.float64) else torch.float32
    return _matrix_tensor(kind, n, g, like.device, dtype)


def dense_displacement_torch(coarse: Tensor, shape: tuple[int, int] | int) -> Tensor:
    """Batched :func:`dense_displacement`: ``(B, 2, g, g)`` grid displacements -> ``(B, 2, H, W)``.

    Runs on ``coarse.device`` in ``coarse.dtype`` (float32 or float64).

    Serves: U-Net paper section 3.1, batched on the training device; chapter 07.
    """
    if coarse.dim() != 4 or coarse.shape[1] != 2:
        raise ValueError(f"coarse must be (B, 2, g_rows, g_cols), got shape {tuple(coarse.shape)}")
    h, w = _shape2(shape)
    rows = _as_tensor("grid", h, coarse, int(coarse.shape[2]))
    cols = _as_tensor("grid", w, coarse, int(coarse.shape[3]))
    return rows @ coarse @ cols.T


def _mirror_coordinate(c: Tensor, n: int) -> Tensor:
    if n == 1:
        return torch.zeros_like(c)
    period = 2.0 * n - 2.0
    c = torch.remainder(c, period)
    return torch.where(c > n - 1, period - c, c)


def _bspline_weights(t: Tensor) -> list[Tensor]:
    """Cubic B-spline weights of the taps at ``floor(c) - 1 .. floor(c) + 2`` for ``t = c - floor(c)``."""
    t2, t3 = t * t, t * t * t
    return [(1 - t) ** 3 / 6, (3 * t3 - 6 * t2 + 4) / 6, (-3 * t3 + 3 * t2 + 3 * t + 1) / 6, t3 / 6]


def warp_torch(x: Tensor, coordinates: Tensor, order: int) -> Tensor:
    """Batched :func:`warp`: sample ``x`` at ``coordinates`` on its device, mirrored at the border.

    Args:
        x: ``(B, C, H, W)`` values (float for orders 1 and 3; any dtype for order 0).
        coordinates: ``(B, 2, h, w)`` source (row, column) of every output pixel.
        order: 0 nearest, 1 linear, 3 cubic B-spline (prefiltered like scipy).

    Returns:
        ``(B, C, h, w)``; the dtype of ``x`` for order 0, else a float dtype (that of ``x`` when
        float, float32 otherwise).

    Serves: U-Net paper section 3.1, batched on the training device; chapter 07.
    """
    if order not in (0, 1, 3):
        raise ValueError(f"order must be 0 (nearest), 1 (linear) or 3 (cubic), got {order}")
    if x.dim() != 4 or coordinates.dim() != 4 or coordinates.shape[1] != 2 or coordinates.shape[0] != x.shape[0]:
        raise ValueError(
            f"x must be (B, C, H, W) and coordinates (B, 2, h, w) with the same B, got {tuple(x.shape)} "
            f"and {tuple(coordinates.shape)}"
        )
    b, ch, h, w = x.shape
    out_h, out_w = coordinates.shape[-2:]
    if order > 0 and not x.is_floating_point():
        x = x.float()
    if order == 3:  # spline coefficients: P_rows @ x @ P_cols^T
        x = _as_tensor("prefilter", h, x) @ x @ _as_tensor("prefilter", w, x).T
    coord_dtype = x.dtype if x.is_floating_point() else coordinates.dtype
    cy = _mirror_coordinate(coordinates[:, 0].to(coord_dtype), h).reshape(b, -1)
    cx = _mirror_coordinate(coordinates[:, 1].to(coord_dtype), w).reshape(b, -1)
    flat = x.reshape(b, ch, h * w)

    def gather(index: Tensor) -> Tensor:
        return torch.gather(flat, 2, index.unsqueeze(1).expand(b, ch, -1))

    if order == 0:
        rows = mirror_index(torch.floor(cy + 0.5).long(), h)
        return gather(rows * w + mirror_index(torch.floor(cx + 0.5).long(), w)).reshape(b, ch, out_h, out_w)
    fy, fx = torch.floor(cy), torch.floor(cx)
    ty, tx = (cy - fy).unsqueeze(1), (cx - fx).unsqueeze(1)
    iy, ix = fy.long(), fx.long()
    if order == 1:
        wy, wx, first = [1 - ty, ty], [1 - tx, tx], 0
    else:
        wy, wx, first = _bspline_weights(ty), _bspline_weights(tx), -1
    # mirror each tap row and column once, then combine them into flat indices
    rows = [mirror_index(iy + (first + j), h) * w for j in range(len(wy))]
    cols = [mirror_index(ix + (first + k), w) for k in range(len(wx))]
    out = None
    for row, wyj in zip(rows, wy):
        line = None
        for col, wxk in zip(cols, wx):
            term = wxk * gather(row + col)
            line = term if line is None else line + term
        out = wyj * line if out is None else out + wyj * line
    return out.reshape(b, ch, out_h, out_w)


def _torch_sample(
    image: Tensor, labels: Tensor | None, weights: Tensor | None
) -> tuple[Tensor, bool, int, int, int]:
    if image.dim() == 3:
        image, squeeze = image.unsqueeze(1), True
    elif image.dim() == 4:
        squeeze = False
    else:
        raise ValueError(f"image must be (B, H, W) or (B, C, H, W), got shape {tuple(image.shape)}")
    b, _, h, w = image.shape
    for name, t in (("labels", labels), ("weights", weights)):
        if t is not None and tuple(t.shape) != (b, h, w):
            raise ValueError(f"{name} must be (B, H, W) = {(b, h, w)}, got {tuple(t.shape)}")
    return image, squeeze, b, h, w


def _warp_all(image, labels, weights, coords, squeeze):
    out = warp_torch(image, coords, 3)
    return (
        out[:, 0] if squeeze else out,
        None if labels is None else warp_torch(labels.unsqueeze(1), coords, 0)[:, 0],
        None if weights is None else warp_torch(weights.unsqueeze(1), coords, 1)[:, 0],
    )


def _torch_identity(b: int, h: int, w: int, like: Tensor) -> Tensor:
    dtype = like.dtype if like.dtype in (torch.float32, torch.float64) else torch.float32
    rows = torch.arange(h, dtype=dtype, device=like.device)
    cols = torch.arange(w, dtype=dtype, device=like.device)
    return torch.stack(torch.meshgrid(rows, cols, indexing="ij")).expand(b, 2, h, w)


def elastic_deform_torch(
    image: Tensor,
    labels: Tensor | None = None,
    weights: Tensor | None = None,
    *,
    sigma: float = 10.0,
    grid: int = 3,
    generator: torch.Generator | None = None,
    displacement: Tensor | None = None,
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Batched elastic deformation on the tensors' device, one random grid per sample.

    Args:
        image: ``(B, H, W)`` or ``(B, C, H, W)`` float (cubic interpolation).
        labels: ``(B, H, W)`` integer or ``None`` (nearest neighbour).
        weights: ``(B, H, W)`` float or ``None`` (linear).
        sigma, grid: as in :func:`elastic_deform`.
        generator: a ``torch.Generator`` on ``image.device`` for the random grids.
        displacement: ``(B, 2, grid, grid)`` grid displacements in pixels instead of random ones.

    Returns:
        ``(image, labels, weights)`` of the input shapes; equal (up to rounding) to
        :func:`elastic_deform` of each sample with the same displacement.

    Serves: U-Net paper section 3.1, batched on the training device; chapter 07.
    """
    image, squeeze, b, h, w = _torch_sample(image, labels, weights)
    dtype = image.dtype if image.dtype in (torch.float32, torch.float64) else torch.float32
    if displacement is None:
        displacement = sigma * torch.randn((b, 2, grid, grid), generator=generator, device=image.device, dtype=dtype)
    coords = _torch_identity(b, h, w, image) + dense_displacement_torch(displacement.to(image.device, dtype), (h, w))
    return _warp_all(image, labels, weights, coords, squeeze)


def augment_batch_torch(
    image: Tensor,
    labels: Tensor | None = None,
    weights: Tensor | None = None,
    *,
    augmenter: Augmenter,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Batched :class:`Augmenter` on the tensors' device: each sample gets its own random draw.

    Same composition as :meth:`Augmenter.coordinates` (elastic, flips, rotation, shift about
    the tile centre) and the same grey-value formula, drawn with the torch ``generator``.
    Shapes as in :func:`elastic_deform_torch`; images must hold grey values in [0, 1].

    Serves: U-Net paper section 3.1, batched on the training device; chapter 07.
    """
    image, squeeze, b, h, w = _torch_sample(image, labels, weights)
    a = augmenter
    dev = image.device
    dtype = image.dtype if image.dtype in (torch.float32, torch.float64) else torch.float32

    def uniform(lo: float, hi: float, *size: int) -> Tensor:
        return lo + (hi - lo) * torch.rand(size, generator=generator, device=dev, dtype=dtype)

    p = _torch_identity(b, h, w, image)
    if a.elastic_sigma > 0:
        grid = a.elastic_sigma * torch.randn((b, 2, a.elastic_grid, a.elastic_grid), generator=generator, device=dev, dtype=dtype)
        p = p + dense_displacement_torch(grid, (h, w))
    c_t = torch.tensor([(h - 1) / 2.0, (w - 1) / 2.0], dtype=dtype, device=dev).view(1, 2, 1, 1)
    p = p - c_t
    if a.flips:
        p = p * torch.where(uniform(0, 1, b, 2) < 0.5, -1.0, 1.0).view(b, 2, 1, 1)
    if a.max_angle > 0:
        t = torch.deg2rad(uniform(-a.max_angle, a.max_angle, b)).view(b, 1, 1)
        p = _rotate_points(p.transpose(0, 1), t).transpose(0, 1)
    offset = uniform(-a.max_shift, a.max_shift, b, 2).view(b, 2, 1, 1) if a.max_shift > 0 else 0.0
    img, lab, wts = _warp_all(image, labels, weights, p + c_t + offset, squeeze)
    img = img.clamp(0.0, 1.0)
    if a.gray:
        shape = (b,) + (1,) * (img.dim() - 1)
        g = torch.exp(uniform(math.log(a.gamma[0]), math.log(a.gamma[1]), b)).view(shape)
        c = torch.exp(uniform(math.log(a.contrast[0]), math.log(a.contrast[1]), b)).view(shape)
        bright = uniform(-a.brightness, a.brightness, b).view(shape)
        y = img**g
        m = y.mean(dim=tuple(range(1, y.dim())), keepdim=True)
        img = ((y - m) * c + m + bright).clamp(0.0, 1.0)
    return img, lab, wts
