"""The ``train`` subcommand of the command line (:mod:`unet_course.cli`) and its rules.

``python -m unet_course train IMAGES LABELS --out MODEL`` reads the images and instance labels
(:mod:`unet_course.data.imageset`), scales them (:class:`~unet_course.data.scaling.Scaling`, each
channel on its own), builds separation borders and weight maps
(:func:`~unet_course.data.targets.instance_targets`), holds out a validation part
(:func:`split_validation`), trains a valid U-Net on augmented tiles (:func:`choose_tile`,
:class:`~unet_course.data.tiles.TileDataset`, :func:`unet_course.train.fit`), validates every
``--eval-every`` steps and writes the best model with its history (``NAME.pt`` and
``NAME.history.csv``, :mod:`unet_course.segment`). It starts from scratch, from another model's
weights (``--init``) or continues a run (``--resume``), and stops cleanly on Ctrl-C.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CPU_TILE", "DEFAULTS", "GPU_TILE", "UsageError", "choose_tile", "split_validation", "train_command"]

#: The largest training input tile by default, on a CPU and on a GPU. On an idle 2-core CPU a step of
#: two 164 px tiles through the default U-Net (8 base channels, depth 3) takes about 0.12 s (chapter
#: 09's nuclei recipe: 1200 steps in 145 s).
CPU_TILE, GPU_TILE = 164, 380


class UsageError(ValueError):
    """Bad input on the command line: printed without a traceback, exit status 2.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """


# --------------------------------------------------------------------------------------------
# helpers (public: the command line's rules, testable on their own)
# --------------------------------------------------------------------------------------------


def choose_tile(model: Any, smallest_side: int, cap: int) -> int:
    """The training input tile: the largest valid input side of ``model`` at most ``cap`` whose
    output (label) tile fits in the smallest training image (``smallest_side`` pixels), so every
    image can give tiles; at least the smallest valid side.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    sizes = model.valid_input_sizes(1, max(cap, 1))
    fitting = [n for n in sizes if model.output_size(n) <= smallest_side]
    if fitting:
        return fitting[-1]
    smallest = model.valid_input_size(1)
    if model.output_size(smallest) > smallest_side:
        raise UsageError(
            f"the smallest training image side is {smallest_side} px but this U-Net's smallest label tile is "
            f"{model.output_size(smallest)} px; use larger images or a shallower network (--depth)"
        )
    return smallest


def split_validation(shapes: Sequence[tuple[int, int]], fraction: float) -> list[tuple[int, tuple[slice, slice], str]]:
    """Which parts of the frames are held out for validation.

    With two or more frames: the last ``round(fraction * n)`` frames (at least 1, at most n - 1),
    whole; the frames before them train. With one frame: the last ``fraction`` of its longer side
    (a strip at the right or the bottom) is held out and the rest trains.

    Returns:
        ``(frame, (rows, cols), role)`` pieces, ``role`` ``"train"`` or ``"validation"``.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    if not 0.0 < fraction < 1.0:
        raise UsageError(f"--val-fraction must lie in (0, 1), got {fraction}")
    n = len(shapes)
    whole = (slice(None), slice(None))
    if n >= 2:
        held = min(max(1, round(fraction * n)), n - 1)
        return [(k, whole, "validation" if k >= n - held else "train") for k in range(n)]
    h, w = shapes[0]
    if w >= h:
        cut = w - max(1, round(fraction * w))
        return [(0, (slice(None), slice(0, cut)), "train"), (0, (slice(None), slice(cut, None)), "validation")]
    cut = h - max(1, round(fraction * h))
    return [(0, (slice(0, cut), slice(None)), "train"), (0, (slice(cut, None), slice(None)), "validation")]


def _check_out_file(path: Path) -> Path:
    """``--out`` of ``train``, checked before any work: outside the package, a file name, and
    replacing only what ``train`` wrote (a model file, and its history beside it)."""
    from .segment import _inside_package, history_path, is_history_file, load_model

    if _inside_package(path):
        raise UsageError(f"--out {str(path)!r} lies inside the installed unet_course package; write the model elsewhere")
    if path.is_dir():
        raise UsageError(f"--out {str(path)!r} is a folder; give a file name such as model.pt")
    if path.parent.exists() and not path.parent.is_dir():
        raise UsageError(f"--out {str(path)!r}: {str(path.parent)!r} is not a folder")
    if path.exists():
        try:
            load_model(path)
        except ValueError:
            raise UsageError(f"--out {str(path)!r} exists and is not a model file written by 'train', which replaces "
                             "only its own files: move it away or choose another --out") from None
    history = history_path(path)
    if history.exists() and not is_history_file(history):
        raise UsageError(f"{str(history)!r} (the history written beside --out) exists and was not written by 'train'; "
                         "move it away or choose another --out")
    return path


#: Defaults of the training options a model file may fix (``--resume``, ``--init``): ``None`` on the
#: command line means "not given".
DEFAULTS: dict[str, float] = {"base_channels": 8, "depth": 3, "lr": 2e-3, "low": 1.0, "high": 99.8}


def _option(args: argparse.Namespace, name: str) -> Any:
    value = getattr(args, name)
    return DEFAULTS[name] if value is None else value


def _cpu_copy(value: Any) -> Any:
    """A copy of a (nested) state dict with every tensor on the CPU: a snapshot of the best model."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _cpu_copy(v) for k, v in value.items()}
    return [_cpu_copy(v) for v in value] if isinstance(value, list) else value


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------


