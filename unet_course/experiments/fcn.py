"""Data, training and evaluation for the FCN chapters (02-04).

- :func:`round_and_rod_cells`: one image of separate round cells (class 1) and rod-shaped cells
  (class 2), rendered like fluorescence; the class is told by the shape alone.
- :func:`shape_scenes` and :func:`cell_scenes`: batches of such images (or of
  :func:`unet_course.data.synthetic_cells`) with semantic labels, as tensors.
- :func:`center_patches`: patches cut around random pixels, labelled by the class of their
  centre pixel: the classification data set of chapter 02.
- :func:`train_segmenter`: a short, seeded training run with :func:`unet_course.train.fit`
  (Adam, pixel-wise cross-entropy, random flips from :class:`RandomDraws`).
- :func:`evaluate_segmenter`: mean IoU and boundary F-score of a model on a data set.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage as ndi
from torch import nn
from tqdm.auto import tqdm

from .. import metrics, runtime
from ..metrics.boundary import boundary_f_score
from ..tiling import predict_batch
from ..train import fit
from ..data import CellSample, synthetic_cells
from ..data.cells import render_fluorescence
from ..data.sets import SegmentationSet, stack_samples

__all__ = [
    "round_and_rod_cells",
    "shape_scenes",
    "cell_scenes",
    "center_patches",
    "RandomDraws",
    "train_segmenter",
    "evaluate_segmenter",
    "compare_fcn_variants",
    "CURVE_RECIPE",
    "fcn_learning_curve",
    "fcn_plateau_curves",
    "load_fcn_curves",
    "curves_path",
]


def round_and_rod_cells(
    size: int | tuple[int, int] = 128,
    n_cells: int = 7,
    *,
    round_radius: tuple[float, float] = (9.0, 14.0),
    rod_length: tuple[float, float] = (36.0, 56.0),
    rod_width: tuple[float, float] = (9.0, 13.0),
    gap: int = 2,
    noise: float = 0.05,
    seed: int = 0,
) -> CellSample:
    """Separate round cells (class 1) and rod-shaped cells (class 2) on a dark background.

    Round cells are slightly wobbly discs of radius ``round_radius``; rods are capsules (a
    rectangle with round caps) of total length ``rod_length`` and width ``rod_width`` at a
    random angle. Both classes are drawn with equal probability and rendered alike by
    :func:`~unet_course.data.cells.render_fluorescence` (random brightness per cell), so the
    shape is what tells them apart.
    Cells are placed at random without overlapping and at least ``gap`` pixels apart; a cell that
    finds no room after 50 tries is left out.

    Returns:
        :class:`~unet_course.data.CellSample` with ``instances`` ``(H, W)`` int32 ids 1..N and
        ``classes`` ``(N + 1,)`` int64 (1 round, 2 rod).

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    h, w = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if min(h, w) < 32:
        raise ValueError(f"size must be at least 32 pixels, got {size!r}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    instances = np.zeros((h, w), dtype=np.int32)
    occupied = np.zeros((h, w), dtype=bool)
    classes = [0]
    for _ in range(n_cells):
        kind = int(rng.integers(1, 3))
        for _attempt in range(50):
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            if kind == 1:
                r = rng.uniform(*round_radius)
                angle = np.arctan2(yy - cy, xx - cx)
                wobble = 1 + 0.08 * np.sin(3 * angle + rng.uniform(0, 2 * np.pi))
                mask = np.hypot(yy - cy, xx - cx) <= r * wobble
            else:
                length, width = rng.uniform(*rod_length), rng.uniform(*rod_width)
                theta = rng.uniform(0, np.pi)
                u = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)
                v = -(xx - cx) * np.sin(theta) + (yy - cy) * np.cos(theta)
                half = (length - width) / 2  # the straight part; the caps add width / 2 each end
                mask = np.hypot(np.clip(np.abs(u) - half, 0, None), v) <= width / 2
            if mask.sum() < 10:
                continue
            grown = ndi.binary_dilation(mask, iterations=gap) if gap > 0 else mask
            if (grown & occupied).any():
                continue
            classes.append(kind)
            instances[mask] = len(classes) - 1
            occupied |= mask
            break
    image = render_fluorescence(instances, noise=noise, seed=seed + 1)
    return CellSample(image=image, instances=instances, classes=np.asarray(classes, dtype=np.int64))


