"""Every benchmark of the course in one run, printed as one table (``make bench``).

Each row is measured in this run, on the device at hand, next to what it is compared with, as
the median of several timed runs after a warm-up:

- **inference**: the paper's U-Net (64 base channels, depth 4, 572 x 572 -> 388 x 388) in fp32,
  TF32 and bf16 (autocast), batch 1 and 16, eager and ``torch.compile``; tiles/s and the achieved
  TFLOP/s against the FLOP count of one tile, counted from the model with
  ``torch.utils.flop_counter`` (~301 GFLOP).
- **overlap-tile**: ``unet_course.tiling.predict_tiled`` against MONAI's
  ``sliding_window_inference`` wrapping the same model, on a 4096 x 4096 image: Mpx/s, peak
  memory, and how far the outputs are apart.
- **training**: steps/s of the paper's set-up (572 tile, batch 1, SGD momentum 0.99, weighted
  cross-entropy) through ``unet_course.train.fit``; time to reach a Rand error target on
  held-out ISBI 2012 slices.
- **weight map**: ``unet_course.weightmap.weight_map`` against the naive one-distance-transform-
  per-cell method; **elastic deformation**: ``unet_course.augment`` (NumPy, and batched torch on
  CPU and GPU) against the ``elasticdeform`` package.

On a GPU every row runs (``--quick`` shortens it); cuDNN autotuning (fixed tile sizes),
channels-last and bf16 autocast are on where the row says so. On a CPU the rows that would take
far too long are listed as skipped with the reason, and ``--quick`` keeps the whole run within a
few minutes (smaller model and image for the overlap-tile rows). Not a test: nothing asserts a
speed.

    python benchmarks/run_all.py [--quick] [--out table.md] [--chart ratios.png] [--only inference,tiling,...]
                                 [--max-seconds 120]

``--out FILE`` writes one compact Markdown table (the details of each row as numbered footnotes
below it, the rows that were not measured grouped by reason); with ``--chart PNG`` also a bar chart
of every comparison's ratio from the same run (ours against MONAI, elasticdeform and the naive
weight map; bf16 against fp32), placed under the table as a figure. When FILE already holds the two
marker lines ``<!-- benchmark-table:start -->`` and ``<!-- benchmark-table:end -->`` only the text
between them is replaced (that is how the book's Performance appendix is refreshed).
``--max-seconds`` stops starting new measurements after that many seconds (the rows left out say
so); ``make gpu-check`` bounds the run this way.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import importlib.util
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch

from unet_course import runtime
from unet_course.runtime import PeakMemory
from unet_course.models import UNet

HERE = Path(__file__).resolve().parent
GROUPS = ("inference", "tiling", "training", "rand", "weightmap", "elastic")
START, END = "<!-- benchmark-table:start -->", "<!-- benchmark-table:end -->"


# --------------------------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    """One line of the table; ``None`` fields print as a dash."""

    group: str
    case: str
    seconds: float | None = None  # median seconds of one timed run
    runs: int = 0
    rate: str | None = None  # throughput with its unit
    tflops: float | None = None
    memory: str | None = None
    versus: str | None = None  # the comparison: speed-up or difference
    note: str = ""
    label: str = ""  # short name of the case for the compact table (default: ``case``)
    ratio: tuple[str, float] | None = None  # (comparison, how many times faster ours / bf16 is) for the chart


DEADLINE: list[float] = []  # time.perf_counter() after which no new measurement starts (--max-seconds)


def out_of_time() -> bool:
    return bool(DEADLINE) and time.perf_counter() > DEADLINE[0]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], repeats: int, device: torch.device, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    sync(device)
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        out.append(time.perf_counter() - start)
    return out


def memory_text(mem: PeakMemory) -> str:
    """``unet_course.runtime.PeakMemory``'s peak as a table cell: MiB or GiB, on the GPU or the CPU."""
    what = "GPU" if mem.device.type == "cuda" else "RSS"
    return f"{mem.bytes / 2**30:.2f} GiB {what}" if mem.bytes >= 2**30 else f"{mem.bytes / 2**20:.0f} MiB {what}"


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"{props.name} ({props.total_memory / 2**30:.0f} GiB, {props.multi_processor_count} SMs)"
    name = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    return f"{name}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"


