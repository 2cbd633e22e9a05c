"""Synthetic microscopy-like cells with instance labels, in clusters where cells touch.

The generator draws cells around a few cluster centres, so that many cells touch or overlap
their neighbours: the situation the U-Net paper's weight map is made for. Each outline is an
ellipse whose radius varies smoothly with the angle (a short random Fourier series, so the
outline has no corners). Where two cells overlap, each pixel goes to the cell whose (scaled)
centre is nearest, which leaves a shared border between touching cells and no background gap.

Three renderings imitate the microscopes of the paper's data sets:

- ``"fluorescence"``: bright cells on a dark background (like the stardist nuclei image);
- ``"phase_contrast"``: grey cells with bright halos around them (like PhC-U373);
- ``"dic"``: relief shading, one side of each cell bright and the other dark (like DIC-HeLa).

All three add uneven illumination, blur and noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

RENDERINGS: tuple[str, ...] = ("fluorescence", "phase_contrast", "dic")


@dataclass(frozen=True)
class CellSample:
    """One synthetic image with its labels.

    Attributes:
        image: ``(H, W)`` float32 grey values in [0, 1].
        instances: ``(H, W)`` int32 instance ids; 0 is background, cells are 1..N.
        classes: ``(N + 1,)`` int64 class id of each instance id; ``classes[0] == 0``.
        semantic: ``(H, W)`` int64 class per pixel, ``classes[instances]`` (0 = background).

    Serves: U-Net paper section 4 (touching cells of the cell tracking data, synthetic); chapters 01, 05-09.
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
    irregularity: float = 0.12,
    n_clusters: int | None = None,
    n_types: int = 1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw touching cells with smooth outlines and return ``(instances, classes)``.

    Args:
        size: image side, or ``(height, width)``, in pixels.
        n_cells: number of cells drawn (a few may be hidden by neighbours and dropped).
        radius: range of the mean cell radius in pixels.
        elongation: range of the ratio of the long to the short axis.
        irregularity: how far the outline departs from an ellipse: the standard deviation of
            the relative radius change of the lowest harmonic (0 gives ellipses; 0.1-0.2 gives
            cell-like blobs). Higher harmonics k = 3..6 are damped by ``(2/k)^2``, so the
            outline stays smooth.
        n_clusters: number of cluster centres; default ``max(1, n_cells // 5)``.
        n_types: number of cell classes; class ``t`` (1-based) cells are rounder for ``t = 1``
            and more elongated for higher ``t``, so a network can tell them apart by shape.
        seed: seed of the generator.

    Returns:
        ``instances`` ``(H, W)`` int32 with ids 1..N consecutive, 0 for background, and
        ``classes`` ``(N + 1,)`` int64 with the class of each id (``classes[0] == 0``).

    Serves: U-Net paper section 4 (touching cells of the cell tracking data, synthetic); chapters 01, 05-09.
    """
    h, w = _check_size(size)
    if n_cells < 0:
        raise ValueError(f"n_cells must be >= 0, got {n_cells}")
    if n_types < 1:
        raise ValueError(f"n_types must be >= 1, got {n_types}")
    if not 0.0 <= irregularity <= 0.4:
        raise ValueError(f"irregularity must be in [0, 0.4] (relative radius change), got {irregularity}")
    rng = np.random.default_rng(seed)
    n_clusters = max(1, n_cells // 5) if n_clusters is None else n_clusters
    margin = radius[1]
    centres = rng.uniform([margin, margin], [h - margin, w - margin], size=(n_clusters, 2))
    harmonics = np.arange(2, 7)

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
        amplitude = rng.normal(0.0, irregularity, size=harmonics.size) * (2.0 / harmonics) ** 2
        phase = rng.uniform(0, 2 * np.pi, size=harmonics.size)
        # only the bounding box of the cell is computed
        reach = 1.6 * a + 2
        y0, y1 = int(max(cy - reach, 0)), int(min(cy + reach + 1, h))
        x0, x1 = int(max(cx - reach, 0)), int(min(cx + reach + 1, w))
        if y1 <= y0 or x1 <= x0:
            types.append(kind)
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        c, s = np.cos(theta), np.sin(theta)
        dy, dx = yy - cy, xx - cx
        u = (c * dx + s * dy) / a
        v = (-s * dx + c * dy) / b
        angle = np.arctan2(v, u)[..., None]
        outline = 1.0 + (amplitude * np.cos(harmonics * angle + phase)).sum(-1)
        dist = np.sqrt(u**2 + v**2) / np.clip(outline, 0.5, None)
        box_best = best[y0:y1, x0:x1]
        inside = (dist <= 1.0) & (dist < box_best)
        instances[y0:y1, x0:x1][inside] = i
        box_best[inside] = dist[inside]
        types.append(kind)

    # drop cells that neighbours hid completely and make the ids consecutive
    present = np.unique(instances)
    present = present[present > 0]
    remap = np.zeros(n_cells + 1, dtype=np.int32)
    remap[present] = np.arange(1, len(present) + 1, dtype=np.int32)
    classes = np.concatenate([[0], np.asarray(types, dtype=np.int64)[present]])
    return remap[instances], classes


def cell_depth(instances: np.ndarray) -> np.ndarray:
    """Relative depth of every pixel inside its cell: 0 at the cell's border, 1 at its centre.

    Touching cells are kept apart (the border between two cells counts as border of both).
    Returns ``(H, W)`` float32 in [0, 1]; 0 on background.

    Serves: U-Net paper section 4 (touching cells of the cell tracking data, synthetic); chapters 01, 05-09.
    """
    inside = instances > 0
    if not inside.any():
        return np.zeros(instances.shape, dtype=np.float32)
    # a pixel is on a border when a 4-neighbour has another id (or lies outside the image)
    padded = np.pad(instances, 1, mode="edge")
    border = np.zeros(instances.shape, dtype=bool)
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        border |= padded[dy : dy + instances.shape[0], dx : dx + instances.shape[1]] != instances
    dist = ndi.distance_transform_edt(inside & ~border) + inside
    ids = np.arange(int(instances.max()) + 1)
    deepest = np.asarray(ndi.maximum(dist, instances, ids), dtype=np.float64)
    deepest[0] = 1.0
    return np.where(inside, dist / deepest[instances], 0.0).astype(np.float32)


def _illumination(shape: tuple[int, int], rng: np.random.Generator, strength: float) -> np.ndarray:
    """A smooth multiplicative illumination field around 1: a tilt and an off-centre vignette."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    gy, gx = rng.uniform(-1, 1, size=2)
    cy, cx = rng.uniform(0.2, 0.8, size=2)
    tilt = gy * (yy - 0.5) + gx * (xx - 0.5)
    vignette = -((yy - cy) ** 2 + (xx - cx) ** 2)
    field = 1.0 + strength * (tilt + 1.5 * (vignette - vignette.mean()))
    return field.astype(np.float32)


def _texture(shape: tuple[int, int], rng: np.random.Generator, scale: float) -> np.ndarray:
    """Smoothed Gaussian noise with unit standard deviation and correlation length ``scale``."""
    field = ndi.gaussian_filter(rng.normal(0, 1, size=shape), scale)
    return (field / (field.std() + 1e-12)).astype(np.float32)


def _optical_thickness(instances: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Optical path length of the cells: a dome per cell with a nucleus bump and granules."""
    n = int(instances.max())
    depth = cell_depth(instances)
    height = np.concatenate([[0.0], rng.uniform(0.7, 1.0, size=n)]).astype(np.float32)
    dome = np.sqrt(np.clip(1.0 - (1.0 - depth) ** 2, 0, 1))
    nucleus = np.clip((depth - 0.55) / 0.45, 0, 1) ** 2
    granules = _texture(instances.shape, rng, 1.2)
    inside = instances > 0
    return height[instances] * (dome + 0.35 * nucleus + 0.08 * granules * inside) * inside


def _finish(image: np.ndarray, rng: np.random.Generator, *, illumination: float, blur: float, noise: float) -> np.ndarray:
    image = image * _illumination(image.shape, rng, illumination)
    image = ndi.gaussian_filter(image, blur)
    image = image + rng.normal(0, noise, size=image.shape) * np.sqrt(np.clip(image, 0.02, None))
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def render_fluorescence(instances: np.ndarray, *, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Render instance labels as a fluorescence-like image: bright cells on a dark background.

    Each cell gets its own brightness and a speckled texture, is a little dimmer at its rim
    (which makes touching cells visible to the eye), the illumination is uneven, and the result
    is blurred by a Gaussian point-spread function with shot-like noise.
    Returns ``(H, W)`` float32 in [0, 1].

    Serves: U-Net paper section 4 (touching cells of the cell tracking data, synthetic); chapters 01, 05-09.
    """
    rng = np.random.default_rng(seed)
    n = int(instances.max())
    inside = instances > 0
    brightness = np.concatenate([[0.08], rng.uniform(0.45, 0.9, size=n)]).astype(np.float32)
    image = brightness[instances] * (1.0 + 0.25 * _texture(instances.shape, rng, 1.5) * inside)
    image = image * (0.7 + 0.3 * np.clip(cell_depth(instances) / 0.3, 0, 1) * inside + 0.3 * ~inside)
    return _finish(image, rng, illumination=0.35, blur=1.0, noise=noise)


def render_phase_contrast(instances: np.ndarray, *, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Render instance labels as a phase-contrast-like image (like PhC-U373).

    A phase-contrast microscope turns the optical thickness ``phi`` of the cells into grey
    values, but its phase ring passes low spatial frequencies badly. We model the image as a
    grey background minus the high-pass part of ``phi`` and a little absorption:
    ``I = b - alpha (phi - G_s * phi) - gamma phi``.
    Inside a cell ``phi`` exceeds its local mean (the cell is darker), just outside it falls
    below (a bright halo), which is the look of PhC-U373. Returns ``(H, W)`` float32 in [0, 1].

    Serves: U-Net paper section 4 (touching cells of the cell tracking data, synthetic); chapters 01, 05-09.
    """
    rng = np.random.default_rng(seed)
    phi = _optical_thickness(instances, rng)
    high_pass = phi - ndi.gaussian_filter(phi, 4.0)
    image = 0.55 - 0.7 * high_pass - 0.1 * phi + 0.015 * _texture(instances.shape, rng, 3.0)
    return _finish(image, rng, illumination=0.3, blur=0.8, noise=noise)


def render_dic(instances: np.ndarray, *, noise: float = 0.05, seed: int = 0,
               shear_angle: float | None = None) -> np.ndarray:
    """Render instance labels as a DIC-like image (differential interference contrast, like DIC-HeLa).

    A DIC microscope shows the derivative of the optical thickness ``phi`` along its shear
    direction, so cells look like reliefs lit from one side: ``I = b + beta d phi / ds``.
    ``shear_angle`` (radians from the image's x axis): ``None`` draws the shear direction once
    per image (the default); a number fixes it, as a real microscope's prisms fix it for every
    image of a data set. The rest of the image does not depend on it.
    Returns ``(H, W)`` float32 in [0, 1].

    Serves: U-Net paper section 4 (touching cells of the cell tracking data, synthetic); chapters 01, 05-09.
    """
    rng = np.random.default_rng(seed)
    phi = ndi.gaussian_filter(_optical_thickness(instances, rng), 1.0)
    drawn = rng.uniform(0, 2 * np.pi)  # drawn either way: the texture and noise stay the same
    angle = drawn if shear_angle is None else float(shear_angle)
    gy, gx = np.gradient(phi)
    relief = np.cos(angle) * gx + np.sin(angle) * gy
    image = 0.5 + 2.2 * relief + 0.015 * _texture(instances.shape, rng, 2.0)
    return _finish(image, rng, illumination=0.25, blur=0.7, noise=noise)


_RENDERERS = {
    "fluorescence": render_fluorescence,
    "phase_contrast": render_phase_contrast,
    "dic": render_dic,
}


def synthetic_cells(
    size: int | tuple[int, int] = 256,
    n_cells: int = 24,
    *,
    rendering: str = "fluorescence",
    n_types: int = 1,
    noise: float = 0.05,
    seed: int = 0,
    shear_angle: float | None = None,
    **shape_options,
) -> CellSample:
    """A seeded microscopy-like image of touching cells with its instance labels.

    Args:
        size: image side, or ``(height, width)``, in pixels.
        n_cells: number of cells drawn.
        rendering: how the cells look; one of ``RENDERINGS`` (``"fluorescence"``,
            ``"phase_contrast"``, ``"dic"``).
        n_types: number of cell classes (see :func:`cell_instances`).
        noise: standard deviation of the noise relative to the signal.
        seed: seed; the same arguments give the same sample.
        shear_angle: ``"dic"`` only: the shear direction in radians, fixed (see
            :func:`render_dic`); ``None`` (default) draws one per image.
        **shape_options: passed to :func:`cell_instances` (``radius``, ``elongation``,
            ``irregularity``, ``n_clusters``).

    Returns:
        A :class:`CellSample` with ``image`` ``(H, W)`` float32 in [0, 1] and ``instances``
        ``(H, W)`` int32.

    Serves: U-Net paper section 4 (touching cells of the cell tracking data, synthetic); chapters 01, 05-09.
    """
    if rendering not in RENDERINGS:
        raise ValueError(f"rendering={rendering!r} is unknown; use one of {', '.join(RENDERINGS)}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if shear_angle is not None and rendering != "dic":
        raise ValueError(f"shear_angle applies to rendering='dic' only, got rendering={rendering!r}")
    instances, classes = cell_instances(size, n_cells, n_types=n_types, seed=seed, **shape_options)
    extra = {} if shear_angle is None else {"shear_angle": shear_angle}
    image = _RENDERERS[rendering](instances, noise=noise, seed=seed + 1, **extra)
    return CellSample(image=image, instances=instances, classes=classes)
