"""The full profile's time budget on one H100/H200-class GPU, estimated from FLOPs and step counts.

    python scripts/gpu_budget.py                 # print the table (Markdown)
    python scripts/gpu_budget.py --out book/_gpu_budget.md --json book/_gpu_budget.json

Each chapter's estimate is the sum of

- **host time**: everything that does not scale with the GPU, taken from the chapter's measured
  wall-clock time in the quick profile on a 2-core CPU (``book/_timings.json``: kernel start,
  imports, data, plots, evaluation) less the quick profile's own small training, estimated at
  ``CPU_FLOPS`` (the FLOP count alone underestimates a small network's time on a CPU, so what is
  left over is an upper bound; it is never taken below half the measured time), plus ``CUDA_START_S`` for the CUDA context and cuDNN's first calls in a chapter that uses the GPU;
- **GPU arithmetic** of every training step and inference pass the full profile adds: the FLOPs of
  one forward pass counted from the model (``UNet.forward_flops`` for the U-Nets, PyTorch's
  ``torch.utils.flop_counter`` for the FCNs), 3x that for a training step (the backward pass
  computes two gradients per convolution), divided by ``UTILISATION`` of the datasheet peak of the
  arithmetic that runs (bf16, TF32, or strict fp32 where a chapter turns TF32 off);
- **per-step overhead**: ``TRAIN_STEP_S`` a training step and ``INFER_PASS_S`` an inference pass
  for launching a few hundred kernels from Python and reading the loss back (eager PyTorch; for the
  small networks of chapters 02, 04, 07 and 08 this, not the arithmetic, is the cost);
- **host data per step** where a step prepares its tile on the CPU (augmentation, drawing cells,
  weight maps): measured here by calling the package's own data code (``--no-measure`` uses the
  values stored in ``HOST_DEFAULTS``, measured on the course's 2-core CPU), divided by
  ``DATA_WORKERS`` where ``train.fit`` prepares the samples in worker processes (its default in
  the full profile on CUDA: half the cores, at most 8; a GPU machine has 16 or more).

The unit tests get a fixed allowance (``UNIT_TESTS_S``), the one pytest run of nbval its start-up
(``PYTEST_START_S``). The settings of each chapter are those of
the notebooks' ``runtime.pick(..., full=...)`` calls and of the package functions they call; where
the chapter's settings do not fit, the table uses the proposed settings and says what changes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from unet_course.models import FCN, UNet, patch_classifier  # noqa: E402

# Datasheet peaks of an NVIDIA H100 SXM (dense tensor-core math, no structured sparsity); the H200
# has the same compute (and more, faster memory).
PEAK_FLOPS = {"bf16": 989e12, "tf32": 495e12, "fp32": 67e12}
GPU = "NVIDIA H100/H200 SXM"
UTILISATION = 0.30
TRAIN_STEP_S = 5e-3  # eager PyTorch: ~300-500 kernel launches of ~10 us, one host sync for the loss check
INFER_PASS_S = 2e-3
CUDA_START_S = 5.0  # CUDA context, cuDNN handles, the first (autotuned) calls, per notebook
CPU_FLOPS = 20e9  # one CPU core, fp32, for the work the full profile leaves on the CPU (chapter 11)
DATA_WORKERS = 8
UNIT_TESTS_S = 120.0
PYTEST_START_S = 5.0  # nbval's one pytest run: imports and collection, before the first kernel  # pytest tests/ (912 tests; the learner-notebook run is not part of gpu-check)
LIMIT_S = 8 * 60.0
HOST_DEFAULTS = {"ch07_batch": 0.024, "ch08_image": 0.678, "ch09_tile": 0.193, "ch11_image": 0.094}  # the slowest seen here


@dataclass
class Work:
    """One kind of work a chapter does in the full profile."""

    what: str
    passes: int  # training steps or inference passes
    flops: float  # FLOPs of one forward pass of the whole batch
    precision: str = "tf32"  # "bf16", "tf32" (PyTorch's default for fp32 convolutions on a GPU) or "fp32"
    train: bool = True
    host_s: float = 0.0  # CPU time a pass spends preparing its data
    cpu: bool = False  # runs on the CPU (FLOPs at CPU_FLOPS)
    workers: int = 1  # processes that share host_s (train.fit's data workers)

    def seconds(self) -> float:
        flops = self.passes * self.flops * (3 if self.train else 1)
        if self.cpu:
            return flops / CPU_FLOPS + self.passes * self.host_s
        arithmetic = flops / (UTILISATION * PEAK_FLOPS[self.precision])
        overhead = self.passes * (TRAIN_STEP_S if self.train else INFER_PASS_S)
        return arithmetic + overhead + self.passes * self.host_s / self.workers


def torch_flops(model: torch.nn.Module, shape: tuple[int, ...]) -> int:
    """Forward FLOPs of ``model`` on an input of ``shape``, counted by PyTorch on the meta device."""
    from torch.utils.flop_counter import FlopCounterMode

    model = model.to("meta")
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(shape, device="meta"))
    return int(counter.get_total_flops())


def unet_flops(n: int, batch: int = 1, **kwargs) -> int:
    with torch.device("meta"):
        net = UNet(**{"in_channels": 1, "num_classes": 2, **kwargs})
    return batch * net.forward_flops(n)


def measure_host(repeats: int = 3) -> dict[str, float]:
    """Seconds of CPU work per training step (or per drawn image) where a chapter's full profile
    prepares data on the CPU, measured with the package's own code on this machine."""
    from unet_course import experiments as E
    from unet_course import train
    from unet_course.experiments import weightmap as W
    from unet_course.augment import Augmenter
    from unet_course.data import synthetic_cells
    from unet_course.data.tiles import TileDataset

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    out = {}
    # chapter 07: four augmented 92 px tiles a step (rotation, flips, grey values, elastic)
    image = synthetic_cells(256, 40, seed=0)
    aug = Augmenter(max_shift=0.0, max_angle=180.0, flips=True, elastic_sigma=3.0, gray=True)
    tiles = TileDataset([image.image], [image.foreground.astype(np.int64)], tile_size=92, output_size=52,
                        augmenter=aug, length=64, seed=0)
    out["ch07_batch"] = best(lambda: [tiles[i] for i in range(4)])
    # chapter 08: one 380 px training image of touching cells with its weight map (paper_setup)
    recipe = W.paper_setup(W.RECIPES["ch08_weighted"])
    out["ch08_image"] = best(lambda: W.TouchingCellsTiles(1, recipe.tile, n_cells=recipe.n_cells, seed=1))
    # chapter 09: one augmented 572 px tile of the full profile's phase-contrast recipe
    big = E.full_profile(E.RECIPES["ch09_phc"], steps=10)
    data, _ = big.data()
    tiles = TileDataset(data.images, data.targets, data.weights, tile_size=big.tile, output_size=388,
                        augmenter=E.augmenter(True), length=64, seed=0)
    out["ch09_tile"] = best(lambda: tiles[0])
    # chapter 11: one 188 px image of the ch08 recipe (each rank draws its own)
    small = W.RECIPES["ch08_weighted"]
    out["ch11_image"] = best(lambda: W.TouchingCellsTiles(1, small.tile, n_cells=small.n_cells, seed=1))
    return {k: round(v, 4) for k, v in out.items()}


