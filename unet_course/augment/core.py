"""Data augmentation as in the U-Net paper: shift, rotation, flips, grey values, elastic deformation.

The paper (section 3.1) teaches the network "invariance and robustness properties" from very
few images with shifts, rotations, grey-value variations and, above all, random elastic
deformations: "We generate smooth deformations using random displacement vectors on a coarse 3
by 3 grid. The displacements are sampled from a Gaussian distribution with 10 pixels standard
deviation. Per-pixel displacements are then computed using bicubic interpolation."

Every geometric augmentation here is a map of *sampling coordinates*: output pixel ``p`` takes
its value from the source position ``c(p)``, a ``(2, H, W)`` array of (row, column) positions.
One coordinate map is applied to the image (cubic spline interpolation), to the labels (nearest
neighbour: no new label values appear) and to the weight map (linear), so the three stay
aligned. Positions outside the source are mirrored at its border (mode ``"mirror"``: the border
pixel is not repeated), as the paper's overlap-tile strategy mirrors the image.

The coarse grid spans the image from corner to corner (grid node ``j`` of ``g`` sits at
``j (n - 1) / (g - 1)``), and the per-pixel displacement is the cubic B-spline interpolation of
the grid values, exactly as ``elasticdeform.deform_grid`` does. :func:`elastic_deform` equals
``elasticdeform.deform_grid(x, displacement, order=3, mode="mirror")`` for the same
displacement. The ``*_torch`` functions of
:mod:`unet_course.augment.batched` do the same on batches of tensors on any device.

Arrays: ``image`` ``(H, W)`` or ``(C, H, W)`` float; ``labels`` ``(H, W)`` integer;
``weights`` ``(H, W)`` float. Every random function takes a seeded ``numpy.random.Generator``
(or an int seed) as ``rng``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch
from scipy import ndimage as ndi
from torch import Tensor

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
]


class Augmented(NamedTuple):
    """An augmented sample; ``labels`` and ``weights`` are ``None`` where none were given.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """

    image: np.ndarray
    labels: np.ndarray | None
    weights: np.ndarray | None


# ----------------------------------------------------------------------------- validation


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)) or an int seed, "
        f"got {type(rng).__name__}"
    )


def _check_sample(image: np.ndarray, labels: np.ndarray | None, weights: np.ndarray | None) -> tuple[int, int]:
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (C, H, W), got shape {image.shape}")
    shape = image.shape[-2:]
    for name, arr in (("labels", labels), ("weights", weights)):
        if arr is not None and np.asarray(arr).shape != shape:
            raise ValueError(f"{name} must be (H, W) = {shape} like the image, got {np.asarray(arr).shape}")
    if labels is not None and not np.issubdtype(np.asarray(labels).dtype, np.integer):
        raise TypeError(f"labels must be an integer array (class or instance ids), got {np.asarray(labels).dtype}")
    return int(shape[0]), int(shape[1])


def _shape2(shape: tuple[int, int] | int) -> tuple[int, int]:
    h, w = (shape, shape) if isinstance(shape, (int, np.integer)) else (int(shape[0]), int(shape[1]))
    if h < 2 or w < 2:
        raise ValueError(f"shape must be at least 2 x 2 pixels, got {(h, w)}")
    return h, w


# ----------------------------------------------------------------------------- coordinates and warping


def identity_coordinates(shape: tuple[int, int] | int) -> np.ndarray:
    """The coordinates of every pixel: ``(2, H, W)`` float64, ``c[0]`` rows and ``c[1]`` columns.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    h, w = _shape2(shape)
    return np.stack(np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij"))


def warp(array: np.ndarray, coordinates: np.ndarray, order: int, *, prefiltered: bool = False) -> np.ndarray:
    """Sample ``array`` at ``coordinates`` with spline interpolation of ``order``, mirrored at the border.

    Args:
        array: ``(H, W)`` or ``(C, H, W)``; channels are warped alike.
        coordinates: ``(2, h, w)`` source (row, column) of every output pixel, in pixels.
        order: 0 nearest (labels), 1 linear (weights), 3 cubic B-spline (images).
        prefiltered: ``array`` already holds cubic spline coefficients
            (``scipy.ndimage.spline_filter(x, 3, mode="mirror")``); saves the prefilter when the
            same large image is sampled many times.

    Returns:
        ``(h, w)`` or ``(C, h, w)``: the dtype of ``array`` for order 0, float32 for float32
        input, else float64.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    if order not in (0, 1, 3):
        raise ValueError(f"order must be 0 (nearest), 1 (linear) or 3 (cubic), got {order}")
    array = np.asarray(array)
    coordinates = np.asarray(coordinates, dtype=np.float64)
    if coordinates.ndim != 3 or coordinates.shape[0] != 2:
        raise ValueError(f"coordinates must be (2, h, w), got shape {coordinates.shape}")
    if array.ndim == 3:
        return np.stack([warp(a, coordinates, order, prefiltered=prefiltered) for a in array])
    if array.ndim != 2:
        raise ValueError(f"array must be (H, W) or (C, H, W), got shape {array.shape}")
    if order == 0:
        out_dtype = array.dtype
    else:
        out_dtype = np.float32 if array.dtype == np.float32 else np.float64
    return ndi.map_coordinates(
        array, coordinates, order=order, mode="mirror", prefilter=not prefiltered, output=out_dtype
    )


def apply_coordinates(
    image: np.ndarray,
    labels: np.ndarray | None,
    weights: np.ndarray | None,
    coordinates: np.ndarray,
) -> Augmented:
    """Warp image (cubic), labels (nearest) and weights (linear) with one coordinate map.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    _check_sample(image, labels, weights)
    return Augmented(
        warp(image, coordinates, 3),
        None if labels is None else warp(labels, coordinates, 0),
        None if weights is None else warp(weights, coordinates, 1),
    )


# ----------------------------------------------------------------------------- elastic deformation


def random_coarse_displacement(
    rng: np.random.Generator | int, sigma: float = 10.0, grid: int | tuple[int, int] = 3
) -> np.ndarray:
    """Random displacements of a coarse grid: ``(2, g_rows, g_cols)`` float64 in pixels, N(0, sigma²).

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    gy, gx = (grid, grid) if isinstance(grid, (int, np.integer)) else grid
    if gy < 2 or gx < 2:
        raise ValueError(f"grid must have at least 2 x 2 nodes (the corners), got {grid}")
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0 pixels, got {sigma}")
    return _rng(rng).normal(0.0, float(sigma), size=(2, int(gy), int(gx)))


@lru_cache(maxsize=64)
def _grid_interpolation_matrix(n: int, g: int) -> np.ndarray:
    """``(n, g)``: row ``i`` holds the cubic B-spline weights of the ``g`` grid values at pixel ``i``."""
    nodes = (g - 1) * np.arange(n, dtype=np.float64) / (n - 1)  # pixel i in grid units
    matrix = np.empty((n, g))
    for j in range(g):
        unit = np.zeros(g)
        unit[j] = 1.0
        matrix[:, j] = ndi.map_coordinates(unit, nodes[None], order=3, mode="mirror")
    matrix.setflags(write=False)
    return matrix


def dense_displacement(coarse: np.ndarray, shape: tuple[int, int] | int) -> np.ndarray:
    """Per-pixel displacement from a coarse grid by (bi)cubic B-spline interpolation.

    Args:
        coarse: ``(2, g_rows, g_cols)`` displacements in pixels of the grid nodes, which span the
            image from corner to corner.
        shape: ``(H, W)`` of the image.

    Returns:
        ``(2, H, W)`` float64 displacement in pixels (rows, columns); equal to the grid value at
        the grid nodes.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    coarse = np.asarray(coarse, dtype=np.float64)
    if coarse.ndim != 3 or coarse.shape[0] != 2 or min(coarse.shape[1:]) < 2:
        raise ValueError(f"coarse must be (2, g_rows, g_cols) with at least 2 x 2 nodes, got {coarse.shape}")
    h, w = _shape2(shape)
    rows = _grid_interpolation_matrix(h, coarse.shape[1])
    cols = _grid_interpolation_matrix(w, coarse.shape[2])
    return np.einsum("ij,cjk,lk->cil", rows, coarse, cols)


def elastic_coordinates(shape: tuple[int, int] | int, coarse: np.ndarray) -> np.ndarray:
    """Sampling coordinates of an elastic deformation: pixel ``p`` reads from ``p + d(p)``; ``(2, H, W)``.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    return identity_coordinates(shape) + dense_displacement(coarse, shape)


def elastic_deform(
    image: np.ndarray,
    labels: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    *,
    rng: np.random.Generator | int | None = None,
    sigma: float = 10.0,
    grid: int | tuple[int, int] = 3,
    displacement: np.ndarray | None = None,
) -> Augmented:
    """The paper's elastic deformation, one displacement for image, labels and weights.

    Args:
        image: ``(H, W)`` or ``(C, H, W)`` float; interpolated with cubic splines.
        labels: ``(H, W)`` integer labels or ``None``; nearest neighbour, so no new values.
        weights: ``(H, W)`` float weight map or ``None``; linear interpolation.
        rng: generator (or seed) of the random grid; needed unless ``displacement`` is given.
        sigma: standard deviation of the grid displacements in pixels (paper: 10).
        grid: nodes of the coarse grid per axis (paper: 3, i.e. 3 x 3).
        displacement: ``(2, g_rows, g_cols)`` grid displacements to use instead of random ones.

    Returns:
        :class:`Augmented` ``(image, labels, weights)`` of the input shapes.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    h, w = _check_sample(image, labels, weights)
    if displacement is None:
        if rng is None:
            raise ValueError("give rng (a seeded numpy Generator) or an explicit displacement")
        displacement = random_coarse_displacement(rng, sigma, grid)
    return apply_coordinates(image, labels, weights, elastic_coordinates((h, w), displacement))


# ----------------------------------------------------------------------------- rigid augmentations


def _centre(h: int, w: int) -> np.ndarray:
    return np.array([(h - 1) / 2.0, (w - 1) / 2.0])


def shift(
    image: np.ndarray,
    labels: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    *,
    rng: np.random.Generator | int | None = None,
    max_shift: float = 20.0,
    offset: tuple[float, float] | None = None,
) -> Augmented:
    """Shift the content by ``offset`` = (rows, columns) pixels, random in ``[-max_shift, max_shift]``.

    Content moves by ``+offset`` (output pixel ``p`` reads ``p - offset``); what enters at a
    border is the mirror image. Sub-pixel shifts interpolate (cubic image, linear weights).

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    h, w = _check_sample(image, labels, weights)
    if offset is None:
        if rng is None:
            raise ValueError("give rng (a seeded numpy Generator) or an explicit offset")
        offset = tuple(_rng(rng).uniform(-max_shift, max_shift, size=2))
    coords = identity_coordinates((h, w)) - np.asarray(offset, dtype=np.float64)[:, None, None]
    return apply_coordinates(image, labels, weights, coords)


def _rotation_coordinates(h: int, w: int, angle: float) -> np.ndarray:
    """Coordinates that rotate the content by ``angle`` degrees counter-clockwise about the centre."""
    t = math.radians(angle)
    c = _centre(h, w)[:, None, None]
    p = identity_coordinates((h, w)) - c
    return _rotate_points(p, t) + c


def _rotate_points(p, t):
    """Source offsets ``(2, ...)`` that rotate content by ``t`` radians counter-clockwise on screen.

    Rows point down, so output offset ``(r, c)`` reads the source at
    ``(r cos t + c sin t, -r sin t + c cos t)``: at 90 degrees the pixel right of the centre
    reads the one below it, and the content turns like ``np.rot90``. Works on numpy arrays and
    on torch tensors (``t`` a float or a tensor broadcastable to ``p[0]``).
    """
    cos, sin = (math.cos(t), math.sin(t)) if isinstance(t, float) else (torch.cos(t), torch.sin(t))
    rows = cos * p[0] + sin * p[1]
    cols = -sin * p[0] + cos * p[1]
    return np.stack([rows, cols]) if isinstance(p, np.ndarray) else torch.stack([rows, cols])


def rotate(
    image: np.ndarray,
    labels: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    *,
    rng: np.random.Generator | int | None = None,
    max_angle: float = 180.0,
    angle: float | None = None,
) -> Augmented:
    """Rotate about the image centre by ``angle`` degrees, counter-clockwise as displayed.

    ``angle`` is drawn uniformly from ``[-max_angle, max_angle]`` unless given. Corners that
    come from outside the image are filled by mirroring.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    h, w = _check_sample(image, labels, weights)
    if angle is None:
        if rng is None:
            raise ValueError("give rng (a seeded numpy Generator) or an explicit angle")
        angle = float(_rng(rng).uniform(-max_angle, max_angle))
    return apply_coordinates(image, labels, weights, _rotation_coordinates(h, w, angle))


def flip(
    image: np.ndarray,
    labels: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    *,
    rng: np.random.Generator | int | None = None,
    vertical: bool | None = None,
    horizontal: bool | None = None,
) -> Augmented:
    """Mirror the sample up-down and/or left-right, each with probability 1/2 unless given.

    Flips move pixels exactly (no interpolation), so every value is kept.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    _check_sample(image, labels, weights)
    if vertical is None or horizontal is None:
        if rng is None:
            raise ValueError("give rng (a seeded numpy Generator) or both vertical= and horizontal=")
        draw = _rng(rng).random(2) < 0.5
        vertical = bool(draw[0]) if vertical is None else vertical
        horizontal = bool(draw[1]) if horizontal is None else horizontal
    axes = tuple(ax for ax, on in ((-2, vertical), (-1, horizontal)) if on)

    def f(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else (np.flip(np.asarray(x), axes).copy() if axes else np.array(x))

    return Augmented(f(image), f(labels), f(weights))


def gray_value(
    image: np.ndarray,
    *,
    rng: np.random.Generator | int,
    contrast: tuple[float, float] = (0.8, 1.25),
    brightness: float = 0.1,
    gamma: tuple[float, float] = (0.7, 1.4),
) -> np.ndarray:
    """Random grey-value variation of an image with values in [0, 1].

    ``out = clip((x**g - m) * c + m + b, 0, 1)`` with ``g`` (gamma) log-uniform in ``gamma``,
    ``c`` (contrast) log-uniform in ``contrast``, ``b`` uniform in ``[-brightness, brightness]``
    and ``m`` the mean of ``x**g``. Labels and weights do not change with grey values.

    Returns an array of the input's shape, float32 for float32 input.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """
    x = np.asarray(image)
    if x.size and (x.min() < -1e-6 or x.max() > 1 + 1e-6):
        raise ValueError(
            f"gray_value expects grey values in [0, 1], got [{x.min():.3g}, {x.max():.3g}]; rescale the image first"
        )
    r = _rng(rng)
    g = math.exp(r.uniform(math.log(gamma[0]), math.log(gamma[1])))
    c = math.exp(r.uniform(math.log(contrast[0]), math.log(contrast[1])))
    b = r.uniform(-brightness, brightness)
    y = np.clip(x, 0.0, 1.0) ** g
    m = y.mean()
    out = np.clip((y - m) * c + m + b, 0.0, 1.0)
    return out.astype(np.float32) if x.dtype == np.float32 else out


# ----------------------------------------------------------------------------- the pipeline


@dataclass(frozen=True)
class Augmenter:
    """Random shift, rotation, flips, elastic deformation and grey values in one warp.

    All geometric parts are composed into one coordinate map, so the image is interpolated
    once (repeated interpolation would blur it). For output pixel ``p`` of an ``(h, w)`` tile
    with centre ``c_t``, the source position is
    ``centre + shift + R(angle) F (p + d(p) - c_t)``: the elastic displacement ``d`` first,
    then the flips ``F`` and the rotation ``R`` about the tile centre, then the shift.

    Attributes:
        max_shift: shifts are uniform in ``[-max_shift, max_shift]`` pixels per axis.
        max_angle: rotations are uniform in ``[-max_angle, max_angle]`` degrees.
        flips: flip up-down and left-right, each with probability 1/2.
        elastic_sigma: standard deviation of the coarse grid displacements in pixels (0: none).
        elastic_grid: coarse grid nodes per axis (the paper's 3).
        gray: apply :func:`gray_value` with ``contrast``, ``brightness`` and ``gamma``.

    Serves: U-Net paper section 3.1 (data augmentation: shifts, rotations, elastic deformations); chapter 07.
    """

    max_shift: float = 0.0
    max_angle: float = 180.0
    flips: bool = True
    elastic_sigma: float = 10.0
    elastic_grid: int = 3
    gray: bool = True
    contrast: tuple[float, float] = (0.8, 1.25)
    brightness: float = 0.1
    gamma: tuple[float, float] = (0.7, 1.4)

    def __post_init__(self) -> None:
        if self.max_shift < 0 or self.max_angle < 0 or self.elastic_sigma < 0:
            raise ValueError("max_shift, max_angle and elastic_sigma must be >= 0")
        if self.elastic_grid < 2:
            raise ValueError(f"elastic_grid must be >= 2 nodes per axis, got {self.elastic_grid}")

    def coordinates(
        self,
        shape: tuple[int, int] | int,
        rng: np.random.Generator | int,
        *,
        centre: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """Random source coordinates ``(2, h, w)`` float64 for an output tile of ``shape``.

        ``centre`` is the source position the tile centre maps to (default: the tile's own
        centre, for augmenting a whole image).
        """
        h, w = _shape2(shape)
        r = _rng(rng)
        c_t = _centre(h, w)
        p = identity_coordinates((h, w))
        if self.elastic_sigma > 0:
            p = p + dense_displacement(random_coarse_displacement(r, self.elastic_sigma, self.elastic_grid), (h, w))
        p = p - c_t[:, None, None]
        if self.flips:
            signs = np.where(r.random(2) < 0.5, -1.0, 1.0)
            p = p * signs[:, None, None]
        if self.max_angle > 0:
            t = math.radians(r.uniform(-self.max_angle, self.max_angle))
            p = _rotate_points(p, t)
        offset = r.uniform(-self.max_shift, self.max_shift, size=2) if self.max_shift > 0 else np.zeros(2)
        target = c_t if centre is None else np.asarray(centre, dtype=np.float64)
        return p + (target + offset)[:, None, None]

    def gray_values(self, image: np.ndarray, rng: np.random.Generator | int) -> np.ndarray:
        """The grey-value part alone (identity when ``gray`` is off)."""
        if not self.gray:
            return np.asarray(image)
        return gray_value(image, rng=rng, contrast=self.contrast, brightness=self.brightness, gamma=self.gamma)

    def __call__(
        self,
        image: np.ndarray,
        labels: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        *,
        rng: np.random.Generator | int,
    ) -> Augmented:
        """Augment one sample; the output has the input's shape. Deterministic for a seeded ``rng``.

        ``image`` must hold grey values in [0, 1] (a ``ValueError`` says how to scale a raw image);
        only the cubic interpolation's small overshoot beyond [0, 1] is clipped."""
        from ..data.scaling import check_unit_range

        h, w = _check_sample(image, labels, weights)
        check_unit_range(image, "the image given to the augmenter")
        r = _rng(rng)
        out = apply_coordinates(image, labels, weights, self.coordinates((h, w), r))
        return Augmented(self.gray_values(np.clip(out.image, 0.0, 1.0), r), out.labels, out.weights)