def train_command(args: argparse.Namespace) -> int:
    """The ``train`` subcommand: read, scale, build targets, fit, keep the best model.

    Ctrl-C stops after the current step and writes the best model so far (exit status 130).

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    import shutil
    import tempfile

    import torch
    from tqdm.auto import tqdm

    from . import runtime
    from .augment import Augmenter
    from .data.imageset import read_pairs
    from .data.scaling import Scaling
    from .data.targets import as_instances, instance_targets
    from .data.tiles import TileDataset
    from .metrics.instances import evaluate_instances
    from .models import UNet
    from .segment import (Segmenter, history_path, save_model, scale_channels, segment_image, start_network,
                          write_history)
    from .train import fit, make_optimizer

    device = runtime.resolve_device(args.device)
    out = _check_out_file(Path(args.out))
    if args.steps is not None and args.steps < 1:
        raise UsageError(f"--steps must be >= 1, got {args.steps}")
    if args.minutes is not None and not args.minutes > 0:
        raise UsageError(f"--minutes must be > 0, got {args.minutes}")
    if args.eval_every < 1 or (args.channels is not None and args.channels < 1):
        raise UsageError(f"--eval-every and --channels must be >= 1, got {args.eval_every} and {args.channels}")
    source = args.resume or args.init
    given = {f"--{k.replace('_', '-')}": getattr(args, k) for k in ("base_channels", "depth", "channels", "low", "high", "lr")}
    start = start_network(source, resume=bool(args.resume), given=given) if source else None
    resumed = start if args.resume else None
    channels = start.model.in_channels if start else (args.channels or 1)
    channel = args.channel if args.channel is not None or resumed is None else resumed.meta.get("channel")
    if channel is not None and channels > 1:
        raise UsageError(f"the network takes all {channels} channels of a frame; --channel picks one: leave it out")
    scaling = Scaling.from_dict(resumed.meta["scaling"]) if resumed else Scaling(_option(args, "low"), _option(args, "high"))
    lr = resumed.optimizer_state["param_groups"][0]["lr"] if resumed else _option(args, "lr")

    images, labels = read_pairs(args.images, args.labels, channel=channel, channels=channels if channel is None else 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        instances = [as_instances(lab.astype(np.int64), f"labels {labels.name(k)}") for k, lab in enumerate(labels.frames)]
    binary = [w for w in caught if issubclass(w.category, UserWarning)]
    if binary:
        print(f"warning: {len(binary)} label frame(s) look like binary masks (one id for all objects); their connected "
              "components are used, so touching objects merge and get no separation weight", file=sys.stderr)
    scaled = [scale_channels(scaling, f) for f in images.frames]
    pieces = split_validation([f.shape[-2:] for f in scaled], args.val_fraction)
    train_x, train_inst, val_x, val_inst = [], [], [], []
    for k, (rows, cols), role in pieces:
        x, inst = scaled[k][..., rows, cols], instances[k][rows, cols]
        (train_x if role == "train" else val_x).append(x)
        (train_inst if role == "train" else val_inst).append(inst)
    if not any(np.any(i > 0) for i in train_inst):
        raise UsageError("the training part of the labels holds no object; label objects in the first frames too")

    runtime.seed_everything(args.seed)
    model = start.model if start else UNet(in_channels=channels, num_classes=2, base_channels=_option(args, "base_channels"),
                                           depth=_option(args, "depth"), padding="valid")
    smallest = min(min(x.shape[-2:]) for x in train_x)
    cap = args.tile or (GPU_TILE if device.type == "cuda" else CPU_TILE)
    tile = choose_tile(model, smallest, cap)
    if args.tile and not model.is_valid_size(args.tile):
        print(f"note: --tile {args.tile} is not a valid input side of this U-Net; using {tile}", file=sys.stderr)

    started = time.perf_counter()
    targets = [instance_targets(i, w0=args.w0, sigma=args.sigma) for i in train_inst]
    n_objects = sum(len(np.unique(i)) - 1 for i in train_inst)
    if args.min_size is None:
        areas = np.concatenate([np.bincount(i.ravel())[1:] for i in train_inst])
        args.min_size = max(4, int(round(0.1 * float(np.median(areas[areas > 0])))))
    elif args.min_size < 0:
        raise UsageError(f"--min-size must be >= 0, got {args.min_size}")
    which = f", channel {channel}" if channel is not None else f", {channels} channels" if channels > 1 else ""
    print(f"{len(images)} frame(s) from {len(images.files)} file(s){which}; scaling: {scaling.describe()}"
          + (" (each channel on its own)" if channels > 1 else ""), file=sys.stderr)
    print(f"training on {len(train_x)} piece(s) ({n_objects} objects), validating on {len(val_x)} held-out piece(s); "
          f"input tile {tile} -> {model.output_size(tile)} px; objects below {args.min_size} px dropped; "
          f"targets and weight maps in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    first, prior = (resumed.step, resumed.history.seconds) if resumed else (0, 0.0)
    if start:
        net = f"U-Net ({model.base_channels} base channels, depth {model.depth}, {channels} input channel(s))"
        print(f"resuming {source}: its {net}, weights (the best validation's) and Adam state (lr {lr:g}); steps "
              f"continue from {first}" if resumed else f"fine-tuning from {source}: the weights of its {net} "
              f"({start.step} steps trained), a fresh Adam optimizer (lr {lr:g})", file=sys.stderr)

    augmenter = Augmenter(max_shift=0.0, max_angle=180.0, flips=True, elastic_sigma=10.0, gray=True)
    more = args.steps if args.steps is not None else 10**6
    tiles = TileDataset(train_x, [t.target for t in targets], [t.weights for t in targets], tile_size=tile,
                        output_size=model.output_size(tile), augmenter=augmenter,
                        length=min(more * args.batch_size, 10**5), seed=args.seed)
    opt = make_optimizer(model, "adam", lr=lr)
    if resumed:
        opt.load_state_dict(resumed.optimizer_state)
    best: dict[str, Any] = {"score": -1.0}
    evals: list[dict[str, float]] = []

    def validate(step: int, seconds: float) -> None:
        predicted = [segment_image(model, x, min_size=args.min_size).instances for x in val_x]
        pooled = evaluate_instances(predicted, val_inst).pooled
        iou, f1 = (0.0 if math.isnan(pooled[k]) else float(pooled[k]) for k in ("iou", "f1"))  # undefined counts 0
        evals.append({"step": step, "val_iou": iou, "val_f1": f1, "seconds": prior + seconds})
        better = 0.5 * (iou + f1) > best["score"]
        if better:
            best.update(score=0.5 * (iou + f1), step=step, iou=iou, f1=f1, state=_cpu_copy(model.state_dict()),
                        optimizer=_cpu_copy(opt.state_dict()))
        if not args.quiet:
            tqdm.write(f"step {step}: held-out IoU {iou:.3f}, F1 {f1:.3f}{' (best so far)' if better else ''}",
                       file=sys.stderr)

    minutes = args.minutes if args.minutes is not None else (None if args.steps is not None else 3.0)
    budget = None if minutes is None else 60.0 * minutes

    def should_stop(done: int, used: float, interrupted: bool = False) -> bool:  # after every step (train.fit)
        if done % args.eval_every == 0 and done < first + more:
            validate(done, used)
        return interrupted or stop.requested or (budget is not None and used >= budget)

    history = None
    with runtime.stop_on_interrupt() as stop, tempfile.TemporaryDirectory() as scratch:
        if start:
            validate(first, 0.0)  # the starting point: what is written is never worse on the held-out part
        resume_file = Path(scratch) / "resume.pt" if resumed else None
        if resume_file:  # fit continues the step count, history and optimizer from a checkpoint file
            shutil.copyfile(source, resume_file)
        if not args.quiet:
            print("training; Ctrl-C stops after the current step and writes the best model so far", file=sys.stderr)
        history = fit(model, tiles, steps=first + more, optimizer=opt, batch_size=args.batch_size, seed=args.seed,
                      device=device, workers=args.workers, progress=not args.quiet, desc="train", max_seconds=budget,
                      should_stop=should_stop, checkpoint=resume_file, resume=resume_file is not None)
    interrupted = stop.requested or (history is not None and history.interrupted)
    last = history.step[-1] if history is not None and history.step else first
    if last == first:
        print("interrupted before the first training step; nothing written", file=sys.stderr)
        return 130
    if not evals or evals[-1]["step"] != last:
        try:
            validate(last, history.seconds - prior)
        except KeyboardInterrupt:
            interrupted = True
    if "state" not in best:
        print(f"interrupted at step {last} before any validation; nothing written", file=sys.stderr)
        return 130
    ours = {e["step"] for e in evals}
    history.evals = sorted([e for e in history.evals if e["step"] not in ours] + evals, key=lambda e: e["step"])
    history.interrupted = interrupted
    model.load_state_dict(best["state"])
    model.to("cpu")
    opt.load_state_dict(best["optimizer"])
    meta = {
        "images": str(args.images), "labels": str(args.labels), "frames": len(images), "channels": channels,
        "channel": channel, "validation": {"pieces": len(val_x), "fraction": args.val_fraction, "best_step": best["step"],
                                           "iou": best["iou"], "f1": best["f1"]},
        "tile": tile, "steps": last, "seconds": history.seconds, "seed": args.seed, "min_size": args.min_size,
        "init": str(args.init) if args.init else None, "resumed": str(args.resume) if args.resume else None,
        "command": "python -m unet_course train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else "",
        "torch": str(torch.__version__),
    }
    save_model(out, Segmenter(model, scaling, 1, meta), optimizer=opt, step=last, history=history)
    write_history(history_path(out), history)
    seconds = history.seconds - prior
    print(f"{last - first} steps in {seconds:.0f} s ({seconds / (last - first):.3f} s a step); best held-out "
          f"IoU {best['iou']:.3f}, instance F1 {best['f1']:.3f} at step {best['step']}", file=sys.stderr)
    if interrupted:
        print(f"interrupted at step {last}: wrote the best model so far (step {best['step']})", file=sys.stderr)
    print(f"wrote {out} and {history_path(out)}")
    return 130 if interrupted else 0