def chapters(host: dict[str, float], proposed: bool) -> dict[str, tuple[str, list[Work], str]]:
    """``{notebook stem: (what runs, [Work], change)}`` for the full profile; ``proposed`` uses the
    settings this script proposes where the chapter's own do not fit."""
    from unet_course import train
    from unet_course.experiments import weightmap as W
    from unet_course.tiling import plan_tiles

    paper = dict(base_channels=64, depth=4)
    fcn_full = dict(widths=(32, 64, 128, 256, 256), convs_per_block=(2, 2, 3, 3, 3), fc_channels=512, fc_kernel=7,
                    dropout=0.0, batch_norm=True)
    fcn = sum(torch_flops(FCN(v, in_channels=1, num_classes=3, **fcn_full), (8, 1, 128, 128)) for v in ("32s", "16s", "8s")) / 3
    patch = torch_flops(patch_classifier(in_channels=1, num_classes=3, patch_size=34, widths=(16, 32), hidden=64),
                        (64, 1, 34, 34))
    with torch.device("meta"):
        paper_net = UNet(1, 2, **paper)
    tiles_500x700 = plan_tiles(paper_net, (500, 700), tile_size=572).num_tiles
    tiles_2048 = plan_tiles(paper_net, (2048, 2048), tile_size=572).num_tiles
    tiles_isbi = plan_tiles(paper_net, (512, 512), tile_size=572).num_tiles

    small8 = dict(base_channels=8, depth=3)
    recipe08 = W.paper_setup(W.RECIPES["ch08_weighted"])
    seeds08 = 3
    images08 = recipe08.train_images + recipe08.test_images
    ch09 = {"ISBI 2012": 800, "phase contrast": 400, "DIC": 400, "nuclei": 400}
    d11 = W.RECIPES["ch08_weighted"]
    return {
        "01_segmentation_basics": ("no training", [], ""),
        "02_fcn_convolutionalization": ("patch classifier, batch 64 of 34 px", [
            Work("patch classifier", 1500, patch)], ""),
        "03_fcn_upsampling": ("no training", [], ""),
        "04_fcn_skip_architecture": ("FCN-32s/16s/8s, batch 8 of 128 px", [
            Work("three FCNs", 3 * 1500, fcn)], ""),
        "05_unet_architecture": ("paper U-Net, 572 px inference; the learner's U-Net and the package's trained", [
            Work("forward passes", 4, unet_flops(572, **paper), train=False),
            Work("two small U-Nets, 400 steps of 4 tiles each", 2 * 400,
                 unet_flops(92, batch=4, base_channels=16, depth=2))], ""),
        "06_overlap_tile": ("paper U-Net, 252 px training (strict fp32), tiling", [
            Work("training", 300, unet_flops(252, **paper), precision="fp32"),
            Work("tiles and whole images", 2 * tiles_500x700 + tiles_2048 + 24, unet_flops(572, **paper),
                 precision="fp32", train=False)], ""),
        "07_data_augmentation": ("small U-Net, 3 seeds x 2 runs, batch 4 of 92 px", [
            Work("six short runs", 6 * 400, unet_flops(92, batch=4, base_channels=8, depth=2),
                 host_s=host["ch07_batch"] / 2, workers=DATA_WORKERS)], ""),  # half the runs are plain crops
        "08_loss_weightmap_training": (
            "small U-Net, 800-step demo; the shipped checkpoints" if proposed
            else f"small U-Net, 800-step demo; 2 x {seeds08} seeds x {recipe08.steps} steps of 380 px", [
                Work("demo run", 800, unet_flops(188, **small8))] + ([] if proposed else [
                Work("weighted / unweighted runs", 2 * seeds08 * recipe08.steps, unet_flops(380, **small8)),
                Work("drawing cells and weight maps", 2 * seeds08 * images08, 0, train=False, host_s=host["ch08_image"]),
                Work("scoring the test tiles", 2 * seeds08 * recipe08.test_images, unet_flops(380, **small8),
                     train=False)]),
            "the weighted and unweighted models are the shipped checkpoints ch08_weighted and ch08_unweighted, "
            f"as in the quick profile (training them here with the paper's set-up, 2 x {seeds08} runs of "
            f"{recipe08.steps:,} steps with their data, does not fit)" if proposed else ""),
        "09_experiments": ("paper U-Net, 4 tasks, 572 px tiles", [
            Work(f"{name}: {steps} steps", steps, unet_flops(572, **paper),
                 host_s=host["ch09_tile"], workers=DATA_WORKERS) for name, steps in ch09.items()] + [
            Work("tiled prediction of the test images", 4 * 5 * tiles_isbi, unet_flops(572, **paper), train=False)],
            ""),
        "10_quiz_review": ("no training", [], ""),
        "12_your_own_images": ("small U-Net on the nuclei image, notebook and command line, 2 tiles of 380 px", [
            Work("two runs of 2,000 steps", 2 * 2000, unet_flops(380, batch=2, base_channels=8, depth=3))], ""),
        "11_distributed_training": ("2 CPU processes (gloo) on one GPU machine", [
            Work("200 steps on each rank", 200, unet_flops(d11.tile, **small8), cpu=True),
            Work("24 images on each rank", 24, 0, cpu=True, train=False, host_s=host["ch11_image"])], ""),
    }