@contextlib.contextmanager
def precision(kind: str, device: torch.device) -> Iterator[None]:
    """``fp32`` (IEEE, no TF32), ``tf32`` (TF32 tensor cores for fp32 convolutions and matmuls) or
    ``bf16`` (autocast to bfloat16)."""
    cudnn_conv = getattr(torch.backends.cudnn, "conv", None)
    matmul = torch.backends.cuda.matmul
    saved = (getattr(cudnn_conv, "fp32_precision", None), getattr(matmul, "fp32_precision", None))
    mode = "tf32" if kind == "tf32" else "ieee"
    try:
        if cudnn_conv is not None and hasattr(cudnn_conv, "fp32_precision"):
            cudnn_conv.fp32_precision = mode
            matmul.fp32_precision = mode
        else:  # older torch
            torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = kind == "tf32"
        if kind == "bf16":
            with torch.autocast(device.type, dtype=torch.bfloat16):
                yield
        else:
            yield
    finally:
        if saved[0] is not None:
            cudnn_conv.fp32_precision, matmul.fp32_precision = saved


def flops_of(model_kwargs: dict, tile: int) -> int:
    """FLOPs of one forward pass of one ``tile x tile`` image, counted by
    ``torch.utils.flop_counter`` on the meta device (no memory, no compute)."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = UNet(**model_kwargs)
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(1, model.in_channels, tile, tile))
    return int(counter.get_total_flops())


def seed(value: int) -> None:
    """Seed everything, then let cuDNN autotune again (``seed_everything`` asks for deterministic
    algorithms, which would rule out the fastest kernels for our fixed tile sizes)."""
    runtime.seed_everything(value)
    if torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = False


def paper_unet(device: torch.device, dropout: float = 0.5, **overrides) -> UNet:
    seed(0)
    model = UNet(**{"in_channels": 1, "num_classes": 2, "base_channels": 64, "depth": 4, "padding": "valid",
                    "dropout": dropout, **overrides})
    return model.to(device, memory_format=torch.channels_last)


# --------------------------------------------------------------------------------------------
# the benchmarks
# --------------------------------------------------------------------------------------------


def bench_inference(device: torch.device, quick: bool, everything: bool, repeats: int, *, tile: int = 572,
                    model_kwargs: dict | None = None) -> list[Row]:
    """The paper U-Net's inference rows (``tile`` and ``model_kwargs`` shrink it for smoke tests)."""
    rows: list[Row] = []
    model_kwargs = model_kwargs or {}
    flops = flops_of(model_kwargs, tile)
    model = paper_unet(device, **model_kwargs).eval()
    cuda = device.type == "cuda"
    note_flops = f"{flops / 1e9:.4g} GFLOP/tile (flop_counter)"
    configs = [(p, b, c) for c in (False, True) for b in (1, 16) for p in ("fp32", "tf32", "bf16")]
    compiled: dict[tuple[str, int], torch.nn.Module] = {}
    for prec, batch, compile_ in configs:
        case = f"{prec}, batch {batch}, {'torch.compile' if compile_ else 'eager'}"
        reason = None
        if not cuda and prec == "tf32":
            reason = "TF32 is a tensor-core mode of NVIDIA GPUs"
        elif not cuda and batch > 1 and not everything:
            reason = "16 tiles a pass take minutes on a CPU; --all runs it"
        elif not cuda and compile_ and (quick or not everything):
            reason = "compiling takes minutes on a CPU; --all runs it"
        elif quick and cuda and batch > 1 and prec == "fp32":
            reason = "--quick keeps batch 16 to TF32 and bf16"
        elif out_of_time():
            reason = "over --max-seconds"
        if reason:
            rows.append(Row(f"inference {tile}²", case, note=f"skipped: {reason}"))
            continue
        net = model
        build_s = 0.0
        if compile_:
            # static shapes: one specialised graph per (precision, batch), no dynamic-shape kernels
            if (prec, batch) not in compiled:
                compiled[(prec, batch)] = torch.compile(model, dynamic=False)
            net = compiled[(prec, batch)]
        x = torch.randn(batch, 1, tile, tile, device=device).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), precision(prec, device):
            if compile_:
                start = time.perf_counter()
                net(x)
                sync(device)
                build_s = time.perf_counter() - start
            with PeakMemory(device) as mem:
                times = timed(lambda: net(x), repeats, device)
        med = statistics.median(times)
        tiles_s = batch / med
        rows.append(Row(f"inference {tile}²", case, med, len(times), f"{tiles_s:,.1f} tiles/s", flops * tiles_s / 1e12,
                        memory_text(mem), note=(f"compile + first call {build_s:.0f} s; " if compile_ else "") + note_flops,
                        label=f"{prec}, b{batch}{', compiled' if compile_ else ''}"))
    # speed-up against eager fp32 batch 1, where both were measured
    base = next((r for r in rows if r.case == "fp32, batch 1, eager" and r.seconds), None)
    if base is not None:
        for r in rows:
            if r.seconds and r is not base:
                batch = int(r.case.split("batch ")[1].split(",")[0])
                speed = (batch / r.seconds) / (1 / base.seconds)
                r.versus = f"{speed:.2f}x fp32 b1"
                prec, rest = r.label.split(", ", 1)
                r.ratio = (f"{prec} {rest} vs fp32 b1, inference", speed)
    return rows


