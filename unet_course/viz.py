"""Small plotting helpers shared by the chapters."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def instance_colors(instances: np.ndarray, *, seed: int = 0, background=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Colour an instance map: each id gets a random bright colour, 0 gets ``background``.

    Args:
        instances: ``(H, W)`` integer ids, 0 = background.
        seed: seed of the colour draw, so that a figure looks the same every time.

    Returns:
        ``(H, W, 3)`` float RGB image in [0, 1].
    """
    instances = np.asarray(instances)
    if not np.issubdtype(instances.dtype, np.integer):
        raise TypeError(f"instances must be an integer map, got dtype {instances.dtype}")
    rng = np.random.default_rng(seed)
    n = int(instances.max(initial=0))
    palette = rng.uniform(0.25, 1.0, size=(n + 1, 3))
    palette[0] = background
    return palette[instances]


def show_row(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    cmaps: Sequence[str | None] | None = None,
    size: float = 3.2,
    suptitle: str | None = None,
) -> Figure:
    """Show images side by side without axes; grey images use ``cmaps[i]`` (default ``gray``).

    Returns the figure (the notebook displays it).
    """
    if len(images) != len(titles):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    cmaps = cmaps or ["gray"] * len(images)
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size), squeeze=False)
    for ax, img, title, cmap in zip(axes[0], images, titles, cmaps):
        ax.imshow(img, cmap=cmap if np.asarray(img).ndim == 2 else None, interpolation="nearest")
        ax.set_title(title)
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