def shape_scenes(n: int, size: int = 128, *, n_cells: int | None = None, seed: int = 0, **options) -> SegmentationSet:
    """``n`` images of :func:`round_and_rod_cells` (image ``i`` has seed ``seed + i``) with labels.

    ``n_cells`` defaults to about one per 2300 pixels (7 in 128 x 128); three classes:
    0 background, 1 round, 2 rod.

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    n_cells = max(1, round(size * size / 2300)) if n_cells is None else n_cells
    samples = [round_and_rod_cells(size, n_cells, seed=seed + i, **options) for i in range(n)]
    return stack_samples(samples, 3)


def cell_scenes(
    n: int,
    size: int = 96,
    *,
    n_cells: int | None = None,
    n_types: int = 2,
    seed: int = 0,
    **cell_options,
) -> SegmentationSet:
    """``n`` synthetic cell images with their semantic labels (class per pixel).

    Image ``i`` is ``synthetic_cells(size, n_cells, n_types=n_types, seed=seed + i, ...)``.

    Args:
        n: number of images.
        size: image side in pixels.
        n_cells: cells per image; default about one per 650 pixels (14 in 96 x 96).
        n_types: cell classes; the labels have ``n_types + 1`` classes with the background.
        seed: seed of the first image.
        **cell_options: passed to :func:`~unet_course.data.synthetic_cells` (``radius``,
            ``elongation``, ``noise``, ...).

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    n_cells = max(1, round(size * size / 650)) if n_cells is None else n_cells
    samples = [synthetic_cells(size, n_cells, n_types=n_types, seed=seed + i, **cell_options) for i in range(n)]
    return stack_samples(samples, n_types + 1)