def _monai_predictor(model: torch.nn.Module, margin: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """MONAI's inferer needs an output of the window's size; a valid U-Net loses ``margin`` px on
    every side, so each window is mirror-padded by ``margin`` before the network sees it."""
    from unet_course.tiling import mirror_pad

    def predict(window: torch.Tensor) -> torch.Tensor:
        return model(mirror_pad(window, margin).contiguous(memory_format=torch.channels_last)).float()

    return predict


def bench_tiling(device: torch.device, quick: bool, everything: bool, repeats: int) -> list[Row]:
    try:
        from monai.inferers import sliding_window_inference
    except ImportError:
        return [Row("overlap-tile", "predict_tiled vs MONAI sliding_window_inference",
                    note="skipped: MONAI is not installed (pip install --no-deps -r requirements-bench.txt)")]

    from unet_course.tiling import plan_tiles, predict_tiled, predict_whole

    cuda = device.type == "cuda"
    if cuda or everything:
        kwargs, side, label = {}, 4096, "paper U-Net"
    else:
        kwargs, side, label = {"base_channels": 16}, 1024, "U-Net with 16 base channels"
    model = paper_unet(device, **kwargs).eval()
    prec = "bf16" if cuda else "fp32"
    batch = 16 if cuda else 4
    rng = np.random.default_rng(0)
    image = rng.random((side, side), dtype=np.float32)
    plan = plan_tiles(model, (side, side))
    keep, margin = plan.keep[0], plan.offset
    tile_flops = flops_of({"base_channels": model.base_channels}, plan.tile_size[0])
    group = f"overlap-tile {side}²"
    where = f"{label}, {prec}, {batch} tiles a batch"
    predictor = _monai_predictor(model, margin)

    def monai(overlap: float, mode: str) -> np.ndarray:
        x = torch.from_numpy(image)[None, None]
        out = sliding_window_inference(x, (keep, keep), batch, predictor, overlap=overlap, mode=mode,
                                       sw_device=device, device="cpu")
        return out[0].float().numpy()

    # name -> (function, tiles it runs, note)
    methods: dict[str, tuple[Callable[[], np.ndarray], int, str]] = {
        "predict_tiled": (lambda: predict_tiled(model, image, batch_size=batch, progress=False),
                          plan.num_tiles, f", step {plan.step[0]}"),
    }
    for overlap, mode in ((0.0, "constant"), (0.25, "gaussian")):
        stride = max(1, int(keep * (1 - overlap)))
        n = (int(np.ceil((side - keep) / stride)) + 1) ** 2
        methods[f"MONAI sliding_window_inference, overlap {overlap}, {mode}"] = (
            lambda overlap=overlap, mode=mode: monai(overlap, mode), n, ", windows mirror-padded by the margin")

    # Runs alternate between the methods, so that a change in the machine's load hits all alike.
    outputs: dict[str, np.ndarray] = {}
    times: dict[str, list[float]] = {name: [] for name in methods}
    peaks: dict[str, PeakMemory] = {}
    with torch.inference_mode(), precision(prec, device):
        for name, (fn, _, _) in methods.items():
            outputs[name] = fn()  # warm-up (cuDNN autotuning), kept for the comparison
        for r in range(repeats):
            for name, (fn, _, _) in methods.items():
                if r == 0:  # peak memory of a warm call
                    with PeakMemory(device) as peaks[name]:
                        times[name] += timed(fn, 1, device, warmup=0)
                else:
                    times[name] += timed(fn, 1, device, warmup=0)
    rows: list[Row] = []
    for name, (_, n_tiles, extra) in methods.items():
        med = statistics.median(times[name])
        short = name if name == "predict_tiled" else "MONAI, overlap " + name.split("overlap ")[1].split(",")[0]
        rows.append(Row(group, f"{name} ({where})", med, len(times[name]), f"{side * side / 1e6 / med:.2f} Mpx/s",
                        n_tiles * tile_flops / med / 1e12, memory_text(peaks[name]),
                        note=f"{n_tiles} tiles of {plan.tile_size[0]} px{extra}", label=short))
    ours = outputs["predict_tiled"]
    reference = "predict_tiled"
    if side <= 1024:
        with torch.inference_mode(), precision(prec, device):
            whole = predict_whole(model, image)
        rows[0].note += f"; vs one whole-image pass: max |Δlogit| {np.abs(ours - whole).max():.1g}"
        reference = "the whole-image pass" if np.array_equal(ours, whole) else reference
    for r, name in zip(rows[1:], [k for k in outputs if k != "predict_tiled"]):
        other = outputs[name]
        differ = float(np.mean(ours.argmax(0) != other.argmax(0)))
        r.versus = f"ours {r.seconds / rows[0].seconds:.2f}x as fast"
        r.ratio = (f"predict_tiled vs {r.label}", r.seconds / rows[0].seconds)
        r.note += (f"; vs {reference}: max |Δlogit| {np.abs(ours - other).max():.2g}, "
                   f"{100 * differ:.2f}% px other class (untrained weights)")
    if not (cuda or everything):
        rows[0].note += "; on a CPU the paper U-Net on 4096² (121 tiles) takes many minutes per method: --all runs it"
    return rows


def _training_sample(tile: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from unet_course.data import synthetic_em

    em = synthetic_em(tile, seed=0)
    target = np.asarray(em.labels, dtype=np.int64)
    weights = np.where(target == 0, 2.0, 1.0).astype(np.float32)
    return np.asarray(em.image, np.float32)[None], target, weights


def bench_training(device: torch.device, quick: bool, repeats: int) -> list[Row]:
    from unet_course import train

    cuda = device.type == "cuda"
    rows: list[Row] = []
    sample = _training_sample(572)
    fwd = flops_of({}, 572)
    steps = 1 if not cuda else (5 if quick else 20)
    for prec in ("fp32", "bf16"):
        if out_of_time():
            rows.append(Row("training 572², batch 1", f"train.fit, {prec}", note="skipped: over --max-seconds"))
            continue
        model = paper_unet(device)
        opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.99)

        def run() -> float:
            # fp32: IEEE float32 (TF32 off); bf16: fit's own autocast path, the loss in fp32
            with precision("fp32", device):
                history = train.fit(model, [sample], steps=steps, optimizer=opt, device=device, progress=False,
                                    precision=prec)
            return history.seconds / steps

        run()  # warm-up: cuDNN autotuning, momentum buffers
        per_step = [run() for _ in range(repeats)]
        med = statistics.median(per_step)
        rows.append(Row("training 572², batch 1", f"train.fit, SGD momentum 0.99, precision={prec!r}",
                        med, len(per_step), f"{1 / med:.2f} steps/s", 3 * fwd / med / 1e12, None,
                        note=f"{steps} step(s) a run; TFLOP/s counts 3x the forward FLOPs"
                             + ("; autocast in fit (forward and backward), the loss in fp32" if prec == "bf16" else ""),
                        label=f"fit, {prec}"))
    measured = {r.label: r for r in rows if r.seconds}
    if "fit, fp32" in measured and "fit, bf16" in measured:
        speed = measured["fit, fp32"].seconds / measured["fit, bf16"].seconds
        measured["fit, bf16"].versus = f"{speed:.2f}x fp32"
        measured["fit, bf16"].ratio = ("bf16 vs fp32, training step", speed)
    return rows


def time_to_rand(device: torch.device, quick: bool, target: float, budget_s: float) -> Row:
    """Train the chapter 09 ISBI recipe (paper-size on a GPU) until the Rand error on the held-out
    slices 25-29 is at most ``target``, evaluating every ``eval_every`` steps."""
    from unet_course import experiments, train
    from unet_course.data import isbi_available
    from unet_course.metrics import rand_error
    from unet_course.tiling import predict_probability

    group = "training to a Rand error"
    cuda = device.type == "cuda"
    if quick:
        return Row(group, f"ISBI 2012, Rand error <= {target}", note="skipped: --quick")
    if not isbi_available():
        return Row(group, f"ISBI 2012, Rand error <= {target}",
                   note="skipped: ISBI 2012 not found (set UNET_COURSE_DATA)")
    recipe = experiments.RECIPES["ch09_isbi"]
    if cuda:
        recipe = experiments.full_profile(recipe)
    from unet_course.data.tiles import TileDataset

    train_set, test = recipe.data()
    seed(recipe.seed)
    model = recipe.model().to(device)
    steps = 100_000
    # the training tiles of chapter 09's run_experiment: random augmented crops, one per index
    tiles = TileDataset(train_set.images, train_set.targets, train_set.weights, tile_size=recipe.tile,
                        output_size=model.output_size(recipe.tile), augmenter=experiments.augmenter(recipe.elastic),
                        length=steps * recipe.batch_size, seed=recipe.seed)
    eval_every = 100 if cuda else 50
    state = {"eval_s": 0.0, "began": time.perf_counter(), "reached": None, "best": float("inf"), "step": 0}

    class Done(Exception):
        pass

    def evaluate(net: torch.nn.Module) -> dict[str, float]:
        start = time.perf_counter()
        state["step"] += eval_every
        err = float(np.mean([rand_error(predict_probability(net, im), t)
                             for im, t in zip(test.images, test.targets)]))
        state["best"] = min(state["best"], err)
        state["eval_s"] += time.perf_counter() - start
        train_s = time.perf_counter() - state["began"] - state["eval_s"]
        if err <= target:
            state["reached"] = train_s
            raise Done
        if train_s > budget_s:
            raise Done
        return {"rand_error": err}

    with contextlib.suppress(Done), precision("bf16" if cuda else "fp32", device):
        train.fit(model, tiles, steps=steps, optimizer=recipe.optimizer, lr=recipe.lr, momentum=recipe.momentum,
                  batch_size=recipe.batch_size, evaluate=evaluate, eval_every=eval_every, seed=recipe.seed,
                  device=device, progress=False)
    what = (f"{'paper U-Net' if cuda else 'ch09 quick U-Net (8 ch, depth 3)'}, tile {recipe.tile}, "
            f"batch {recipe.batch_size}, {recipe.optimizer}")
    if state["reached"] is None:
        return Row(group, f"ISBI 2012 held-out 25-29, Rand error <= {target}: {what}",
                   note=f"not reached in {budget_s:.0f} s of training ({state['step']} steps); best {state['best']:.3f}")
    return Row(group, f"ISBI 2012 held-out 25-29, Rand error <= {target}: {what}", state["reached"], 1,
               f"{state['step']} steps", note=f"Rand error {state['best']:.3f} at step {state['step']}; "
               "evaluation time not counted")


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def bench_weightmap(quick: bool, repeats: int) -> list[Row]:
    from unet_course import weightmap
    from unet_course.data import cell_instances

    labels = _load_script("weight_map").nuclei_labels()
    source = "stardist nuclei"
    if labels is None:
        labels, source = cell_instances(512, 125, seed=0)[0], "synthetic cells"
    n = len(np.unique(labels)) - 1
    cpu = torch.device("cpu")
    fast = timed(lambda: weightmap.weight_map(labels), repeats, cpu)
    naive = timed(lambda: weightmap.weight_map_naive(labels), max(1, repeats // 2 if quick else repeats), cpu, warmup=0)
    diff = np.abs(weightmap.weight_map(labels, dtype=np.float64) - weightmap.weight_map_naive(labels)).max()
    size = f"{labels.shape[0]}x{labels.shape[1]}, {n} cells ({source})"
    f, s = statistics.median(fast), statistics.median(naive)
    return [
        Row("weight map", f"weight_map (windowed) {size}", f, len(fast), f"{1 / f:.1f} maps/s",
            versus=f"{s / f:.1f}x naive", note=f"max |diff| to naive {diff:.1e}", label="weight_map (ours)",
            ratio=("weight_map vs the naive one", s / f)),
        Row("weight map", f"naive: a full distance transform per cell, {size}", s, len(naive), f"{1 / s:.2f} maps/s",
            label="naive, one EDT per cell"),
    ]


def bench_elastic(device: torch.device, repeats: int) -> list[Row]:
    import elasticdeform

    from unet_course import augment

    rng = np.random.default_rng(0)
    n = 512
    image = rng.random((n, n)).astype(np.float32)
    labels = rng.integers(0, 3, size=(n, n)).astype(np.int32)
    weights = rng.random((n, n)).astype(np.float32)
    grid = augment.random_coarse_displacement(rng, sigma=10.0, grid=3)
    cpu = torch.device("cpu")
    ref = elasticdeform.deform_grid([image, labels, weights], grid, order=[3, 0, 1], mode="mirror")
    ours = augment.elastic_deform(image, labels, weights, displacement=grid)
    group, what = "elastic deformation", f"{n}² image+labels+weights, 3x3 grid, σ 10 px"
    peer = statistics.median(timed(lambda: elasticdeform.deform_grid(
        [image, labels, weights], grid, order=[3, 0, 1], mode="mirror"), repeats, cpu))
    mine = statistics.median(timed(lambda: augment.elastic_deform(image, labels, weights, displacement=grid), repeats, cpu))
    rows = [
        Row(group, f"elasticdeform.deform_grid (C), {what}", peer, repeats, f"{1 / peer:.1f} samples/s",
            label="elasticdeform (C)"),
        Row(group, f"augment.elastic_deform (NumPy/SciPy), {what}", mine, repeats, f"{1 / mine:.1f} samples/s",
            versus=f"{peer / mine:.2f}x elasticdeform", label="ours, NumPy",
            ratio=("elastic_deform (NumPy) vs elasticdeform", peer / mine),
            note=f"vs elasticdeform: image max |Δ| {np.abs(ours.image - ref[0]).max():.1e}, "
                 f"{int((ours.labels != ref[1]).sum())} label px differ"),
    ]
    for dev in [cpu] + ([device] if device.type == "cuda" else []):
        batch = 8
        x = torch.tensor(image, device=dev)[None].expand(batch, n, n).contiguous()
        y = torch.tensor(labels, device=dev)[None].expand(batch, n, n).contiguous()
        w = torch.tensor(weights, device=dev)[None].expand(batch, n, n).contiguous()
        g = torch.tensor(grid, dtype=torch.float32, device=dev)[None].expand(batch, 2, 3, 3).contiguous()
        times = timed(lambda: augment.elastic_deform_torch(x, y, w, displacement=g), repeats, dev)
        per = statistics.median(times) / batch
        got = augment.elastic_deform_torch(x, y, w, displacement=g)[0][0].float().cpu().numpy()
        rows.append(Row(group, f"augment.elastic_deform_torch, {dev.type}, batch {batch}, {what}", per, len(times),
                        f"{1 / per:.1f} samples/s", versus=f"{peer / per:.2f}x elasticdeform",
                        label=f"ours, torch {dev.type} b{batch}",
                        ratio=(f"elastic_deform_torch ({dev.type}) vs elasticdeform", peer / per),
                        note=f"per sample; image max |Δ| to elasticdeform {np.abs(got - ref[0]).max():.1e}"))
    if device.type != "cuda":
        rows.append(Row(group, "augment.elastic_deform_torch, cuda, batch 8", note="skipped: no CUDA device"))
    return rows


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------

HEADER = ("benchmark", "case", "median", "throughput", "TFLOP/s", "peak memory", "comparison", "notes")
COMPACT = ("benchmark", "case", "median", "rate", "TFLOP/s", "memory", "vs.")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def cells(row: Row) -> tuple[str, ...]:
    median = "-" if row.seconds is None else f"{fmt_seconds(row.seconds)} (n={row.runs})"
    return (row.group, row.case, median, row.rate or "-", "-" if row.tflops is None else f"{row.tflops:.3g}",
            row.memory or "-", row.versus or "-", row.note)


def markdown(rows: list[Row], header_lines: list[str], chart: str | None = None, repeats: int = 0) -> str:
    """One compact table of the measured rows (short cells; each row's full case and notes as a
    numbered footnote below it), the chart of the ratios as a figure when given, and the rows that
    were not measured, grouped by reason."""
    measured = [row for row in rows if row.seconds is not None]
    lines = ["| " + " | ".join(COMPACT) + " |", "|---|---|--:|--:|--:|--:|--:|"]
    notes: list[str] = []
    previous = None
    for row in measured:
        fewer = f" (median of {row.runs} run{'s' if row.runs > 1 else ''})" if row.runs != repeats else ""
        notes.append(row.case + fewer + (f": {row.note}" if row.note else ""))
        mark = str(len(notes)).translate(SUPERSCRIPT)
        memory = (row.memory or "-").replace(" RSS", "").replace(" GPU", "")
        cells_ = (row.group if row.group != previous else "", f"{row.label or row.case}{mark}",
                  fmt_seconds(row.seconds), row.rate or "-", "-" if row.tflops is None else f"{row.tflops:.2g}",
                  memory, row.versus or "-")
        previous = row.group
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells_) + " |")
    lines += ["", *header_lines, ""]
    lines += [f"{k}. {note}" for k, note in enumerate(notes, 1)]
    if chart:
        lines += ["", chart]
    missing = [row for row in rows if row.seconds is None]
    if missing:
        by_reason: dict[str, list[str]] = {}
        for row in missing:
            by_reason.setdefault(row.note.removeprefix("skipped: "), []).append(f"{row.group} {row.label or row.case}")
        lines += ["", "Not measured in this run:", ""]
        lines += [f"- {reason}: {'; '.join(cases)}" for reason, cases in by_reason.items()]
    return "\n".join(lines) + "\n"


def draw_chart(rows: list[Row], path: Path, caption: str) -> str | None:
    """A horizontal bar chart (PNG) of every comparison's ratio measured in this run, on a log
    scale with 1 marked; returns the Markdown figure for it, or ``None`` when no ratio was measured."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    pairs = [row.ratio for row in rows if row.ratio is not None and row.seconds is not None]
    if not pairs:
        return None
    labels, values = [p[0] for p in pairs], [p[1] for p in pairs]
    fig, ax = plt.subplots(figsize=(7.2, 0.42 * len(pairs) + 1.2))
    ys = list(range(len(pairs)))[::-1]
    colors = ["tab:blue" if v >= 1 else "tab:orange" for v in values]
    ax.barh(ys, [v - 1.0 for v in values], left=1.0, color=colors, height=0.6)  # from 1 (equal) to the ratio
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(ys, labels, fontsize=9)
    lo, hi = min(values + [1.0]), max(values + [1.0])
    ax.set_xlim(lo / 2.5, hi * 2.5)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}x"))
    for y, v in zip(ys, values):
        ax.text(v * 1.1 if v >= 1 else v / 1.1, y, f"{v:.2f}x", va="center", ha="left" if v >= 1 else "right",
                fontsize=9)
    ax.set_xlabel("times as fast: the first named against the second (log scale)")
    ax.grid(axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    faster = ", ".join(f"{label} {value:.2f}x" for label, value in pairs)
    alt = f"Bar chart of speed ratios on a log scale, 1 marked: {faster}"
    return "\n".join([f"```{{figure}} {path.name}", f":alt: {alt}", ":width: 100%", "", caption, "```"])


def plain(rows: list[Row]) -> str:
    table = [HEADER, *(cells(r) for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER) - 1)]
    out = []
    for k, r in enumerate(table):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
        if k == 0:
            out.append("  ".join("-" * w for w in widths) + "  " + "-" * 5)
    return "\n".join(out)


def write_markdown(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, or between the marker lines when ``path`` has them."""
    if path.is_file():
        old = path.read_text()
        if START in old and END in old:
            head, rest = old.split(START, 1)
            tail = rest.split(END, 1)[1]
            path.write_text(f"{head}{START}\n{text}{END}{tail}")
            return
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few minutes on a CPU)")
    parser.add_argument("--all", action="store_true", help="on a CPU, also the rows that take very long")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs a row (default 10 on a GPU, 3 on a CPU, 2 with --quick)")
    parser.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--out", type=Path, default=None, help="also write the table as Markdown to this file")
    parser.add_argument("--chart", type=Path, default=None,
                        help="also draw the ratios of the comparisons as a PNG bar chart (placed under the table in --out)")
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="start no new measurement after this many seconds (the rows left out say so)")
    parser.add_argument("--rand-target", type=float, default=0.1, help="Rand error to train to (default 0.1)")
    parser.add_argument("--rand-budget", type=float, default=None,
                        help="seconds of training allowed to reach it (default 600 on a GPU, 300 on a CPU)")
    args = parser.parse_args(argv)
    if args.max_seconds is not None and args.max_seconds <= 0:
        parser.error(f"--max-seconds must be > 0, got {args.max_seconds}")
    if args.chart is not None and args.chart.suffix.lower() != ".png":
        parser.error(f"--chart must name a .png file, got {args.chart}")
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")

    device = runtime.device()
    cuda = device.type == "cuda"
    repeats = args.repeats or (10 if cuda else (2 if args.quick else 3))
    budget = args.rand_budget or (600.0 if cuda else 300.0)
    seed(0)  # on CUDA also: fixed tile sizes, so let cuDNN autotune (benchmark mode)
    began = time.perf_counter()
    if args.max_seconds is not None:
        DEADLINE[:] = [began + args.max_seconds]
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    command = "python benchmarks/run_all.py " + " ".join(argv if argv is not None else sys.argv[1:])
    where = f"{device_name(device)}, torch {torch.__version__}, {stamp}"
    header = [f"Measured on {where}: median of {repeats} timed runs after a warm-up (the footnote says where "
              f"fewer), by `{command.strip()}`."]
    print("\n".join(header), flush=True)

    rows: list[Row] = []
    failed = 0
    for group in groups:
        start = time.perf_counter()
        print(f"... {group}", flush=True)
        if out_of_time():
            rows.append(Row(group, "every case", note="skipped: over --max-seconds"))
            continue
        try:
            rows += run_group(group, device, args, repeats, budget)
        except Exception as error:  # one broken group must not hide the others' rows
            import traceback

            traceback.print_exc()
            failed += 1
            rows.append(Row(group, "-", note=f"failed: {type(error).__name__}: {error}"))
        print(f"    {time.perf_counter() - start:.0f} s", flush=True)
    total = time.perf_counter() - began
    header[0] += f" Whole run: {total:.0f} s."
    print()
    print(plain(rows))
    print(f"\nwhole run: {total:.0f} s")
    figure = None
    if args.chart is not None:
        caption = (f"How many times as fast the first of each pair is, measured in the run of the table above "
                   f"({where}).")
        figure = draw_chart(rows, args.chart, caption)
        if figure is not None and args.out is not None:
            relative = os.path.relpath(args.chart.resolve(), args.out.resolve().parent)
            figure = figure.replace(f"```{{figure}} {args.chart.name}", f"```{{figure}} {relative}", 1)
        print(f"wrote {args.chart}" if figure else "no comparison measured: no chart")
    if args.out is not None:
        write_markdown(args.out, markdown(rows, header, figure, repeats))
        print(f"wrote {args.out}")
    return 1 if failed else 0


def run_group(group: str, device: torch.device, args: argparse.Namespace, repeats: int, budget: float) -> list[Row]:
    """The rows of one group of benchmarks."""
    if group == "inference":
        return bench_inference(device, args.quick, args.all, repeats)
    if group == "tiling":
        return bench_tiling(device, args.quick, args.all, repeats)
    if group == "training":
        return bench_training(device, args.quick, repeats)
    if group == "rand":
        return [time_to_rand(device, args.quick, args.rand_target, budget)]
    if group == "weightmap":
        return bench_weightmap(args.quick, repeats)
    return bench_elastic(device, repeats)


if __name__ == "__main__":
    sys.exit(main())