def quick_training(host: dict[str, float]) -> dict[str, list[Work]]:
    """The training the quick profile does on the CPU (part of the measured CPU time), per chapter."""
    fcn_quick = dict(widths=(8, 16, 32, 32, 32), convs_per_block=(1, 1, 1, 1, 1), fc_channels=64, fc_kernel=3,
                     dropout=0.0, batch_norm=True)
    fcn = sum(torch_flops(FCN(v, in_channels=1, num_classes=3, **fcn_quick), (4, 1, 128, 128)) for v in ("32s", "16s", "8s")) / 3
    patch = torch_flops(patch_classifier(in_channels=1, num_classes=3, patch_size=34, widths=(16, 32), hidden=64),
                        (64, 1, 34, 34))
    return {
        "02_fcn_convolutionalization": [Work("patch classifier", 400, patch, cpu=True)],
        "04_fcn_skip_architecture": [Work("three FCNs", 3 * 120, fcn, cpu=True)],
        "06_overlap_tile": [Work("training", 24, unet_flops(252, base_channels=8, depth=4), cpu=True)],
        "07_data_augmentation": [Work("two short runs", 2 * 400, unet_flops(92, batch=4, base_channels=8, depth=2),
                                      cpu=True, host_s=host["ch07_batch"] / 2)],
        "08_loss_weightmap_training": [Work("demo run", 80, unet_flops(188, base_channels=8, depth=3), cpu=True)],
        "05_unet_architecture": [Work("two small U-Nets", 2 * 40, unet_flops(92, batch=4, base_channels=8, depth=2), cpu=True)],
        "12_your_own_images": [Work("two runs", 2 * 250, unet_flops(164, batch=2, base_channels=8, depth=3), cpu=True)],
    }