def center_patches(
    data: SegmentationSet,
    n: int,
    patch_size: int,
    *,
    seed: int = 0,
    balanced: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut ``n`` square patches from ``data``, each labelled by the class of its centre pixel.

    The centre pixel of a ``p x p`` patch is at ``(p // 2, p // 2)``. Centres are drawn only
    where the whole patch fits inside the image. With ``balanced=True`` every class gets about
    the same number of patches.

    Returns:
        ``(patches, labels)``: ``(n, 1, p, p)`` float32 and ``(n,)`` int64.

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    _, _, h, w = data.images.shape
    if patch_size > min(h, w):
        raise ValueError(f"patch_size {patch_size} does not fit images of {h} x {w}")
    rng = np.random.default_rng(seed)
    half = patch_size // 2
    lo_r, hi_r = half, h - (patch_size - half)  # centre rows such that the patch fits
    lo_c, hi_c = half, w - (patch_size - half)
    inner = data.targets[:, lo_r : hi_r + 1, lo_c : hi_c + 1].numpy()
    if balanced:
        present = [c for c in range(data.num_classes) if (inner == c).any()]
        per_class = np.array_split(np.arange(n), len(present))
        picks = []
        for c, idx in zip(present, per_class):
            where = np.argwhere(inner == c)
            picks.append(where[rng.integers(len(where), size=len(idx))])
        where = np.concatenate(picks)
        where = where[rng.permutation(len(where))]
    else:
        where = np.stack(
            [rng.integers(len(data), size=n), rng.integers(0, hi_r - lo_r + 1, size=n), rng.integers(0, hi_c - lo_c + 1, size=n)],
            axis=1,
        )
    patches = torch.empty(n, 1, patch_size, patch_size)
    labels = torch.empty(n, dtype=torch.int64)
    for k, (i, r, c) in enumerate(where):
        top, left = r, c  # inner coordinates are offsets of the patch's top-left corner
        patches[k] = data.images[i, :, top : top + patch_size, left : left + patch_size]
        labels[k] = data.targets[i, top + half, left + half]
    return patches, labels


class RandomDraws:
    """Training samples for :func:`unet_course.train.fit` (chapters 02-04): called with a seeded
    ``numpy.random.Generator``, returns one ``(image, target)`` drawn uniformly with replacement
    and, with ``flips`` and dense ``(H, W)`` targets, flipped left-right and/or up-down at random,
    image and target alike (FCN trains on few images, so flips double their variety)."""

    def __init__(self, inputs: torch.Tensor, targets: torch.Tensor, flips: bool = True) -> None:
        if len(inputs) != len(targets) or len(inputs) == 0:
            raise ValueError(f"need as many targets as inputs, and at least one: got {len(inputs)} and {len(targets)}")
        self.inputs, self.targets, self.flips = inputs, targets, flips

    def __call__(self, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        i = int(rng.integers(len(self.inputs)))
        x, y = self.inputs[i], self.targets[i]
        if self.flips and y.dim() == 2:
            if rng.random() < 0.5:
                x, y = x.flip(-1), y.flip(-1)
            if rng.random() < 0.5:
                x, y = x.flip(-2), y.flip(-2)
        return x, y


def _cross_entropy(logits: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Unweighted cross-entropy for pixel maps ``(B, K, H, W)`` and patch scores ``(B, K)`` alike."""
    return F.cross_entropy(logits, target)


def train_segmenter(
    model: nn.Module,
    data: SegmentationSet | tuple[torch.Tensor, torch.Tensor],
    *,
    steps: int,
    batch_size: int = 8,
    lr: float = 1e-2,
    seed: int = 0,
    flips: bool = True,
    desc: str | None = None,
    progress: bool = True,
) -> list[float]:
    """Train ``model`` with Adam on pixel-wise (or patch-wise) cross-entropy; return the losses.

    The course's one training loop, :func:`unet_course.train.fit`, with :class:`RandomDraws`:
    each step draws ``batch_size`` samples with replacement (seeded by ``seed`` and the step)
    and, with ``flips``, flips each at random, image and labels alike. Parameters with
    ``requires_grad=False`` (fixed upsampling) get no gradient and stay as they are. Chapters
    02-04 (FCN paper section 4.1's training, in miniature).

    Args:
        model: maps ``(B, C, H, W)`` to ``(B, K, H, W)`` scores, or to ``(B, K)`` for patches.
        data: :class:`SegmentationSet` or ``(inputs, targets)`` tensors.
        steps: number of optimisation steps.

    Returns:
        the loss of every step (floats). The model stays on :func:`unet_course.runtime.device`.
    """
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
    inputs, targets = (data.images, data.targets) if isinstance(data, SegmentationSet) else data
    history = fit(model, RandomDraws(inputs, targets, flips), steps=steps, optimizer="adam", lr=lr,
                  batch_size=batch_size, seed=seed, loss_fn=_cross_entropy, progress=progress,
                  desc=desc or "training")
    return [float(v) for v in history.loss]


def evaluate_segmenter(model: nn.Module, data: SegmentationSet, *, tolerance: float = 2.0) -> dict[str, float]:
    """Mean IoU and boundary F-score (tolerance in pixels) of ``model`` on ``data``.

    Both are computed per image and averaged over the images.

    Returns:
        ``{"mean_iou": ..., "boundary_f": ..., "boundary_precision": ..., "boundary_recall": ...}``

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    pred = predict_batch(model, data.images).argmax(1).numpy()
    target = data.targets.numpy()
    ious, scores = [], []
    for p, t in zip(pred, target):
        ious.append(metrics.mean_iou(p, t, data.num_classes))
        scores.append(boundary_f_score(p, t, tolerance))
    return {
        "mean_iou": float(np.mean(ious)),
        "boundary_f": float(np.mean([s.f_score for s in scores])),
        "boundary_precision": float(np.mean([s.precision for s in scores])),
        "boundary_recall": float(np.mean([s.recall for s in scores])),
    }


def compare_fcn_variants(
    train: SegmentationSet,
    test: SegmentationSet,
    *,
    variants: tuple[str, ...] = ("32s", "16s", "8s"),
    steps: int,
    batch_size: int = 4,
    lr: float = 1e-2,
    seed: int = 0,
    tolerance: float = 2.0,
    progress: bool = True,
    **model_options,
) -> tuple[dict[str, dict[str, float]], dict[str, nn.Module]]:
    """Train one FCN per variant on the same data, seed and step budget, and evaluate each.

    Every variant starts from ``runtime.seed_everything(seed)`` (so the layers the variants share
    start from the same weights) and sees the same batches in the same order.

    Args:
        train, test: the data sets.
        variants: FCN variants to train.
        steps, batch_size, lr: the budget, as in :func:`train_segmenter`.
        tolerance: boundary tolerance in pixels for :func:`evaluate_segmenter`.
        **model_options: passed to :class:`~unet_course.models.FCN` (``widths``, ...).

    Returns:
        ``(results, models)``: ``results[variant]`` is :func:`evaluate_segmenter`'s dict plus
        ``"final_loss"`` (mean of the last 10 steps) and ``"seconds"`` (training time);
        ``models[variant]`` the trained network in eval mode.

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    import time

    from ..models import FCN

    results, models = {}, {}
    for variant in variants:
        runtime.seed_everything(seed)
        model = FCN(variant, train.images.shape[1], train.num_classes, **model_options)
        start = time.perf_counter()
        losses = train_segmenter(
            model, train, steps=steps, batch_size=batch_size, lr=lr, seed=seed, desc=f"FCN-{variant}", progress=progress
        )
        seconds = time.perf_counter() - start
        results[variant] = {**evaluate_segmenter(model, test, tolerance=tolerance), "final_loss": float(np.mean(losses[-10:])), "seconds": seconds}
        models[variant] = model
    return results, models


# --------------------------------------------------------------------------------------------
# Training to a plateau (chapter 04): held-out score against steps, one curve per variant
# --------------------------------------------------------------------------------------------

CURVE_RECIPE: dict = dict(
    n_train=32,
    n_val=16,
    n_test=16,
    size=128,
    train_seed=0,
    val_seed=2 * 10**6,
    test_seed=10**6,
    batch_size=4,
    lr=1e-2,
    seed=0,
    eval_every=100,
    patience=6,
    min_delta=0.005,
    max_steps=4000,
    tolerance=2.0,
    model=dict(widths=(8, 16, 32, 32, 32), convs_per_block=(1, 1, 1, 1, 1), fc_channels=64, fc_kernel=3,
               dropout=0.0, batch_norm=True),
)
"""The course's recipe for chapter 04's curves: the quick profile's FCNs and data, Adam at a
constant learning rate, the held-out (validation) mean IoU measured every ``eval_every`` steps,
training stopped after ``patience`` evaluations without a gain of ``min_delta``."""


def fcn_learning_curve(
    variant: str,
    train: SegmentationSet,
    val: SegmentationSet,
    *,
    max_steps: int,
    eval_every: int,
    patience: int,
    min_delta: float = 0.0,
    batch_size: int = 4,
    lr: float = 1e-2,
    seed: int = 0,
    tolerance: float = 2.0,
    progress: bool = True,
    **model_options,
) -> tuple[dict, nn.Module]:
    """Train one FCN variant and record its held-out score every ``eval_every`` steps.

    The model starts from ``runtime.seed_everything(seed)`` and trains exactly as
    :func:`train_segmenter` does (:func:`unet_course.train.fit`, Adam, :class:`RandomDraws`),
    ``eval_every`` steps at a time, evaluating ``val`` (mean IoU and boundary
    F-score, :func:`evaluate_segmenter`) at step 0 and every ``eval_every`` steps. Training stops
    when the best validation mean IoU has not improved by more than ``min_delta`` for
    ``patience`` evaluations in a row, or at ``max_steps``.

    Returns:
        ``(curve, model)``: ``curve`` has ``"steps"``, ``"mean_iou"``, ``"boundary_f"``
        (lists, one entry per evaluation), ``"best_step"``, ``"stopped_at"`` and
        ``"plateau"`` (True when stopped by ``patience``, False at ``max_steps``); ``model``
        carries the weights of the best evaluation.

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    from ..models import FCN

    if max_steps < 1 or eval_every < 1 or patience < 1:
        raise ValueError(f"max_steps, eval_every and patience must be >= 1, got {max_steps}, {eval_every}, {patience}")
    runtime.seed_everything(seed)
    model = FCN(variant, train.images.shape[1], train.num_classes, **model_options)
    draws = RandomDraws(train.images, train.targets, flips=True)
    curve = {"variant": variant, "steps": [], "mean_iou": [], "boundary_f": []}
    best, best_step, best_state, waited = -1.0, 0, None, 0

    def record(step: int) -> bool:
        nonlocal best, best_step, best_state, waited
        scores = evaluate_segmenter(model, val, tolerance=tolerance)
        curve["steps"].append(step)
        curve["mean_iou"].append(scores["mean_iou"])
        curve["boundary_f"].append(scores["boundary_f"])
        if scores["mean_iou"] > best + min_delta:
            best, best_step, waited = scores["mean_iou"], step, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
        return waited >= patience

    stop = record(0)
    step = 0
    bar = tqdm(total=max_steps, desc=f"FCN-{variant}", disable=not progress, leave=False)
    with tempfile.TemporaryDirectory() as folder:
        # fit runs eval_every steps at a time and resumes from its checkpoint (model and Adam's
        # state): step s depends only on (seed, s), so the pieces equal one uninterrupted run
        run = Path(folder) / "run.pt"
        while not stop and step < max_steps:
            end = min(step + eval_every, max_steps)
            fit(model, draws, steps=end, optimizer="adam", lr=lr, batch_size=batch_size, seed=seed,
                loss_fn=_cross_entropy, checkpoint=run, resume=True, progress=False)
            bar.update(end - step)
            step = end
            if step % eval_every == 0:
                stop = record(step)
    bar.close()
    curve.update(best_step=best_step, stopped_at=step, plateau=bool(stop))
    model.load_state_dict(best_state)
    return curve, model


def _recipe_data(recipe: dict) -> tuple[SegmentationSet, SegmentationSet, SegmentationSet]:
    return (
        shape_scenes(recipe["n_train"], recipe["size"], seed=recipe["train_seed"]),
        shape_scenes(recipe["n_val"], recipe["size"], seed=recipe["val_seed"]),
        shape_scenes(recipe["n_test"], recipe["size"], seed=recipe["test_seed"]),
    )


def fcn_plateau_curves(
    recipe: dict | None = None,
    *,
    variants: tuple[str, ...] = ("32s", "16s", "8s"),
    progress: bool = True,
) -> tuple[dict, dict[str, nn.Module]]:
    """Train every variant of :data:`CURVE_RECIPE` (or ``recipe``) to its plateau.

    Returns:
        ``(result, models)``: ``result = {"recipe": ..., "curves": {variant: curve}, "test":
        {variant: scores}}`` (test scores of the best-validation weights, with
        :func:`evaluate_segmenter`), ``models[variant]`` the best-validation network.

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    recipe = dict(CURVE_RECIPE if recipe is None else recipe)
    train, val, test = _recipe_data(recipe)
    curves, tests, models = {}, {}, {}
    for v in variants:
        curve, model = fcn_learning_curve(
            v, train, val, max_steps=recipe["max_steps"], eval_every=recipe["eval_every"],
            patience=recipe["patience"], min_delta=recipe["min_delta"], batch_size=recipe["batch_size"],
            lr=recipe["lr"], seed=recipe["seed"], tolerance=recipe["tolerance"], progress=progress,
            **recipe["model"],
        )
        curves[v], models[v] = curve, model.cpu()
        tests[v] = evaluate_segmenter(model, test, tolerance=recipe["tolerance"])
    return {"recipe": recipe, "curves": curves, "test": tests}, models


def curves_path() -> Path:
    """``unet_course/checkpoints/ch04_fcn_curves.pt``: the shipped curves and best weights.

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    from ..train import CHECKPOINT_DIR

    return CHECKPOINT_DIR / "ch04_fcn_curves.pt"


def load_fcn_curves(path: str | Path | None = None) -> tuple[dict, dict[str, nn.Module]]:
    """The shipped result of :func:`fcn_plateau_curves` and its three networks (on the CPU;
    predict with :func:`unet_course.tiling.predict_batch`, which sets eval mode).

    ``path``: a file written by ``python -m unet_course.experiments ch04_fcn_curves`` (default:
    :func:`curves_path`). Read with ``torch.load(weights_only=True)``, like every file the package
    loads: tensors and plain data only. A file holding other pickled objects (which could run code
    while they are unpickled) raises ``ValueError`` naming the object, before anything is built.

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    import pickle

    from ..models import FCN

    path = curves_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no curves file at {str(path)!r}; python -m unet_course.experiments ch04_fcn_curves "
                                "writes one")
    try:
        # TorchVersion (a str subclass): the shipped file stored torch.__version__ as it is
        with torch.serialization.safe_globals([torch.torch_version.TorchVersion]):
            blob = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r"GLOBAL (\S+)", str(error))
        raise ValueError(
            f"{str(path)!r} holds a pickled object other than tensors and plain data"
            f"{f' ({found.group(1)})' if found else ''}, which is not loaded: unpickling it could run code. "
            "A curves file holds only tensors, numbers, strings, lists and dicts; make one with "
            "python -m unet_course.experiments ch04_fcn_curves --out DIR"
        ) from None
    if not isinstance(blob, dict) or not isinstance(blob.get("result"), dict) or not isinstance(blob.get("weights"), dict):
        raise ValueError(f"{str(path)!r} is not a curves file: expected a dict with 'result' and 'weights' "
                         "(python -m unet_course.experiments ch04_fcn_curves writes one)")
    result = blob["result"]
    models = {}
    for v, state in blob["weights"].items():
        model = FCN(v, 1, 3, **result["recipe"]["model"])
        model.load_state_dict(state)
        models[v] = model
    return result, models
