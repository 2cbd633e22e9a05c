"""The command line on a real image set: train for 3 minutes, segment held-out nuclei, evaluate.

The stardist wheel's nuclei image (512 x 512 uint16, 125 hand-labelled touching nuclei, from the
2018 Data Science Bowl; ``unet_course.data.nuclei_files``) is cut into a training part (the left
three quarters) and a test part (the right quarter, never seen in training), both written as raw
uint16 TIFFs to a temporary folder. Then, exactly as a user would type it::

    python -m unet_course train train.tif train_labels.tif --out model.pt --minutes 3
    python -m unet_course segment model.pt test.tif --out predicted
    python -m unet_course evaluate predicted/test.tif test_labels.tif --json

(``train`` holds out the right fifth of the training part for validation and keeps the best
model.) Prints the held-out foreground IoU and instance F1 at IoU >= 0.5, against a floor of
0.80 each.

With ``--loading STEPS`` it also measures the training time per step with and without background
data loading (``--workers 0`` and ``--workers 1``: augmentation, tile sampling and weight-map
warping in one forked process), as the median of ``--repeats`` interleaved command-line runs of
``STEPS`` steps each (one validation at the end included). Not a test: it takes minutes and its
times depend on the machine.

    python benchmarks/cli_nuclei.py [--minutes 3 | --steps N] [--loading 60] [--repeats 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FLOOR = 0.80


def run(*args: str, cwd: Path) -> str:
    """Run ``python -m unet_course ARGS`` and return its stdout (stderr passes through, with the bar)."""
    command = [sys.executable, "-m", "unet_course", *args]
    print("$ python -m unet_course " + " ".join(args), flush=True)
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SystemExit(f"command failed with status {result.returncode}: {' '.join(command)}")
    return result.stdout


def write_data(folder: Path) -> None:
    import tifffile

    sys.path.insert(0, str(ROOT))
    from unet_course.data import nuclei_files

    image_file, mask_file = nuclei_files()
    image, mask = tifffile.imread(image_file), tifffile.imread(mask_file)
    cut = image.shape[1] * 3 // 4
    for name, array in (("train", image[:, :cut]), ("train_labels", mask[:, :cut]),
                        ("test", image[:, cut:]), ("test_labels", mask[:, cut:])):
        tifffile.imwrite(folder / f"{name}.tif", np.ascontiguousarray(array), photometric="minisblack")
    print(f"nuclei image {image.shape} {image.dtype}: training part {image.shape[0]} x {cut}, "
          f"held-out test part {image.shape[0]} x {image.shape[1] - cut}", flush=True)


def seconds_per_step(folder: Path, steps: int, workers: int) -> float:
    proc = subprocess.run(
        [sys.executable, "-m", "unet_course", "train", "train.tif", "train_labels.tif", "--out", f"load{workers}.pt",
         "--steps", str(steps), "--eval-every", str(10**6), "--workers", str(workers), "--quiet"],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    match = re.search(r"\(([0-9.]+) s a step\)", proc.stderr)
    if not match:
        raise SystemExit(f"no time per step in: {proc.stderr}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="training budget (default 3)")
    parser.add_argument("--steps", type=int, default=None,
                        help="train this many steps instead of a time budget (for a machine shared with other work, "
                             "where 3 minutes buy fewer steps than on an idle one)")
    parser.add_argument("--loading", type=int, default=0, metavar="STEPS",
                        help="also time STEPS steps with and without background loading (0: skip)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per loading setting (default 3)")
    parser.add_argument("--keep", default=None, help="work in this folder instead of a temporary one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        write_data(folder)
        began = time.perf_counter()
        budget = ["--steps", str(args.steps)] if args.steps else ["--minutes", f"{args.minutes:g}"]
        run("train", "train.tif", "train_labels.tif", "--out", "model.pt", *budget, cwd=folder)
        trained = time.perf_counter() - began
        print(run("segment", "model.pt", "test.tif", "--out", "predicted", "--quiet", cwd=folder), end="")
        scores = json.loads(run("evaluate", "predicted/test.tif", "test_labels.tif", "--json", cwd=folder))["pooled"]
        print(f"\nheld-out test quarter: foreground IoU {scores['iou']:.3f}, instance precision {scores['precision']:.3f}, "
              f"recall {scores['recall']:.3f}, F1 {scores['f1']:.3f} ({scores['true']} true, {scores['predicted']} "
              f"predicted nuclei); train command {trained:.0f} s")
        ok = scores["iou"] >= FLOOR and scores["f1"] >= FLOOR
        print(f"floor {FLOOR:.2f} for IoU and F1: {'met' if ok else 'NOT met'}")

        if args.loading:
            times: dict[int, list[float]] = {0: [], 1: []}
            for _ in range(args.repeats):
                for workers in (0, 1):
                    times[workers].append(seconds_per_step(folder, args.loading, workers))
            for workers, label in ((0, "in the training loop (--workers 0)"), (1, "in the background (--workers 1)")):
                t = times[workers]
                print(f"data loading {label}: {statistics.median(t):.3f} s a step (median of {len(t)} runs of "
                      f"{args.loading} steps: {', '.join(f'{v:.3f}' for v in t)})")
        if not ok:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