def budget(host: dict[str, float], proposed: bool) -> list[dict]:
    timings = json.loads((ROOT / "book" / "_timings.json").read_text())["cpu"]["chapters"]
    rows = []
    quick = quick_training(host)
    for stem, (what, works, change) in chapters(host, proposed).items():
        steps = sum(w.passes for w in works if w.train)
        gpu = sum(w.seconds() for w in works)
        measured = timings[stem]
        fixed = max(measured - sum(w.seconds() for w in quick.get(stem, [])), 0.5 * measured)
        fixed += CUDA_START_S if any(not w.cpu for w in works) else 0.0
        rows.append({"chapter": stem, "what": what, "steps": steps, "fixed_s": round(fixed, 1),
                     "work_s": round(gpu, 1), "total_s": round(fixed + gpu, 1), "change": change,
                     "works": [{**asdict(w), "seconds": round(w.seconds(), 2)} for w in works]})
    return rows


def markdown(rows: list[dict], host: dict[str, float], measured: bool, as_is: list[dict] | None = None) -> str:
    total = UNIT_TESTS_S + PYTEST_START_S + sum(r["total_s"] for r in rows)
    lines = ["| chapter | what runs | steps | est. s |", "|---|---|--:|--:|",
             f"| unit tests | `pytest tests` | - | {UNIT_TESTS_S:.0f} |",
             f"| nbval | its start-up, once | - | {PYTEST_START_S:.0f} |"]
    for r in rows:
        mark = " ¹" if r["change"] else ""
        lines.append(f"| {r['chapter'][:2]} | {r['what']}{mark} | {r['steps']:,} | {r['total_s']:.0f} |")
    lines.append(f"| **total** | | | **{total:.0f}** ({total / 60:.1f} min) |")
    before = {r["chapter"]: r["total_s"] for r in as_is or []}
    changed = [f"{r['chapter'][:2]}: {r['change']}" + (f"; {before[r['chapter']]:.0f} s with the training"
                                                      if r["chapter"] in before else "")
               for r in rows if r["change"]]
    peak = ", ".join(f"{k} {v / 1e12:.0f}" for k, v in PEAK_FLOPS.items())
    lines += ["", f"Estimated by `scripts/gpu_budget.py` for one {GPU} at {UTILISATION:.0%} of its dense datasheet "
              f"peak ({peak} TFLOP/s), FLOPs counted from the models, 3x a forward pass per training step; plus "
              f"{TRAIN_STEP_S * 1e3:.0f} ms of kernel launches a training step ({INFER_PASS_S * 1e3:.0f} ms a pass), "
              f"the CPU's data work a step ({'measured' if measured else 'stored values'}: "
              + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in host.items())
              + f"; shared by {DATA_WORKERS} worker processes where `train.fit` trains), and for kernel start, "
              "imports, data, plots and scoring each chapter's measured CPU quick-profile time less its own small "
              f"training (at {CPU_FLOPS / 1e9:.0f} GFLOP/s), plus {CUDA_START_S:.0f} s of CUDA start-up."
              + (" ¹ Chapter " + "; ".join(changed) + "." if changed else "")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-measure", action="store_true", help="use the stored host costs instead of measuring")
    parser.add_argument("--as-is", action="store_true", help="the notebooks' current settings, not the proposed ones")
    parser.add_argument("--out", type=Path, help="write the Markdown table here")
    parser.add_argument("--json", type=Path, help="write every row (and its work items) as JSON here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    host = dict(HOST_DEFAULTS) if args.no_measure else measure_host()
    rows = budget(host, proposed=not args.as_is)
    text = markdown(rows, host, measured=not args.no_measure, as_is=None if args.as_is else budget(host, proposed=False))
    print(text)
    total = UNIT_TESTS_S + PYTEST_START_S + sum(r["total_s"] for r in rows)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"unit_tests_s": UNIT_TESTS_S, "pytest_start_s": PYTEST_START_S, "limit_s": LIMIT_S, "total_s": round(total, 1),
                                         "host": host, "chapters": rows}, indent=1) + "\n")
    if total > LIMIT_S:
        print(f"over budget: {total:.0f} s > {LIMIT_S:.0f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
