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

With ``--init MODEL`` (repeatable) it also fine-tunes from each MODEL for ``--init-minutes`` (default 1)
on the same training part, exactly as a user would::

    python -m unet_course train train.tif train_labels.tif --out tuned.pt --init MODEL --minutes 1

and scores it on the same held-out quarter, next to the run from scratch (``--no-scratch`` skips that).
Course checkpoints that fit: ``unet_course/checkpoints/ch09_nuclei.pt`` (chapter 09's U-Net, trained on
the same left three quarters with min-max scaling: the held-out quarter is unseen by it too) and
``ch09_phc.pt`` (trained on synthetic phase-contrast cells only: a transfer from other images).
A table gives each run's steps, seconds, IoU and F1; times are rough on a shared machine, so the
steps done are the fairer measure.

With ``--loading STEPS`` it also measures the training time per step with and without background
data loading (``--workers 0`` and ``--workers 1``: augmentation, tile sampling and weight-map
warping in one forked process), as the median of ``--repeats`` interleaved command-line runs of
``STEPS`` steps each (one validation at the end included). Not a test: it takes minutes and its
times depend on the machine.

    python benchmarks/cli_nuclei.py [--minutes 3 | --steps N] [--init MODEL [--init-minutes 1]] [--no-scratch]
                                    [--loading 60] [--repeats 3] [--keep DIR]
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


def train_and_score(folder: Path, name: str, budget: list[str], extra: list[str]) -> dict:
    """Train ``name``.pt on the training part, segment the held-out quarter, return the run's figures."""
    from unet_course.segment import load_model

    began = time.perf_counter()
    run("train", "train.tif", "train_labels.tif", "--out", f"{name}.pt", *budget, *extra, cwd=folder)
    seconds = time.perf_counter() - began
    run("segment", f"{name}.pt", "test.tif", "--out", f"predicted_{name}", "--quiet", "--overwrite", cwd=folder)
    scores = json.loads(run("evaluate", f"predicted_{name}/test.tif", "test_labels.tif", "--json", cwd=folder))["pooled"]
    meta = load_model(folder / f"{name}.pt").meta
    print(f"{name}: held-out test quarter: foreground IoU {scores['iou']:.3f}, instance precision "
          f"{scores['precision']:.3f}, recall {scores['recall']:.3f}, F1 {scores['f1']:.3f} ({scores['true']} true, "
          f"{scores['predicted']} predicted nuclei); {meta['steps']} steps, train command {seconds:.0f} s", flush=True)
    return {"run": name, "command": " ".join(["train", *budget, *extra]), "steps": meta["steps"],
            "seconds": seconds, "iou": scores["iou"], "f1": scores["f1"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="training budget from scratch (default 3)")
    parser.add_argument("--steps", type=int, default=None,
                        help="train this many steps instead of a time budget (for a machine shared with other work, "
                             "where 3 minutes buy fewer steps than on an idle one)")
    parser.add_argument("--init", action="append", default=[], metavar="MODEL",
                        help="also fine-tune from MODEL (train --init MODEL) and score it; repeatable")
    parser.add_argument("--init-minutes", type=float, default=1.0, help="fine-tuning budget (default 1)")
    parser.add_argument("--no-scratch", action="store_true", help="skip the run from scratch (with --init)")
    parser.add_argument("--loading", type=int, default=0, metavar="STEPS",
                        help="also time STEPS steps with and without background loading (0: skip)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per loading setting (default 3)")
    parser.add_argument("--keep", default=None, help="work in this folder instead of a temporary one")
    args = parser.parse_args()
    if args.no_scratch and not args.init:
        parser.error("--no-scratch needs --init MODEL: nothing would be trained")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        write_data(folder)
        runs = []
        if not args.no_scratch:
            budget = ["--steps", str(args.steps)] if args.steps else ["--minutes", f"{args.minutes:g}"]
            runs.append(train_and_score(folder, "scratch", budget, []))
        for k, model in enumerate(args.init):
            runs.append(train_and_score(folder, f"init{k}", ["--minutes", f"{args.init_minutes:g}"],
                                        ["--init", str(Path(model).resolve())]))
        print(f"\n{'run':<8} {'steps':>6} {'seconds':>8} {'IoU':>6} {'F1':>6}  command")
        for r in runs:
            print(f"{r['run']:<8} {r['steps']:>6d} {r['seconds']:>8.0f} {r['iou']:>6.3f} {r['f1']:>6.3f}  "
                  f"python -m unet_course {r['command']}")
        ok = all(r["iou"] >= FLOOR and r["f1"] >= FLOOR for r in runs if r["run"] == "scratch")
        print(f"floor {FLOOR:.2f} for IoU and F1 from scratch: {'met' if ok else 'NOT met'}")

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
