"""The command line on your own images: ``python -m unet_course train | segment | evaluate``,
and ``grade`` for a study group's leader.

::

    python -m unet_course train IMAGES LABELS --out MODEL [--minutes M | --steps N] [--resume M | --init M]
                                [--device D] [--channel N | --channels K] [options]
    python -m unet_course segment MODEL IMAGES --out DIR [--overwrite] [--probabilities] [--tta] [--device D]
    python -m unet_course evaluate PREDICTED LABELS [--json]
    python -m unet_course grade NOTEBOOKS... --out DIR [--overwrite] [--timeout S] [--workers N] [--lang en|ko]

``IMAGES``, ``LABELS`` and ``PREDICTED`` are TIFF stacks, single TIFF or PNG files, or folders of
them (:mod:`unet_course.data.imageset`); the ``train`` subcommand lives in :mod:`unet_course.cli_train`,
``grade`` (the learners' notebooks run and their exercise checks tabulated) in :mod:`unet_course.grading`.
Everything here only wires the package's public functions
together: :class:`~unet_course.data.scaling.Scaling`, :func:`~unet_course.data.targets.instance_targets`,
:class:`~unet_course.data.tiles.TileDataset` with the course's augmentation,
:func:`unet_course.train.fit`, :func:`~unet_course.segment.segment_image` and
:func:`~unet_course.metrics.instances.evaluate_instances`.

Bad input stops with a message on stderr and exit status 2 before any work starts; Ctrl-C stops
with exit status 130 and no traceback (``train`` writes the best model so far).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .cli_train import CPU_TILE, DEFAULTS, GPU_TILE, UsageError, choose_tile, split_validation, train_command
from .grading import grade_command

__all__ = ["main", "choose_tile", "split_validation"]


# --------------------------------------------------------------------------------------------
# segment
# --------------------------------------------------------------------------------------------


def _label_dtype(n: int) -> type:
    return np.uint16 if n <= np.iinfo(np.uint16).max else np.uint32


def _refuse_replacing(out: Path, targets: list[Path]) -> None:
    """Stop before any work when files ``segment`` would write exist already (``--overwrite`` allows it)."""
    names = [str(t.relative_to(out)) for t in targets if t.exists()]
    if names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise UsageError(f"--out {str(out)!r} already holds {len(names)} of the files segment would write ({shown}); "
                         "pass --overwrite to replace them, or choose another --out folder")


def segment_command(args: argparse.Namespace) -> int:
    """The ``segment`` subcommand: instance labels (and probabilities) for every input file.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    import tifffile
    from tqdm.auto import tqdm

    from . import runtime
    from .data.imageset import image_files, read_image_set
    from .files import write_atomically
    from .segment import load_model, segment_image

    device = runtime.resolve_device(args.device)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file; give a folder for the label images")
    files = image_files(args.images)
    if out.resolve() in {f.resolve().parent for f in files}:
        raise UsageError(f"--out {str(out)!r} is the folder of the input images; choose another folder")
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        raise UsageError("two input files share a name without extension; their outputs would overwrite each other")
    folders = [out, out / "probabilities"] if args.probabilities else [out]
    if folders[-1].exists() and not folders[-1].is_dir():
        raise UsageError(f"{str(folders[-1])!r} is a file; segment writes the probabilities into a folder of that name")
    if not args.overwrite:
        _refuse_replacing(out, [folder / f"{stem}.tif" for folder in folders for stem in stems])
    segmenter = load_model(args.model, device=device)
    channels, stored = int(segmenter.model.in_channels), segmenter.meta.get("channel")
    if args.channel is not None and channels > 1:
        raise UsageError(f"the model takes all {channels} channels of a frame; --channel picks one: leave it out")
    channel = args.channel if args.channel is not None else stored
    if args.channel is None and stored is not None:
        print(f"note: channel {stored} of every file, as in training (stored in the model)", file=sys.stderr)
    images = read_image_set(args.images, channel=channel, channels=channels if channel is None else 1)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    min_size = int(segmenter.meta.get("min_size", 0)) if args.min_size is None else args.min_size
    written: list[str] = []

    def write(path: Path, array: np.ndarray) -> None:
        write_atomically(path, lambda tmp: tifffile.imwrite(tmp, array, photometric="minisblack"))

    try:
        with tqdm(total=len(images), desc="segment", unit="frame", disable=args.quiet) as bar:
            for f, file in enumerate(images.files):
                results = []
                for k in images.frames_of(f):
                    results.append(segment_image(segmenter, images.frames[k], min_size=min_size, tta=args.tta))
                    bar.update(1)
                stack = np.stack([r.instances for r in results]) if len(results) > 1 else results[0].instances
                write(out / f"{file.stem}.tif", stack.astype(_label_dtype(int(stack.max(initial=0)))))
                n = sum(int(r.instances.max(initial=0)) for r in results)
                written.append(f"{out / f'{file.stem}.tif'}: {len(results)} frame(s), {n} object(s)")
                if args.probabilities:
                    write(out / "probabilities" / f"{file.stem}.tif", np.stack([r.probability for r in results])
                          if len(results) > 1 else results[0].probability)
                    written.append(f"{out / 'probabilities' / f'{file.stem}.tif'}: object probability, float32")
    except KeyboardInterrupt:
        print(f"interrupted: {sum(1 for w in written if 'frame(s)' in w)} of {len(images.files)} file(s) segmented; "
              "every file listed is complete, no other was written", file=sys.stderr)
        return 130
    finally:
        print("\n".join(written)) if written else None
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


