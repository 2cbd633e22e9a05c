"""Synthetic microscopy-like cells with instance labels, in clusters where cells touch.

The generator draws elliptical cells around a few cluster centres, so that many cells touch or
overlap their neighbours: the situation the U-Net paper's weight map is made for. Where two
ellipses overlap, each pixel goes to the cell whose (scaled) centre is nearest, which leaves a
shared border between touching cells and no background gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

RENDERINGS: tuple[str, ...] = ("fluorescence",)


@dataclass(frozen=True)
class CellSample:
    """One synthetic image with its labels.

    Attributes:
        image: ``(H, W)`` float32 grey values in [0, 1].
        instances: ``(H, W)`` int32 instance ids; 0 is background, cells are 1..N.
        classes: ``(N + 1,)`` int64 class id of each instance id; ``classes[0] == 0``.
        semantic: ``(H, W)`` int64 class per pixel, ``classes[instances]`` (0 = background).
    """

    image: np.ndarray
    instances: np.ndarray
    classes: np.ndarray

    @property
    def semantic(self) -> np.ndarray:
        return self.classes[self.instances]

    @property
    def foreground(self) -> np.ndarray:
        """``(H, W)`` int64 binary mask: 1 inside any cell, 0 on background."""
        return (self.instances > 0).astype(np.int64)


def _check_size(size: int | tuple[int, int]) -> tuple[int, int]:
    shape = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if len(shape) != 2 or any(int(s) < 16 for s in shape):
        raise ValueError(f"size must be an int or (height, width) of at least 16 pixels, got {size!r}")
    return int(shape[0]), int(shape[1])


def cell_instances(
    size: int | tuple[int, int] = 256,
    n_cells: int = 24,
    *,
    radius: tuple[float, float] = (9.0, 16.0),
    elongation: tuple[float, float] = (1.0, 1.6),
    n_clusters: int | None = None,
    n_types: int = 1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw touching elliptical cells and return ``(instances, classes)``.

    Args:
        size: image side, or ``(height, width)``, in pixels.
        n_cells: number of cells drawn (a few may be hidden by neighbours and dropped).
        radius: range of the mean cell radius in pixels.
        elongation: range of the ratio of the long to the short axis.
        n_clusters: number of cluster centres; default ``max(1, n_cells // 5)``.
        n_types: number of cell classes; class ``t`` (1-based) cells are rounder for ``t = 1``
            and more elongated for higher ``t``, so a network can tell them apart by shape.
        seed: seed of the generator.

    Returns:
        ``instances`` ``(H, W)`` int32 with ids 1..N consecutive, 0 for background, and
        ``classes`` ``(N + 1,)`` int64 with the class of each id (``classes[0] == 0``).
    """
    h, w = _check_size(size)
    if n_cells < 0:
        raise ValueError(f"n_cells must be >= 0, got {n_cells}")
    if n_types < 1:
        raise ValueError(f"n_types must be >= 1, got {n_types}")
    rng = np.random.default_rng(seed)
    n_clusters = max(1, n_cells // 5) if n_clusters is None else n_clusters
    margin = radius[1]
    centres = rng.uniform([margin, margin], [h - margin, w - margin], size=(n_clusters, 2))

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    best = np.full((h, w), np.inf, dtype=np.float32)
    instances = np.zeros((h, w), dtype=np.int32)
    types = [0]
    for i in range(1, n_cells + 1):
        cluster = centres[rng.integers(n_clusters)]
        r = rng.uniform(*radius)
        kind = int(rng.integers(1, n_types + 1))
        lo, hi = elongation
        if n_types > 1:  # shape tells the class: rounder for class 1, longer for the last
            span = (hi - lo) / n_types
            lo, hi = lo + (kind - 1) * span, lo + kind * span
        ratio = rng.uniform(lo, hi)
        a, b = r * np.sqrt(ratio), r / np.sqrt(ratio)
        # place cells about one diameter from the cluster centre, so neighbours touch
        offset = rng.normal(0.0, 1.3 * r * np.sqrt(max(n_cells / n_clusters, 1.0)) / 2.0, size=2)
        cy, cx = np.clip(cluster + offset, [0, 0], [h - 1, w - 1])
        theta = rng.uniform(0, np.pi)
        c, s = np.cos(theta), np.sin(theta)
        dy, dx = yy - cy, xx - cx
        u = (c * dx + s * dy) / a
        v = (-s * dx + c * dy) / b
        # wobbly outline: the radius varies a little with the angle
        phase = rng.uniform(0, 2 * np.pi, size=2)
        wobble = 1.0 + 0.08 * np.sin(3 * np.arctan2(v, u) + phase[0]) + 0.05 * np.sin(5 * np.arctan2(v, u) + phase[1])
        dist = np.sqrt(u**2 + v**2) / wobble
        inside = (dist <= 1.0) & (dist < best)
        instances[inside] = i
        best[inside] = dist[inside]
        types.append(kind)

    # drop cells that neighbours hid completely and make the ids consecutive
    present = np.unique(instances)
    present = present[present > 0]
    remap = np.zeros(n_cells + 1, dtype=np.int32)
    remap[present] = np.arange(1, len(present) + 1, dtype=np.int32)
    classes = np.concatenate([[0], np.asarray(types, dtype=np.int64)[present]])
    return remap[instances], classes


def render_fluorescence(instances: np.ndarray, *, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Render instance labels as a fluorescence-like image: bright cells on a dark background.

    Each cell gets its own brightness and a speckled texture; the illumination falls off
    smoothly across the field; the result is blurred by a Gaussian point-spread function and
    has shot-like noise. Returns ``(H, W)`` float32 in [0, 1].
    """
    rng = np.random.default_rng(seed)
    h, w = instances.shape
    n = int(instances.max())
    brightness = np.concatenate([[0.08], rng.uniform(0.45, 0.9, size=n)]).astype(np.float32)
    image = brightness[instances]
    texture = ndi.gaussian_filter(rng.normal(0, 1, size=(h, w)).astype(np.float32), 1.5)
    image = image * (1.0 + 0.25 * texture * (instances > 0))
    # cells are a little dimmer at their rim, which makes touching cells visible to the eye
    inner = ndi.distance_transform_edt(instances > 0) if n else np.zeros((h, w))
    image = image * (0.75 + 0.25 * np.clip(inner / 4.0, 0, 1)).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    gy, gx = rng.uniform(-0.5, 0.5, size=2)
    illumination = 1.0 + 0.35 * (gy * (yy - 0.5) + gx * (xx - 0.5)) * 2
    image = ndi.gaussian_filter(image * illumination.astype(np.float32), 1.0)
    image = image + rng.normal(0, noise, size=(h, w)) * np.sqrt(np.clip(image, 0.02, None))
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def synthetic_cells(
    size: int | tuple[int, int] = 256,
    n_cells: int = 24,
    *,
    rendering: str = "fluorescence",
    n_types: int = 1,
    noise: float = 0.05,
    seed: int = 0,
    **shape_options,
) -> CellSample:
    """A seeded microscopy-like image of touching cells with its instance labels.

    Args:
        size: image side, or ``(height, width)``, in pixels.
        n_cells: number of cells drawn.
        rendering: how the cells look; one of ``RENDERINGS``.
        n_types: number of cell classes (see :func:`cell_instances`).
        noise: standard deviation of the noise relative to the signal.
        seed: seed; the same arguments give the same sample.
        **shape_options: passed to :func:`cell_instances` (``radius``, ``elongation``,
            ``n_clusters``).

    Returns:
        A :class:`CellSample` with ``image`` ``(H, W)`` float32 in [0, 1] and ``instances``
        ``(H, W)`` int32.
    """
    if rendering not in RENDERINGS:
        raise ValueError(f"rendering={rendering!r} is unknown; use one of {', '.join(RENDERINGS)}")
    instances, classes = cell_instances(size, n_cells, n_types=n_types, seed=seed, **shape_options)
    renderer = {"fluorescence": render_fluorescence}[rendering]
    image = renderer(instances, noise=noise, seed=seed + 1)
    return CellSample(image=image, instances=instances, classes=classes)
