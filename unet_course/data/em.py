"""Synthetic EM-like slices: neurites cut across, dark membranes, labels in the ISBI convention.

A stand-in for the ISBI 2012 stack (:mod:`unet_course.data.isbi`) where the real data is absent,
and a fast source of as many training slices as one wants. A slice is built in four steps:

1. a partition of the plane into cells: a multiplicatively weighted Voronoi diagram (each seed
   has its own size, so large and small profiles mix) computed on smoothly warped coordinates,
   so the cell walls curve as in tissue;
2. membranes: the pixels within half a local width of a wall, the width varying smoothly
   across the slice;
3. rendering: bright, textured interiors with grey-level differences between cells, dark
   organelle-like blobs (mitochondria with a dark rim, small vesicles) inside cells;
4. blur by a Gaussian point-spread function and Gaussian noise.

Labels follow the ISBI 2012 convention of :func:`unet_course.data.load_isbi2012`:
``0 = membrane``, ``1 = cell interior`` (organelles are interior).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

from .isbi import EMStack


@dataclass(frozen=True)
class EMSample:
    """One synthetic EM-like slice.

    Attributes:
        image: ``(H, W)`` float32 grey values in [0, 1]; membranes are dark.
        labels: ``(H, W)`` uint8, ``0`` = membrane, ``1`` = cell interior (ISBI convention).
        cells: ``(H, W)`` int32 id of the cell each pixel belongs to (1..N), membranes included.

    Serves: U-Net paper section 4 (ISBI 2012 EM stack, a synthetic stand-in); chapters 07, 09.
    """

    image: np.ndarray
    labels: np.ndarray
    cells: np.ndarray


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator, scale: float) -> np.ndarray:
    field = ndi.gaussian_filter(rng.normal(0, 1, size=shape), scale, mode="reflect")
    return field / (field.std() + 1e-12)


def em_partition(
    shape: tuple[int, int], n_cells: int, rng: np.random.Generator, *, warp: float = 6.0
) -> np.ndarray:
    """Cells of a weighted Voronoi diagram on warped coordinates: ``(H, W)`` int32 ids 1..N.

    Pixel ``p`` belongs to the seed ``i`` that minimises ``|w(p) - s_i| / r_i``, where ``r_i``
    is the seed's size (log-normal) and ``w`` displaces ``p`` by a smooth random field of
    standard deviation ``warp`` pixels. Ids are consecutive; hidden seeds are dropped.

    Serves: U-Net paper section 4 (ISBI 2012 EM stack, a synthetic stand-in); chapters 07, 09.
    """
    h, w = shape
    seeds = rng.uniform([0, 0], [h, w], size=(n_cells, 2))
    sizes = rng.lognormal(0.0, 0.35, size=n_cells)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    scale = 0.25 * np.sqrt(h * w / max(n_cells, 1))
    coords = np.stack(
        [yy + warp * _smooth_field(shape, rng, scale), xx + warp * _smooth_field(shape, rng, scale)], -1
    ).reshape(-1, 2)
    k = min(8, n_cells)
    dist, idx = cKDTree(seeds).query(coords, k=k)
    dist, idx = dist.reshape(-1, k), idx.reshape(-1, k)
    owner = idx[np.arange(len(idx)), np.argmin(dist / sizes[idx], axis=1)].reshape(h, w)
    _, cells = np.unique(owner, return_inverse=True)
    return (cells.reshape(h, w) + 1).astype(np.int32)


def membrane_mask(cells: np.ndarray, width: np.ndarray | float) -> np.ndarray:
    """Pixels within ``width / 2`` of a wall between two cells: ``(H, W)`` bool.

    Args:
        cells: ``(H, W)`` int cell ids.
        width: membrane width in pixels, a scalar or an ``(H, W)`` map (local width).

    Serves: U-Net paper section 4 (ISBI 2012 EM stack, a synthetic stand-in); chapters 07, 09.
    """
    # a wall lies between two pixels: both are half a pixel from it
    walls = np.zeros(cells.shape, dtype=bool)
    step = cells[:, 1:] != cells[:, :-1]
    walls[:, 1:] |= step
    walls[:, :-1] |= step
    step = cells[1:, :] != cells[:-1, :]
    walls[1:, :] |= step
    walls[:-1, :] |= step
    distance = ndi.distance_transform_edt(~walls) + 0.5
    return distance <= np.asarray(width) / 2.0


def synthetic_em(
    size: int | tuple[int, int] = 256,
    n_cells: int | None = None,
    *,
    membrane_width: tuple[float, float] = (2.5, 7.0),
    organelles: float = 1.5,
    blur: float = 1.0,
    noise: float = 0.06,
    seed: int = 0,
) -> EMSample:
    """A seeded EM-like slice with membrane labels in the ISBI convention.

    Args:
        size: image side, or ``(height, width)``, in pixels (at least 32).
        n_cells: number of cell seeds; default one per 34 x 34 pixels.
        membrane_width: range of the local membrane width in pixels; the width varies smoothly
            across the slice between these values.
        organelles: how many organelle-like blobs per cell on average (mitochondria and
            vesicles; 0 for none).
        blur: standard deviation of the Gaussian point-spread function in pixels.
        noise: standard deviation of the additive Gaussian noise (grey values in [0, 1]).
        seed: seed; the same arguments give the same slice.

    Returns:
        An :class:`EMSample`: ``image`` ``(H, W)`` float32 in [0, 1], ``labels`` ``(H, W)``
        uint8 (0 membrane, 1 interior), ``cells`` ``(H, W)`` int32.

    Serves: U-Net paper section 4 (ISBI 2012 EM stack, a synthetic stand-in); chapters 07, 09.
    """
    shape = (size, size) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
    if len(shape) != 2 or min(shape) < 32:
        raise ValueError(f"size must be an int or (height, width) of at least 32 pixels, got {size!r}")
    lo, hi = membrane_width
    if not 0 < lo <= hi:
        raise ValueError(f"membrane_width must be (low, high) with 0 < low <= high pixels, got {membrane_width}")
    if blur < 0 or noise < 0 or organelles < 0:
        raise ValueError("blur, noise and organelles must be >= 0")
    h, w = shape
    n_cells = max(2, round(h * w / 34**2)) if n_cells is None else int(n_cells)
    if n_cells < 2:
        raise ValueError(f"n_cells must be at least 2 (one wall needs two cells), got {n_cells}")
    rng = np.random.default_rng(seed)

    cells = em_partition(shape, n_cells, rng)
    n = int(cells.max())
    width = lo + (hi - lo) * (0.5 + 0.5 * np.tanh(_smooth_field(shape, rng, 12.0)))
    membrane = membrane_mask(cells, width)

    # interiors: a grey level per cell, fine granular texture and a slow large-scale variation
    level = rng.uniform(0.55, 0.85, size=n + 1)
    image = level[cells] + 0.05 * _smooth_field(shape, rng, 1.0) + 0.04 * _smooth_field(shape, rng, 6.0)
    inside = ~membrane
    dist_in = ndi.distance_transform_edt(inside)

    # organelles: elongated dark blobs with a darker rim (mitochondria), small dark rings (vesicles)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    n_blobs = rng.poisson(organelles * n)
    for _ in range(n_blobs):
        cy, cx = rng.uniform([0, 0], [h, w])
        room = dist_in[int(cy), int(cx)]
        if room < 5:
            continue
        vesicle = rng.random() < 0.4
        r = rng.uniform(2.0, 3.5) if vesicle else min(rng.uniform(3.5, 8.0), room - 2)
        ratio = 1.0 if vesicle else rng.uniform(1.2, 2.2)
        t = rng.uniform(0, np.pi)
        y0, y1 = int(max(cy - 2 * r * ratio, 0)), int(min(cy + 2 * r * ratio + 1, h))
        x0, x1 = int(max(cx - 2 * r * ratio, 0)), int(min(cx + 2 * r * ratio + 1, w))
        dy, dx = yy[y0:y1, x0:x1] - cy, xx[y0:y1, x0:x1] - cx
        u = (np.cos(t) * dx + np.sin(t) * dy) / (r * np.sqrt(ratio))
        v = (-np.sin(t) * dx + np.cos(t) * dy) / (r / np.sqrt(ratio))
        d = np.sqrt(u**2 + v**2)
        same_cell = cells[y0:y1, x0:x1] == cells[int(cy), int(cx)]
        rim = np.exp(-(((d - 1.0) * r) ** 2) / 2.0)
        body = (d < 1.0) * (0.12 if vesicle else 0.22)
        image[y0:y1, x0:x1] -= same_cell * inside[y0:y1, x0:x1] * (body + 0.25 * rim)

    membrane_level = rng.uniform(0.12, 0.22) + 0.04 * _smooth_field(shape, rng, 3.0)
    image = np.where(membrane, membrane_level, image)
    image = ndi.gaussian_filter(image, blur) if blur > 0 else image
    image = image + rng.normal(0, noise, size=shape)
    image = np.clip(image, 0.0, 1.0).astype(np.float32)
    return EMSample(image=image, labels=inside.astype(np.uint8), cells=cells)


def synthetic_em_stack(
    n_slices: int = 30, size: int | tuple[int, int] = 256, *, seed: int = 0, **options
) -> EMStack:
    """A stack of independent synthetic slices in the form of :func:`load_isbi2012`'s result.

    Args:
        n_slices: number of slices.
        size: slice side or ``(height, width)`` in pixels.
        seed: slice ``k`` is ``synthetic_em(size, seed=seed * 1000 + k, **options)``.
        **options: passed to :func:`synthetic_em`.

    Returns:
        An :class:`~unet_course.data.isbi.EMStack`: ``images`` ``(N, H, W)`` float32 in [0, 1],
        ``labels`` ``(N, H, W)`` uint8 (0 membrane, 1 interior), ``slices`` ``0..N-1``.

    Serves: U-Net paper section 4 (ISBI 2012 EM stack, a synthetic stand-in); chapters 07, 09.
    """
    if n_slices < 1:
        raise ValueError(f"n_slices must be >= 1, got {n_slices}")
    samples = [synthetic_em(size, seed=seed * 1000 + k, **options) for k in range(n_slices)]
    return EMStack(
        np.stack([s.image for s in samples]),
        np.stack([s.labels for s in samples]),
        np.arange(n_slices, dtype=np.int64),
    )
