"""Why chapter 09's DIC-like row is low: one factor changed at a time, each measured.

Every variant trains chapter 09's previous DIC recipe
(:data:`unet_course.experiments.paper.RECIPES` ``["ch09_dic_anyshear"]``: the shear direction
drawn per image, valid U-Net, 8 base channels, depth 3, 164 x 164 tiles, Adam, the eq. 2 weight
map with ``w0 = 10``, ``sigma = 5``, rotation, flips, grey values and elastic deformation, 4
training images of 256 x 256 with 40 cells) for the same short budget (``--steps``, default 600,
batch 4), with ONE thing changed, and scores it on the 4 held-out images of the same cells,
rendered as its training images are (foreground IoU at 0.5, instance F1 at IoU >= 0.5):

- the images: ``phc`` (the same cells rendered phase-contrast-like), ``dic_fixed`` (one shear
  direction for every image, ``shear_angle=0.25``, as one microscope's prisms fix it), ``norot``
  (tiles not rotated or flipped), ``dic_fixed_norot`` (both: today's ``ch09_dic``, which
  trains for 1,000 steps);
- the network: ``wide`` (16 base channels), ``deep`` (depth 4, 188 x 188 tiles);
- the weight map: ``w0=0`` (class balance alone), ``sigma=3``.

Chapter 09 shows the table of our run (section "Why the DIC-like row was low").
Results are appended to a JSON-lines file (``--out``, one line per variant) so that several
processes can share the work (``--only``); ``--table`` prints the table of a finished file.
Not a test: each variant takes minutes on a CPU.

    python benchmarks/dic_ablation.py [--steps 600] [--only NAME ...] [--out dic_ablation.jsonl] [--table]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from unet_course.data import synthetic_cells
from unet_course.data.sets import SegmentationSet
from unet_course.data.targets import instance_targets
from unet_course.experiments import paper

BASE = paper.RECIPES["ch09_dic_anyshear"]  # the previous DIC recipe: shear drawn per image, rotations

#: name -> (what changes, recipe fields, data options)
VARIANTS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "base": ("the previous DIC recipe (shear direction per image, rotations, flips)", {}, {}),
    "phc": ("phase-contrast-like images of the same cells", {"task": "phase_contrast"}, {"rendering": "phase_contrast"}),
    "dic_fixed": ("one shear direction for the data set", {"shear_angle": 0.25}, {}),
    "dic_fixed_norot": ("one shear direction, no rotations or flips", {"shear_angle": 0.25, "rotate": False}, {}),
    "norot": ("no rotations or flips (shear direction per image)", {"rotate": False}, {}),
    "wide": ("16 base channels", {"base_channels": 16}, {}),
    "deep": ("depth 4 (188 x 188 tiles)", {"depth": 4, "tile": 188}, {}),
    "w0=0": ("class balance alone (w0 = 0)", {}, {"w0": 0.0}),
    "sigma=3": ("sigma = 3", {}, {"sigma": 3.0}),
}


def build(recipe: paper.ExperimentRecipe, *, rendering: str = "dic", noise: float = 0.05, w0: float = 10.0,
          sigma: float = 5.0, **render: Any) -> tuple[SegmentationSet, SegmentationSet]:
    """``(train, test)`` of the recipe's seeds with the given rendering and weight-map parameters."""
    def one(seeds: range) -> SegmentationSet:
        shear = {} if recipe.shear_angle is None else {"shear_angle": recipe.shear_angle}
        samples = [synthetic_cells(recipe.image_size, recipe.n_cells, rendering=rendering, noise=noise, seed=s,
                                   **render, **shear)
                   for s in seeds]
        built = [instance_targets(s.instances, w0=w0, sigma=sigma) for s in samples]
        return SegmentationSet([s.image for s in samples], [b.target for b in built], [b.weights for b in built],
                               [b.instances for b in built], num_classes=2)

    s = 1000 * recipe.seed
    return one(range(s, s + recipe.train_images)), one(range(s + 500, s + 500 + recipe.test_images))


def run(name: str, steps: int) -> dict[str, Any]:
    what, fields, options = VARIANTS[name]
    recipe = replace(BASE, **fields)
    start = time.perf_counter()
    result = paper.run_experiment(recipe, name=name, data=build(recipe, **options), steps=steps, progress=False,
                                  device="cpu")
    scores = result.meta["scores"]
    loss = result.history.loss
    tail = sum(loss[-50:]) / len(loss[-50:])
    return {"variant": name, "change": what, "steps": steps, "iou": scores["iou"], "f1": scores["f1"],
            "final_loss": tail, "seconds": time.perf_counter() - start}


def table(rows: list[dict[str, Any]]) -> str:
    return paper.markdown_table(
        ["variant", "what changes", "steps", "IoU", "instance F1", "train loss (last 50)", "seconds"],
        [[r["variant"], r["change"], r["steps"], r["iou"], r["f1"], r["final_loss"], round(r["seconds"])] for r in rows],
        digits=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--only", nargs="*", default=None, help=f"variants to run (default all: {' '.join(VARIANTS)})")
    parser.add_argument("--out", default="dic_ablation.jsonl")
    parser.add_argument("--table", action="store_true", help="print the table of --out and exit")
    args = parser.parse_args()
    out = Path(args.out)
    if not args.table:
        torch.set_num_threads(1)
        names = args.only or list(VARIANTS)
        unknown = [n for n in names if n not in VARIANTS]
        if unknown:
            parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
        for name in names:
            row = run(name, args.steps)
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{name}: IoU {row['iou']:.3f}, F1 {row['f1']:.3f} ({row['seconds']:.0f} s)", flush=True)
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    print(table(rows))


if __name__ == "__main__":
    main()
