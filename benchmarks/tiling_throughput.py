"""Throughput of overlap-tile inference: a 2048 x 2048 image through a U-Net, tile by tile.

Runs ``unet_course.tiling.predict_tiled`` with a depth-4 valid U-Net (16 base channels by
default, He-initialised: speed does not depend on the weights) on the current device
(``unet_course.runtime.device()``), 572 x 572 input tiles, and prints the number of tiles, the
median time of ``--repeats`` runs, tiles per second and megapixels of the image per second.

    python benchmarks/tiling_throughput.py [--size 2048] [--base-channels 16] [--tile 572]
                                           [--batch-size 4] [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from unet_course import runtime
from unet_course.models import UNet
from unet_course.tiling import plan_tiles, predict_tiled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048, help="image side in pixels")
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--tile", type=int, default=572, help="input tile side (a valid size)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    args = parser.parse_args()

    device = torch.device(args.device) if args.device else runtime.device()
    runtime.seed_everything(0)
    model = UNet(base_channels=args.base_channels).to(device).eval()
    image = np.random.default_rng(0).random((args.size, args.size), dtype=np.float32)
    plan = plan_tiles(model, image.shape, tile_size=args.tile)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def run() -> float:
        sync()
        start = time.perf_counter()
        predict_tiled(model, image, tile_size=args.tile, batch_size=args.batch_size, device=device, progress=False)
        sync()
        return time.perf_counter() - start

    print(runtime.banner())
    print(f"image {args.size} x {args.size}, U-Net depth 4, {args.base_channels} base channels, "
          f"tiles {args.tile} -> {plan.keep[0]} stepped by {plan.step[0]}: {plan.num_tiles} tiles, "
          f"batch {args.batch_size}, device {device}")
    run()  # warm-up
    times = [run() for _ in range(args.repeats)]
    median = statistics.median(times)
    print(f"median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f}) over {args.repeats} runs")
    print(f"{plan.num_tiles / median:.2f} tiles/s   {args.size**2 / 1e6 / median:.3f} Mpx/s")


if __name__ == "__main__":
    main()
