"""Time the U-Net weight map on 512 x 512 label images with about 125 cells.

Prints, from one run, the windowed ``weight_map`` next to ``weight_map_naive`` (one full-image
distance transform per cell) and their largest difference, on the real nuclei labels shipped
with stardist (125 nuclei) and on synthetic touching cells (125 drawn).

    python benchmarks/weight_map.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from unet_course import weightmap
from unet_course.data import cell_instances


def nuclei_labels() -> np.ndarray | None:
    """The real nuclei instance labels, or None when they cannot be read."""
    try:
        from unet_course.data import load_nuclei
    except ImportError:
        load_nuclei = None
    if load_nuclei is not None:
        return np.asarray(load_nuclei().instances)
    import importlib.util
    from pathlib import Path

    import tifffile

    spec = importlib.util.find_spec("stardist")
    if spec is None or spec.origin is None:
        return None
    return tifffile.imread(Path(spec.origin).parent / "data" / "images" / "mask2d.tif")


def best_of(repeats: int, f, *args, **kwargs) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="best of this many runs (default 5)")
    args = parser.parse_args()

    cases = {}
    real = nuclei_labels()
    if real is not None:
        cases["nuclei (stardist)"] = real
    cases["synthetic cells"] = cell_instances(512, 125, seed=0)[0]

    print(f"{'labels':<20} {'size':>9} {'cells':>6} {'weight_map':>11} {'naive':>9} {'speed-up':>9} {'max |diff|':>11}")
    for name, labels in cases.items():
        n = len(np.unique(labels)) - 1
        fast = best_of(args.repeats, weightmap.weight_map, labels)
        naive = best_of(max(1, args.repeats // 2), weightmap.weight_map_naive, labels)
        diff = np.abs(weightmap.weight_map(labels, dtype=np.float64) - weightmap.weight_map_naive(labels)).max()
        size = f"{labels.shape[0]}x{labels.shape[1]}"
        print(f"{name:<20} {size:>9} {n:>6} {fast:>10.3f}s {naive:>8.3f}s {naive / fast:>8.1f}x {diff:>11.1e}")


if __name__ == "__main__":
    main()