IMAGES_HELP = "TIFF stack, TIFF/PNG file, ImageJ hyperstack or OME-TIFF (T, Z axes: frames), or a folder of them"


def _shared_options(p: argparse.ArgumentParser, work: str) -> None:
    """The options ``train`` and ``segment`` share: the device, the channel, the progress output."""
    p.add_argument("--device", default="auto",
                   help="auto (default: cuda when available, else cpu), cpu, cuda, cuda:N (GPU number N) or mps; "
                        "checked before any file is read")
    p.add_argument("--channel", type=int, default=None, metavar="N",
                   help=f"use channel N (0-based) of multi-channel images (an ImageJ/OME C axis, RGB samples) for {work}; "
                        + ("without it (or --channels) such images are refused" if work == "training" else
                           "default: the channel the model was trained on; a model trained on K channels reads all K"))
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar" + (" and no validation lines" if work == "training" else ""))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m unet_course``.

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    parser = argparse.ArgumentParser(
        prog="unet-course" if Path(sys.argv[0]).name == "unet-course" else "python -m unet_course",
        description="Train a U-Net on your own images, segment images into instances, evaluate instances; "
                    "grade a study group's notebooks.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a valid U-Net on images with instance labels",
                       description="Train a valid U-Net (weight map, elastic augmentation, overlap-tile) and write MODEL "
                                   "and its history. Ctrl-C stops after the current step and writes the best model "
                                   "so far (exit status 130).")
    t.add_argument("images", help=f"{IMAGES_HELP} (raw uint8/uint16/float)")
    t.add_argument("labels", help="instance labels (0 = background, one id per object), same layout as IMAGES, one channel")
    t.add_argument("--out", required=True,
                   help="model file to write (atomically), e.g. model.pt; beside it NAME.history.csv (one row per "
                        "validation: step, mean training loss since the previous row, val_iou, val_f1, seconds). "
                        "An existing file is replaced only if 'train' wrote it, the two always together")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, default=None, help="training time budget (default 3)")
    budget.add_argument("--steps", type=int, default=None,
                        help="train this many steps instead of a time budget (with --resume: this many more)")
    begin = t.add_mutually_exclusive_group()
    begin.add_argument("--resume", metavar="MODEL", default=None,
                       help="continue a run from a model file of 'train': its network, scaling rule, channels, "
                            "weights (the best validation's) and Adam state; steps count on from where it stopped")
    begin.add_argument("--init", metavar="MODEL", default=None,
                       help="fine-tune: start from the weights of MODEL (a model file of 'train' or a course checkpoint "
                            "such as unet_course/checkpoints/ch09_nuclei.pt) with a fresh Adam optimizer; the network's "
                            "settings come from MODEL (--base-channels/--depth/--channels that differ are an error)")
    _shared_options(t, "training")
    t.add_argument("--channels", type=int, default=None, metavar="K",
                   help="train on all K channels of multi-channel images (an ImageJ/OME C axis, RGB samples): the "
                        "network takes K input channels, each scaled by its own percentiles, and 'segment' then needs "
                        "K-channel images (default 1: grey)")
    t.add_argument("--val-fraction", type=float, default=0.2,
                   help="held out for validation: the last frames, or the last part of a single frame (default 0.2)")
    t.add_argument("--tile", type=int, default=None,
                   help=f"largest input tile side (default {CPU_TILE} on a CPU, {GPU_TILE} on a GPU; smaller for small images)")
    t.add_argument("--base-channels", type=int, default=None,
                   help=f"channels of the first level (paper: 64; default {DEFAULTS['base_channels']})")
    t.add_argument("--depth", type=int, default=None, help=f"poolings (paper: 4; default {DEFAULTS['depth']})")
    t.add_argument("--batch-size", type=int, default=2, help="tiles a step (default 2)")
    t.add_argument("--lr", type=float, default=None, help=f"Adam learning rate (default {DEFAULTS['lr']:g})")
    t.add_argument("--w0", type=float, default=10.0, help="weight map border term height (paper: 10)")
    t.add_argument("--sigma", type=float, default=5.0, help="weight map border term width in px (paper: 5)")
    t.add_argument("--low", type=float, default=None, help=f"percentile scaled to 0 (default {DEFAULTS['low']:g})")
    t.add_argument("--high", type=float, default=None, help=f"percentile scaled to 1 (default {DEFAULTS['high']:g})")
    t.add_argument("--eval-every", type=int, default=50, help="validate every N steps, keep the best (default 50)")
    t.add_argument("--min-size", type=int, default=None,
                   help="drop predicted objects below this many pixels, stored in MODEL for 'segment' "
                        "(default: a tenth of the median training object's area, at least 4)")
    t.add_argument("--workers", type=int, default=None,
                   help="processes preparing tiles in the background (default: none on a CPU, where a tile costs "
                        "about 6 ms against 250+ ms for a step on 2 cores; see unet_course.runtime.data_workers)")
    t.add_argument("--seed", type=int, default=0, help="seeds the initialisation, the tiles and their augmentation (default 0)")
    t.set_defaults(func=train_command)

    s = sub.add_parser("segment", help="segment images into instances with a trained model",
                       description="Overlap-tile segmentation of whole images; writes instance labels as TIFF.")
    s.add_argument("model", help="a model file written by 'train'")
    s.add_argument("images", help=IMAGES_HELP)
    s.add_argument("--out", required=True, help="folder for NAME.tif (one per input file; a stack for a stack)")
    s.add_argument("--overwrite", action="store_true",
                   help="replace files of the same names in OUT (without it, segment names them and stops before any work)")
    s.add_argument("--probabilities", action="store_true", help="also write object probabilities to OUT/probabilities/")
    s.add_argument("--tta", action="store_true",
                   help="test-time averaging: the object probability averaged over the 8 rotations and flips of each "
                        "image (8 times the time)")
    s.add_argument("--min-size", type=int, default=None, help="drop objects below this many pixels (default: the model's)")
    _shared_options(s, "segmentation")
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

    g = sub.add_parser(
        "grade", help="run learners' notebooks and tabulate their exercise checks",
        description="Run each learner's notebook in a fresh kernel (a temporary copy: the learners' files are only "
                    "read) and write OUT/grades.csv and OUT/grades.html: per learner and exercise right, not yet, "
                    "not answered, error (the check or its answer cell raised) or not reached (the notebook stopped "
                    "before the check, or has none), each notebook's status and the totals per exercise. The "
                    "notebooks run the learners' code: grade notebooks you would run yourself.")
    g.add_argument("notebooks", nargs="+", metavar="NOTEBOOK",
                   help="learners' notebooks (.ipynb) or folders of them (subfolders searched, hidden ones skipped)")
    g.add_argument("--out", required=True, help="folder for grades.csv and grades.html (created)")
    g.add_argument("--overwrite", action="store_true",
                   help="replace grades.csv and grades.html in OUT (without it, grade names them and stops before any work)")
    g.add_argument("--names", choices=("auto", "file", "folder"), default="auto",
                   help="learner names: 'file' from the file name (alice.ipynb -> alice), 'folder' from the notebook's "
                        "folder (alice/05_unet_architecture.ipynb -> alice); 'auto' (default): 'folder' when two "
                        "notebooks share a file name or every file name starts with a chapter number (05_...) and "
                        "no folder holds two of one chapter, else 'file'")
    g.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                   help="time limit of each notebook, its kernel's start included (default 300)")
    g.add_argument("--workers", type=int, default=1,
                   help="notebooks run at a time (default 1; each kernel takes a CPU core or more and its memory)")
    g.add_argument("--kernel", default="python3", help="Jupyter kernel to run them with (default python3)")
    g.add_argument("--lang", choices=("en", "ko"), default=None,
                   help="language of grades.html (default: UNET_COURSE_LANG, else en); grades.csv is always English")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=grade_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, with a message on stderr;
    130 after Ctrl-C).

    Serves: the paper's method on one's own images (valid U-Net section 2, weight map eq. 2, augmentation section 3.1, overlap-tile Fig. 2); chapters 05-09 applied (README).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (UsageError, ValueError, FileNotFoundError, TypeError) as error:
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")
    except KeyboardInterrupt:  # Ctrl-C outside the steps that handle it: whatever was being written stays as it was
        print(f"\n{parser.prog} {args.command}: interrupted (Ctrl-C); nothing more was written", file=sys.stderr)
        return 130
    return 2
