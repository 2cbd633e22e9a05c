"""Time the paper's elastic deformation on a 512 x 512 image: ours next to elasticdeform.

One run, the same random 3 x 3 grids (sigma = 10 px) for every implementation, image (cubic),
labels (nearest) and weights (linear) deformed together, mirror border. Prints the median and
the spread of ``--repeats`` timings of:

- ``unet_course.augment.elastic_deform`` (NumPy/SciPy: a 512 x 3 interpolation matrix for the
  dense displacement, ``scipy.ndimage.map_coordinates`` for the warp);
- ``elasticdeform.deform_grid`` (C extension), the reference implementation;
- ``unet_course.augment.elastic_deform_torch`` on the CPU with one thread and with torch's
  default number of threads (and on CUDA when available), one sample and a batch of 8,

and the largest difference between ours and elasticdeform.

    python benchmarks/elastic_deform.py [--size 512] [--repeats 11]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from unet_course import augment


def timings(repeats: int, f, sync=None) -> list[float]:
    f()  # warm-up: caches, first-call allocation
    out = []
    for _ in range(repeats):
        if sync:
            sync()
        start = time.perf_counter()
        f()
        if sync:
            sync()
        out.append(time.perf_counter() - start)
    return out


def row(name: str, times: list[float], per: int = 1) -> str:
    med = statistics.median(times) / per
    return f"{name:<62} {1e3 * med:9.1f} ms   (min {1e3 * min(times) / per:.1f}, max {1e3 * max(times) / per:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    import elasticdeform

    rng = np.random.default_rng(0)
    n = args.size
    image = rng.random((n, n)).astype(np.float32)
    labels = rng.integers(0, 3, size=(n, n)).astype(np.int32)
    weights = rng.random((n, n)).astype(np.float32)
    grid = augment.random_coarse_displacement(rng, sigma=10.0, grid=3)

    print(f"elastic deformation of a {n} x {n} image, 3 x 3 grid, sigma 10 px; median of {args.repeats} runs")
    print(f"CPU: {platform.processor() or platform.machine()}, torch threads: {torch.get_num_threads()}; "
          f"elasticdeform {getattr(elasticdeform, '__version__', '0.5.1')}, torch {torch.__version__}")

    ours = augment.elastic_deform(image, labels, weights, displacement=grid)
    ref = elasticdeform.deform_grid([image, labels, weights], grid, order=[3, 0, 1], mode="mirror")
    print(f"largest difference ours - elasticdeform: image {np.abs(ours.image - ref[0]).max():.2e}, "
          f"labels {int((ours.labels != ref[1]).sum())} pixels, weights {np.abs(ours.weights - ref[2]).max():.2e}")
    print()

    print(row("image only   unet_course.augment.elastic_deform",
              timings(args.repeats, lambda: augment.elastic_deform(image, displacement=grid))))
    print(row("image only   elasticdeform.deform_grid",
              timings(args.repeats, lambda: elasticdeform.deform_grid(image, grid, order=3, mode="mirror"))))
    print(row("image+labels+weights  unet_course (numpy)",
              timings(args.repeats, lambda: augment.elastic_deform(image, labels, weights, displacement=grid))))
    print(row("image+labels+weights  elasticdeform",
              timings(args.repeats, lambda: elasticdeform.deform_grid(
                  [image, labels, weights], grid, order=[3, 0, 1], mode="mirror"))))

    default_threads = torch.get_num_threads()
    runs = [(torch.device("cpu"), t) for t in sorted({1, default_threads})]
    if torch.cuda.is_available():
        runs.append((torch.device("cuda"), default_threads))
    for dev, threads in runs:
        torch.set_num_threads(threads)
        sync = torch.cuda.synchronize if dev.type == "cuda" else None
        where = f"{dev.type}, {threads} thread{'s' if threads > 1 else ''}" if dev.type == "cpu" else dev.type
        for batch in (1, 8):
            x = torch.tensor(image, device=dev)[None].expand(batch, n, n).contiguous()
            y = torch.tensor(labels, device=dev)[None].expand(batch, n, n).contiguous()
            w = torch.tensor(weights, device=dev)[None].expand(batch, n, n).contiguous()
            g = torch.tensor(grid, dtype=torch.float32, device=dev)[None].expand(batch, 2, 3, 3).contiguous()
            times = timings(args.repeats, lambda: augment.elastic_deform_torch(x, y, w, displacement=g), sync)
            print(row(f"image+labels+weights  torch {where}, batch {batch} (per image)", times, per=batch))
    torch.set_num_threads(default_threads)

if __name__ == "__main__":
    main()
