"""The command line on your own images: ``python -m unet_course train | segment | evaluate``.

::

    python -m unet_course train IMAGES LABELS --out MODEL [--minutes M | --steps N] [--device D] [options]
    python -m unet_course segment MODEL IMAGES --out DIR [--probabilities]
    python -m unet_course evaluate PREDICTED LABELS [--json]

``IMAGES``, ``LABELS`` and ``PREDICTED`` are TIFF stacks, single TIFF or PNG files, or folders of
them (:mod:`unet_course.data.imageset`). Everything here only wires the package's public functions
together: :class:`~unet_course.data.scaling.Scaling`, :func:`~unet_course.data.targets.instance_targets`,
:class:`~unet_course.data.tiles.TileDataset` with the course's augmentation,
:func:`unet_course.train.fit`, :func:`~unet_course.segment.segment_image` and
:func:`~unet_course.metrics.instances.evaluate_instances`.

Bad input stops with a message on stderr and exit status 2 before any work starts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "choose_tile", "split_validation"]

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
    from .segment import _inside_package

    if _inside_package(path):
        raise UsageError(f"--out {str(path)!r} lies inside the installed unet_course package; write the model elsewhere")
    if path.is_dir():
        raise UsageError(f"--out {str(path)!r} is a folder; give a file name such as model.pt")
    if path.parent.exists() and not path.parent.is_dir():
        raise UsageError(f"--out {str(path)!r}: {str(path.parent)!r} is not a folder")
    return path


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------


def train_command(args: argparse.Namespace) -> int:
    """The ``train`` subcommand: read, scale, build targets, fit, keep the best model.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    import torch

    from . import runtime
    from .augment import Augmenter
    from .data.imageset import read_pairs
    from .data.scaling import Scaling
    from .data.targets import as_instances, instance_targets
    from .data.tiles import TileDataset
    from .metrics.instances import evaluate_instances
    from .models import UNet
    from .segment import Segmenter, save_model, segment_image
    from .train import History, fit

    out = _check_out_file(Path(args.out))
    if args.steps is not None and args.steps < 1:
        raise UsageError(f"--steps must be >= 1, got {args.steps}")
    if args.minutes is not None and not args.minutes > 0:
        raise UsageError(f"--minutes must be > 0, got {args.minutes}")
    scaling = Scaling(args.low, args.high)
    device = torch.device(args.device) if args.device else runtime.device()
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is available here; leave --device out or use --device cpu")

    images, labels = read_pairs(args.images, args.labels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        instances = [as_instances(lab.astype(np.int64), f"labels {labels.name(k)}") for k, lab in enumerate(labels.frames)]
    binary = [w for w in caught if issubclass(w.category, UserWarning)]
    if binary:
        print(f"warning: {len(binary)} label frame(s) look like binary masks (one id for all objects); their connected "
              "components are used, so touching objects merge and get no separation weight", file=sys.stderr)
    scaled = [scaling(f) for f in images.frames]
    pieces = split_validation([f.shape for f in scaled], args.val_fraction)
    train_x, train_inst, val_x, val_inst = [], [], [], []
    for k, (rows, cols), role in pieces:
        x, inst = scaled[k][rows, cols], instances[k][rows, cols]
        (train_x if role == "train" else val_x).append(x)
        (train_inst if role == "train" else val_inst).append(inst)
    if not any(np.any(i > 0) for i in train_inst):
        raise UsageError("the training part of the labels holds no object; label objects in the first frames too")

    runtime.seed_everything(args.seed)
    model = UNet(in_channels=1, num_classes=2, base_channels=args.base_channels, depth=args.depth, padding="valid")
    smallest = min(min(x.shape) for x in train_x)
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
    print(f"{len(images)} frame(s) from {len(images.files)} file(s); scaling: {scaling.describe()}", file=sys.stderr)
    print(f"training on {len(train_x)} piece(s) ({n_objects} objects), validating on {len(val_x)} held-out piece(s); "
          f"input tile {tile} -> {model.output_size(tile)} px; objects below {args.min_size} px dropped; "
          f"targets and weight maps in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)

    augmenter = Augmenter(max_shift=0.0, max_angle=180.0, flips=True, elastic_sigma=10.0, gray=True)
    steps = args.steps if args.steps is not None else 10**6
    tiles = TileDataset(train_x, [t.target for t in targets], [t.weights for t in targets], tile_size=tile,
                        output_size=model.output_size(tile), augmenter=augmenter,
                        length=min(steps * args.batch_size, 10**5), seed=args.seed)
    best: dict[str, Any] = {"score": -1.0, "state": None, "scores": {}}

    def validate(net) -> dict[str, float]:
        predicted = [segment_image(net, x, min_size=args.min_size).instances for x in val_x]
        pooled = {k: 0.0 if isinstance(v, float) and math.isnan(v) else v for k, v in evaluate_instances(predicted, val_inst).pooled.items()}  # undefined scores (NaN) count as 0
        iou = pooled["iou"] if not math.isnan(pooled["iou"]) else 0.0
        score = 0.5 * (iou + pooled["f1"])
        if score > best["score"]:
            best.update(score=score, evaluation=len(history_evals), scores={"iou": iou, "f1": pooled["f1"]},
                        state={k: v.detach().cpu().clone() for k, v in net.state_dict().items()})
        history_evals.append(score)
        return {"val_iou": iou, "val_f1": pooled["f1"]}

    history_evals: list[float] = []

    eval_every = args.eval_every
    minutes = args.minutes if args.minutes is not None else (None if args.steps is not None else 3.0)
    budget = {} if minutes is None else {"max_seconds": 60.0 * minutes}
    history: History = fit(
        model, tiles, steps=steps, **budget, optimizer="adam",
        lr=args.lr, batch_size=args.batch_size, seed=args.seed, device=device, evaluate=validate,
        eval_every=eval_every, workers=args.workers, progress=not args.quiet, desc="train",
    )
    best["step"] = history.evals[best["evaluation"]]["step"]  # the step of the best validation
    model.load_state_dict(best["state"])
    model.to("cpu").eval()
    done = len(history.loss)
    meta = {
        "images": str(args.images), "labels": str(args.labels), "frames": len(images),
        "validation": {"pieces": len(val_x), "fraction": args.val_fraction, "best_step": best["step"], **best["scores"]},
        "tile": tile, "steps": done, "seconds": history.seconds, "seed": args.seed, "min_size": args.min_size,
        "command": "python -m unet_course train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else "",
        "torch": str(torch.__version__),
    }
    save_model(out, Segmenter(model, scaling, 1, meta), step=done, history=history)
    print(f"{done} steps in {history.seconds:.0f} s ({history.seconds / max(done, 1):.3f} s a step); best held-out "
          f"IoU {best['scores']['iou']:.3f}, instance F1 {best['scores']['f1']:.3f} at step {best['step']}", file=sys.stderr)
    print(f"wrote {out}")
    return 0


# --------------------------------------------------------------------------------------------
# segment
# --------------------------------------------------------------------------------------------


def _write_tiff(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` atomically (temporary file, then rename)."""
    import os
    import tempfile

    import tifffile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        tifffile.imwrite(tmp, array, photometric="minisblack")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _label_dtype(n: int) -> type:
    return np.uint16 if n <= np.iinfo(np.uint16).max else np.uint32


def segment_command(args: argparse.Namespace) -> int:
    """The ``segment`` subcommand: instance labels (and probabilities) for every input file.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    from tqdm.auto import tqdm

    from .data.imageset import read_image_set
    from .segment import load_model, segment_image

    segmenter = load_model(args.model, device=args.device or "cpu")
    images = read_image_set(args.images)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file; give a folder for the label images")
    sources = {f.resolve().parent for f in images.files}
    if out.resolve() in sources:
        raise UsageError(f"--out {str(out)!r} is the folder of the input images; choose another folder")
    stems = [f.stem for f in images.files]
    if len(set(stems)) != len(stems):
        raise UsageError("two input files share a name without extension; their outputs would overwrite each other")
    out.mkdir(parents=True, exist_ok=True)
    if args.probabilities:
        (out / "probabilities").mkdir(exist_ok=True)
    min_size = int(segmenter.meta.get("min_size", 0)) if args.min_size is None else args.min_size
    written = []
    with tqdm(total=len(images), desc="segment", unit="frame", disable=args.quiet) as bar:
        for f, file in enumerate(images.files):
            frames = images.frames_of(f)
            labels, probs = [], []
            for k in frames:
                result = segment_image(segmenter, images.frames[k], min_size=min_size)
                labels.append(result.instances)
                probs.append(result.probability)
                bar.update(1)
            stack = np.stack(labels) if len(frames) > 1 else labels[0]
            target = out / f"{file.stem}.tif"
            _write_tiff(target, stack.astype(_label_dtype(int(stack.max(initial=0)))))
            n = sum(int(lab.max(initial=0)) for lab in labels)
            written.append(f"{target}: {len(frames)} frame(s), {n} object(s)")
            if args.probabilities:
                ptarget = out / "probabilities" / f"{file.stem}.tif"
                _write_tiff(ptarget, np.stack(probs) if len(frames) > 1 else probs[0])
                written.append(f"{ptarget}: object probability, float32")
    for line in written:
        print(line)
    return 0


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------


def format_table(rows: list[dict], pooled: dict, iou_threshold: float = 0.5) -> str:
    """A plain-text table, at most 100 columns wide: one row per image, a pooled row, a legend.

    Columns: foreground IoU; precision, recall, F1 of objects matched at IoU >= ``iou_threshold``;
    AP (mean over IoU 0.50, 0.55, ..., 0.95 of TP / (TP + FP + FN)); PQ at IoU 0.5; object counts.
    An undefined score (NaN) reads ``n/a``.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    keys = ("iou", "precision", "recall", "f1", "ap", "pq")

    def cell(value: float) -> str:
        return f"{'n/a':>6}" if math.isnan(value) else f"{value:>6.3f}"

    head = (f"{'image':<28} {'IoU':>6} {'prec':>6} {'recall':>6} {'F1':>6} {'AP':>6} {'PQ':>6} "
            f"{'true':>6} {'pred':>6}")
    lines = [head, "-" * len(head)]
    undefined = False
    for r in [*rows, {"name": "pooled", **pooled}]:
        undefined |= any(math.isnan(r[k]) for k in keys)
        lines.append(f"{r['name'][:28]:<28} " + " ".join(cell(r[k]) for k in keys)
                     + f" {r['true']:>6d} {r['predicted']:>6d}")
    lines += [
        f"IoU: foreground pixels. prec, recall, F1: objects matched one-to-one at IoU >= {iou_threshold:g}.",
        "AP: mean over IoU thresholds 0.50, 0.55, ..., 0.95 of TP / (TP + FP + FN) (StarDist's",
        "    'accuracy', Cellpose's 'average precision'; not COCO's AP).",
        "PQ: panoptic quality at IoU 0.5 (Kirillov et al. 2019), SQ x RQ. pooled: counts summed first.",
    ]
    if undefined:
        lines.append("n/a: undefined (precision with no predicted object, recall with no true object, F1, AP")
        lines.append("     and PQ with neither, IoU with no foreground on either side).")
    return "\n".join(lines)


def evaluate_command(args: argparse.Namespace) -> int:
    """The ``evaluate`` subcommand: per-image and pooled scores as a table or JSON.

    JSON is strict (``allow_nan=False``): an undefined score is ``null``, never a bare ``NaN``.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    from .data.imageset import check_labels, read_pairs
    from .data.targets import as_instances
    from .metrics.instances import AP_THRESHOLDS, PQ_THRESHOLD, evaluate_instances

    if not 0.0 < args.iou <= 1.0:
        raise UsageError(f"--iou must be an IoU threshold in (0, 1], got {args.iou}")
    predicted, truth = read_pairs(args.predicted, args.labels, what=("predicted", "labels"), require_objects=False)
    check_labels(predicted, "predicted labels") if any(np.any(f > 0) for f in predicted.frames) else None
    check_labels(truth, "labels")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a binary mask is scored as its connected components
        pred = [as_instances(np.asarray(p).astype(np.int64), "predicted") for p in predicted.frames]
        true = [as_instances(np.asarray(t).astype(np.int64), "labels") for t in truth.frames]
    scores = evaluate_instances(pred, true, args.iou, names=[predicted.name(k) for k in range(len(predicted))])
    if not args.json:
        print(format_table(scores.per_image, scores.pooled, args.iou))
        return 0

    def strict(value: Any) -> Any:  # NaN (an undefined score) becomes null
        if isinstance(value, dict):
            return {k: strict(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strict(v) for v in value]
        return None if isinstance(value, float) and math.isnan(value) else value

    report = {
        "iou_threshold": args.iou, "ap_thresholds": list(AP_THRESHOLDS), "pq_threshold": PQ_THRESHOLD,
        "definitions": {
            "iou": "foreground IoU: pixels with an id > 0 on each side",
            "precision, recall, f1": "objects matched one-to-one at IoU >= iou_threshold",
            "ap": "mean over ap_thresholds of TP / (TP + FP + FN) (StarDist's accuracy, Cellpose's "
                  "average precision; not COCO's AP); ap_by_threshold holds each term",
            "pq, sq, rq": "panoptic quality (Kirillov et al. 2019) at IoU >= pq_threshold: "
                          "PQ = SQ x RQ, SQ = mean IoU of the matches, RQ = F1",
            "pooled": "counts, pixels and matched IoU summed over the images before dividing",
            "null": "undefined: precision with no predicted object, recall with no true object, "
                    "f1, ap, pq, rq with neither, sq without a match, iou with no foreground",
        },
        "per_image": scores.per_image, "pooled": scores.pooled,
    }
    print(json.dumps(strict(report), indent=2, allow_nan=False))
    return 0


# --------------------------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m unet_course``.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    parser = argparse.ArgumentParser(
        prog="python -m unet_course",
        description="Train a U-Net on your own images, segment images into instances, evaluate instances.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a valid U-Net on images with instance labels",
                       description="Train a valid U-Net (weight map, elastic augmentation, overlap-tile) and write MODEL.")
    t.add_argument("images", help="TIFF stack, TIFF/PNG file, or folder of them (raw uint8/uint16/float)")
    t.add_argument("labels", help="instance labels (0 = background, one id per object), same layout as IMAGES")
    t.add_argument("--out", required=True, help="model file to write (atomically), e.g. model.pt")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, default=None, help="training time budget (default 3)")
    budget.add_argument("--steps", type=int, default=None, help="train this many steps instead of a time budget")
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    t.add_argument("--val-fraction", type=float, default=0.2,
                   help="held out for validation: the last frames, or the last part of a single frame (default 0.2)")
    t.add_argument("--tile", type=int, default=None,
                   help=f"largest input tile side (default {CPU_TILE} on a CPU, {GPU_TILE} on a GPU; smaller for small images)")
    t.add_argument("--base-channels", type=int, default=8, help="channels of the first level (paper: 64; default 8)")
    t.add_argument("--depth", type=int, default=3, help="poolings (paper: 4; default 3)")
    t.add_argument("--batch-size", type=int, default=2, help="tiles a step (default 2)")
    t.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate (default 2e-3)")
    t.add_argument("--w0", type=float, default=10.0, help="weight map border term height (paper: 10)")
    t.add_argument("--sigma", type=float, default=5.0, help="weight map border term width in px (paper: 5)")
    t.add_argument("--low", type=float, default=1.0, help="percentile scaled to 0 (default 1)")
    t.add_argument("--high", type=float, default=99.8, help="percentile scaled to 1 (default 99.8)")
    t.add_argument("--eval-every", type=int, default=50, help="validate every N steps, keep the best (default 50)")
    t.add_argument("--min-size", type=int, default=None,
                   help="drop predicted objects below this many pixels, stored in MODEL for 'segment' "
                        "(default: a tenth of the median training object's area, at least 4)")
    t.add_argument("--workers", type=int, default=None,
                   help="processes preparing tiles in the background (default: none on a CPU, where a tile costs "
                        "about 6 ms against 250+ ms for a step on 2 cores; see unet_course.runtime.data_workers)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=train_command)

    s = sub.add_parser("segment", help="segment images into instances with a trained model",
                       description="Overlap-tile segmentation of whole images; writes instance labels as TIFF.")
    s.add_argument("model", help="a model file written by 'train'")
    s.add_argument("images", help="TIFF stack, TIFF/PNG file, or folder of them")
    s.add_argument("--out", required=True, help="folder for NAME.tif (one per input file; a stack for a stack)")
    s.add_argument("--probabilities", action="store_true", help="also write object probabilities to OUT/probabilities/")
    s.add_argument("--min-size", type=int, default=None, help="drop objects below this many pixels (default: the model's)")
    s.add_argument("--device", default=None, help="cpu or cuda (default cpu)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=segment_command)

    e = sub.add_parser(
        "evaluate", help="score predicted instances against true ones",
        description="Per image and pooled over the images (counts summed first): foreground IoU; "
                    "precision, recall and F1 of objects matched one-to-one at IoU >= --iou; AP, the mean "
                    "over IoU thresholds 0.50, 0.55, ..., 0.95 of TP / (TP + FP + FN) (StarDist's "
                    "'accuracy', Cellpose's 'average precision'; not COCO's AP); PQ, the panoptic quality "
                    "at IoU 0.5 (Kirillov et al. 2019). A score with nothing to count is undefined "
                    "(precision with no predicted object, recall with no true object, F1, AP and PQ with "
                    "neither): 'n/a' in the table, null in the JSON.")
    e.add_argument("predicted", help="predicted instance labels (TIFF stack, file or folder)")
    e.add_argument("labels", help="true instance labels, same layout")
    e.add_argument("--json", action="store_true",
                   help="print strict JSON instead of a table: undefined scores are null, never NaN")
    e.add_argument("--iou", type=float, default=0.5,
                   help="IoU at which a pair matches for precision, recall and F1 (default 0.5; "
                        "AP and PQ keep their own thresholds)")
    e.set_defaults(func=evaluate_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, with a message on stderr).

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (UsageError, ValueError, FileNotFoundError, TypeError) as error:
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")
    return 2
