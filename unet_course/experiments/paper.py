"""Chapter 09's experiments (실험): the paper's Table 1 and Table 2 in miniature, and an ablation.

Every number of chapter 09 comes from one pipeline:

1. a **task** gives full-size training images and held-out test images with labels:
   ``"isbi"`` (ISBI 2012 slices 00-24 for training, 25-29 held out), ``"em_synthetic"`` (the
   synthetic EM-like stand-in where the ISBI data is absent), ``"phase_contrast"`` and ``"dic"``
   (synthetic touching cells rendered like PhC-U373 and DIC-HeLa), ``"nuclei"`` (the real
   stardist nuclei image: the left three quarters for training, the right quarter held out);
2. :class:`unet_course.data.tiles.TileDataset` draws random training tiles from the training
   images with the paper's augmentation (:class:`unet_course.augment.Augmenter`: rotation, flips,
   grey values and, optionally, the elastic deformation on a 3x3 grid with 10 px standard
   deviation), image, labels and weight map warped alike; positions outside an image are
   mirrored;
3. :func:`unet_course.train.fit` trains a :class:`~unet_course.models.UNet` with the weighted
   pixel-wise cross-entropy; the weight map is the paper's eq. 2 (``w0 = 10``, ``sigma = 5``) for
   cells, or the class balance ``w_c`` alone;
4. :func:`unet_course.tiling.predict_probability` segments each whole test image with the
   overlap-tile strategy (:func:`unet_course.tiling.predict_tiled`, ``pad_mode`` mirror or zero)
   and :func:`evaluate` scores it: the ISBI 2012 errors for EM; foreground IoU, instance F1 at
   IoU >= 0.5 and the IoU of a band along the image border for cells.

:data:`RECIPES` fixes each quick-profile model; ``python -m unet_course.experiments NAME...``
(:mod:`unet_course.experiments.registry`) trains them and writes ``NAME.pt`` with their test
scores in the metadata; the chapter loads the shipped ones instead of training for minutes on a
CPU. :func:`full_profile` scales a recipe
to the paper-size network for a GPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from .. import runtime
from ..data.sets import SegmentationSet, class_set, instance_set

__all__ = [
    "CELL_TASKS",
    "EM_TASKS",
    "PAPER_TABLE1",
    "PAPER_TABLE2",
    "RECIPES",
    "ExperimentRecipe",
    "ExperimentRun",
    "SegmentationSet",
    "augmenter",
    "checkpoint_path",
    "evaluate",
    "full_profile",
    "load_experiment",
    "markdown_table",
    "run_experiment",
    "task_data",
]

EM_TASKS: tuple[str, ...] = ("isbi", "em_synthetic")
CELL_TASKS: tuple[str, ...] = ("phase_contrast", "dic", "nuclei")
TASKS: tuple[str, ...] = EM_TASKS + CELL_TASKS

#: Table 1 of the paper: the ISBI 2012 EM segmentation challenge's leaderboard of March 6th,
#: 2015, on the challenge's *test* stack (labels never published), sorted by warping error:
#: (rank, group, warping error, Rand error, pixel error); rank "" for the human annotators.
PAPER_TABLE1: tuple[tuple[str, str, float, float, float], ...] = (
    ("", "** human values **", 0.000005, 0.0021, 0.0010),
    ("1", "u-net", 0.000353, 0.0382, 0.0611),
    ("2", "DIVE-SCI", 0.000355, 0.0305, 0.0584),
    ("3", "IDSIA", 0.000420, 0.0504, 0.0613),
    ("4", "DIVE", 0.000430, 0.0545, 0.0582),
    ("10", "IDSIA-SCI", 0.000653, 0.0189, 0.1027),
)

#: Table 2 of the paper: IoU on the ISBI cell tracking challenge 2015, (name, PhC-U373,
#: DIC-HeLa); ``None`` where a team did not submit.
PAPER_TABLE2: tuple[tuple[str, float | None, float | None], ...] = (
    ("IMCB-SG (2014)", 0.2669, 0.2935),
    ("KTH-SE (2014)", 0.7953, 0.4607),
    ("HOUS-US (2014)", 0.5323, None),
    ("second-best 2015", 0.83, 0.46),
    ("u-net (2015)", 0.9203, 0.7756),
)


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def task_data(
    task: str,
    *,
    weighted: bool = True,
    train_images: int = 4,
    test_images: int = 4,
    image_size: int = 256,
    n_cells: int = 40,
    seed: int = 0,
    root: str | None = None,
    test_only: bool = False,
    shear_angle: float | None = None,
) -> tuple[SegmentationSet | None, SegmentationSet]:
    """Training and held-out test sets of a task.

    Args:
        task: one of ``"isbi"``, ``"em_synthetic"``, ``"phase_contrast"``, ``"dic"``, ``"nuclei"``.
        weighted: cells: the paper's weight map (``w0 = 10``, ``sigma = 5``); ``False``: the
            class balance ``w_c`` only. EM always uses ``w_c`` (the membrane class separates the
            cells there).
        train_images, test_images, image_size, n_cells: synthetic tasks only: how many images
            of which side, with how many cells (EM: the slice count and side; ISBI and nuclei
            have fixed splits).
        seed: synthetic tasks: training image ``k`` uses seed ``1000 seed + k``, test image
            ``k`` seed ``1000 seed + 500 + k``.
        root: ISBI folder (default ``$UNET_COURSE_DATA``).
        test_only: build the test set only (``train`` is ``None``), for scoring a trained model.
        shear_angle: ``"dic"`` only: one shear direction (radians) for every image, as one
            microscope gives it (:func:`unet_course.data.cells.render_dic`); ``None``: one drawn
            per image.

    Returns:
        ``(train, test)`` :class:`SegmentationSet`.

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """
    from ..weightmap import class_balance_weights

    if task not in TASKS:
        raise ValueError(f"task={task!r} is unknown; use one of {', '.join(TASKS)}")
    if task in EM_TASKS:
        if task == "isbi":
            from ..data import load_isbi2012, split_by_slice

            train, test = split_by_slice(load_isbi2012(root), 5)
            train_x, train_y, test_x, test_y = train.images, train.labels, test.images, test.labels
        else:
            from ..data import synthetic_em

            tr = [synthetic_em(image_size, seed=1000 * seed + k) for k in range(0 if test_only else train_images)]
            te = [synthetic_em(image_size, seed=1000 * seed + 500 + k) for k in range(test_images)]
            train_x, train_y = [s.image for s in tr], [s.labels for s in tr]
            test_x, test_y = [s.image for s in te], [s.labels for s in te]
        # test weights are not used for scoring; balance them on the test labels when there is no train set
        wc = class_balance_weights(list(test_y if test_only else train_y), 2)
        return (None if test_only else class_set(train_x, train_y, wc)), class_set(test_x, test_y, wc)
    if task == "nuclei":
        from skimage.segmentation import relabel_sequential

        from ..data import load_nuclei

        sample = load_nuclei()
        cut = sample.image.shape[1] * 3 // 4
        left = relabel_sequential(sample.instances[:, :cut])[0]
        right = relabel_sequential(sample.instances[:, cut:])[0]
        return (None if test_only else instance_set([sample.image[:, :cut]], [left], weighted),
                instance_set([sample.image[:, cut:]], [right], weighted))
    from ..data import synthetic_cells

    if shear_angle is not None and task != "dic":
        raise ValueError(f"shear_angle applies to the task 'dic' only, got task={task!r}")
    extra = {} if shear_angle is None else {"shear_angle": shear_angle}

    def draw(k: int):
        return synthetic_cells(image_size, n_cells, rendering=task, seed=k, **extra)

    te = [draw(1000 * seed + 500 + k) for k in range(test_images)]
    test = instance_set([s.image for s in te], [s.instances for s in te], weighted)
    if test_only:
        return None, test
    tr = [draw(1000 * seed + k) for k in range(train_images)]
    return instance_set([s.image for s in tr], [s.instances for s in tr], weighted), test


# --------------------------------------------------------------------------------------------
# prediction and scores
# --------------------------------------------------------------------------------------------


def _border_band(shape: tuple[int, int], band: int) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[:band], mask[-band:], mask[:, :band], mask[:, -band:] = True, True, True, True
    return mask


def evaluate(model: nn.Module, test: SegmentationSet, task: str, *, pad_mode: str = "mirror",
             band: int = 16, progress: bool = False, transforms: Sequence[str] | None = None) -> dict[str, float]:
    """Scores of ``model`` on the held-out images of ``task``.

    EM tasks, means over the test slices: ``warping_error``, ``rand_error`` (1 - best Rand
    F-score over thresholds 0.0..1.0), ``pixel_error`` (mismatch fraction at 0.5) and
    ``pixel_fscore_error`` (1 - best pixel F-score), all of :mod:`unet_course.metrics.isbi`.

    Cell tasks, pooled over the test images: ``iou`` (foreground IoU at 0.5), ``border_iou``
    (the same within ``band`` px of the image edge), and ``precision``, ``recall``, ``f1`` of the
    predicted instances (4-connected components of the foreground) matched to the true ones at
    IoU >= 0.5.

    ``transforms`` (names of :data:`unet_course.tiling.DIHEDRAL`) scores the prediction averaged
    over those rotated / flipped copies of each image
    (:func:`unet_course.tiling.predict_probability`); ``None`` scores a single prediction.
    ``pad_mode``: ``"mirror"`` (the paper) or ``"zero"`` beyond the image border.

    Returns:
        A dict of floats (plus ``images``, the number of test images).

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """
    from tqdm.auto import tqdm

    from .. import tiling

    if transforms is not None:
        transforms = tiling._check_transforms(tuple(transforms))

    from ..metrics import pixel_error, pixel_fscore_error, rand_error, warping_error
    from ..metrics.instances import evaluate_instances, instances_from_foreground

    rows: list[dict[str, float]] = []
    predicted, truths = [], []
    b_inter = b_union = 0
    for k in tqdm(range(len(test)), desc=f"scoring {task}", disable=not progress, leave=False):
        prob = tiling.predict_probability(model, test.images[k], pad_mode, transforms=transforms)
        target = test.targets[k]
        if task in EM_TASKS:
            rows.append({
                "warping_error": warping_error(prob, target),
                "rand_error": rand_error(prob, target),
                "pixel_error": pixel_error(prob, target),
                "pixel_fscore_error": pixel_fscore_error(prob, target),
            })
            continue
        truth = test.instances[k]
        fg, true_fg = prob > 0.5, truth > 0
        edge = _border_band(fg.shape, band)
        b_inter += int(np.count_nonzero(fg & true_fg & edge))
        b_union += int(np.count_nonzero((fg | true_fg) & edge))
        predicted.append(instances_from_foreground(fg))
        truths.append(truth)
    if task in EM_TASKS:
        out = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
    else:
        pooled = evaluate_instances(predicted, truths).pooled  # pixels and matches summed over the images
        out = {"iou": pooled["iou"], "border_iou": b_inter / b_union if b_union else float("nan"),
               **{key: pooled[key] for key in ("precision", "recall", "f1")}}
    out["images"] = float(len(test))
    return out


# --------------------------------------------------------------------------------------------
# recipes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentRecipe:
    """One model of chapter 09: task, network, augmentation, schedule.

    ``tile`` is the side of the training input tile; a ``padding="same"`` network needs a
    multiple of ``2**depth`` and a valid one a valid input size (see
    :meth:`~unet_course.models.UNet.valid_input_size`).
    """

    description: str
    task: str
    base_channels: int = 8
    depth: int = 3
    padding: str = "valid"
    dropout: float = 0.0
    tile: int = 164
    weighted: bool = True
    elastic: bool = True
    steps: int = 1200
    batch_size: int = 2
    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.99
    lr_schedule: str | None = None
    train_images: int = 4
    test_images: int = 4
    image_size: int = 256
    n_cells: int = 40
    seed: int = 0
    rotate: bool = True
    shear_angle: float | None = None

    def model(self) -> nn.Module:
        """A freshly initialised U-Net of this recipe (seeded by :func:`run_experiment`)."""
        from ..models import UNet

        return UNet(in_channels=1, num_classes=2, base_channels=self.base_channels, depth=self.depth,
                    padding=self.padding, dropout=self.dropout)

    def data(self, root: str | None = None, test_only: bool = False) -> tuple[SegmentationSet | None, SegmentationSet]:
        """``(train, test)`` of this recipe's task (``train`` is ``None`` with ``test_only``)."""
        return task_data(self.task, weighted=self.weighted, train_images=self.train_images,
                         test_images=self.test_images, image_size=self.image_size, n_cells=self.n_cells,
                         seed=self.seed, root=root, test_only=test_only, shear_angle=self.shear_angle)


_CELLS = dict(train_images=4, test_images=4, image_size=256, n_cells=40)

RECIPES: dict[str, ExperimentRecipe] = {
    "ch09_isbi": ExperimentRecipe(
        "valid U-Net (12 base channels, depth 3) on ISBI 2012 slices 00-24, 252 x 252 input tiles, "
        "cosine learning-rate schedule; held out 25-29", task="isbi", base_channels=12, steps=900,
        tile=252, lr_schedule="cosine"),
    "ch09_em": ExperimentRecipe(
        "the same U-Net on 8 synthetic EM-like slices (the stand-in where ISBI 2012 is absent)",
        task="em_synthetic", steps=1000, tile=196, train_images=8, test_images=5, image_size=256),
    "ch09_phc": ExperimentRecipe(
        "valid U-Net on 4 synthetic phase-contrast-like images of touching cells; weight map, "
        "elastic deformation (the ablation's baseline)", task="phase_contrast", **_CELLS),
    "ch09_phc_seed1": ExperimentRecipe(
        "as ch09_phc with another seed (initialisation, tiles, augmentation): the run-to-run spread",
        task="phase_contrast", seed=1, **_CELLS),
    "ch09_phc_same": ExperimentRecipe(
        "as ch09_phc with zero-padded ('same') convolutions", task="phase_contrast", padding="same",
        tile=160, **_CELLS),
    "ch09_phc_noweights": ExperimentRecipe(
        "as ch09_phc with the class balance w_c only (no border term)", task="phase_contrast",
        weighted=False, **_CELLS),
    "ch09_phc_noelastic": ExperimentRecipe(
        "as ch09_phc without the elastic deformation (random tile position, rotation, flips, grey values kept)",
        task="phase_contrast", elastic=False, **_CELLS),
    "ch09_dic": ExperimentRecipe(
        "valid U-Net on 4 synthetic DIC-like images of touching cells, one shear direction for every image "
        "(as one microscope gives it), tiles not rotated or flipped (the relief keeps its direction); "
        "4 tiles a step, a lower learning rate", task="dic", steps=1000, batch_size=4, lr=1e-3,
        shear_angle=0.25, rotate=False, **_CELLS),
    "ch09_dic_anyshear": ExperimentRecipe(
        "as ch09_dic with the shear direction drawn anew for every image and tiles rotated and flipped "
        "(the chapter's previous DIC recipe)", task="dic", steps=2500, batch_size=4, lr=1e-3, **_CELLS),
    "ch09_nuclei": ExperimentRecipe(
        "valid U-Net on the left three quarters of the real nuclei image; right quarter held out",
        task="nuclei"),
}


def augmenter(elastic: bool = True, rotate: bool = True):
    """The chapter's training augmentation: random rotation (any angle), flips, grey values and,
    when ``elastic``, the paper's elastic deformation (3x3 grid, 10 px standard deviation).

    ``rotate=False`` leaves out the rotations and flips: for images that are not the same
    turned around, such as DIC images, whose relief is lit from the microscope's one shear
    direction (a cell turned by 180 degrees looks like a pit).

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """
    from ..augment import Augmenter

    return Augmenter(max_shift=0.0, max_angle=180.0 if rotate else 0.0, flips=rotate,
                     elastic_sigma=10.0 if elastic else 0.0,
                     gray=True)


def full_profile(recipe: ExperimentRecipe, *, steps: int | None = None) -> ExperimentRecipe:
    """The recipe with the paper-size network for a GPU: 64 base channels, depth 4, drop-out
    0.5, batch size 1 and 572 x 572 input tiles (388 x 388 output; 512 x 512 for
    ``padding="same"``, the largest multiple of 16 that fits a 512 x 512 training image).

    Synthetic images grow to 512 x 512 (with 4 times the cells, the same density) so that a
    388 x 388 label tile fits; the nuclei task's training part is 384 pixels wide, so it gets
    556 x 556 input tiles (372 x 372 output).

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """
    tile = 512 if recipe.padding == "same" else (556 if recipe.task == "nuclei" else 572)
    grow = recipe.task in ("em_synthetic", "phase_contrast", "dic")
    return replace(recipe, base_channels=64, depth=4, dropout=0.5, tile=tile, batch_size=1,
                   lr=min(recipe.lr, 5e-4), steps=steps if steps is not None else recipe.steps,
                   image_size=512 if grow else recipe.image_size,
                   n_cells=recipe.n_cells * 4 if grow else recipe.n_cells,
                   description=recipe.description + " [paper-size network]")


def checkpoint_path(name: str) -> Path:
    """Where recipe ``name``'s checkpoint lives: ``unet_course/checkpoints/NAME.pt``.

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """
    from ..train import CHECKPOINT_DIR

    return CHECKPOINT_DIR / f"{name}.pt"


class ExperimentRun(NamedTuple):
    """What :func:`run_experiment` returns: the trained model, its metadata (recipe,
    scores, training time) and the training :class:`~unet_course.train.History`.

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """

    model: nn.Module
    meta: dict[str, Any]
    history: Any


def run_experiment(
    recipe: ExperimentRecipe,
    *,
    name: str = "",
    data: tuple[SegmentationSet, SegmentationSet] | None = None,
    out: str | Path | None = None,
    steps: int | None = None,
    score: bool = True,
    device: torch.device | str | None = None,
    progress: bool = True,
    root: str | None = None,
) -> ExperimentRun:
    """Train ``recipe`` from a seeded initialisation, score it on its test set, optionally save.

    Args:
        recipe: what to train.
        name: a label stored in the metadata (the recipe's key in :data:`RECIPES`).
        data: ``(train, test)`` when already built (default: ``recipe.data(root)``).
        out: checkpoint path to write (model weights, history, metadata; no optimizer state).
        steps: stop after this many steps instead of ``recipe.steps``. The tiles and their order
            do not change, so a shortened run equals the start of the full one.
        score: evaluate on the test set (``meta["scores"]``).
        device: default :func:`unet_course.runtime.device`.

    Returns:
        :class:`ExperimentRun` ``(model, meta, history)``; ``meta["scores"]`` holds
        :func:`evaluate`'s scores (mirror extrapolation, one prediction per image), for EM tasks
        ``meta["scores_averaged"]`` the scores of the prediction averaged over the eight
        symmetries of the square (:data:`unet_course.tiling.DIHEDRAL`; empty for cells), and
        ``meta["seconds"]`` the training time.

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """
    from ..data.tiles import TileDataset
    from ..train import fit, save_checkpoint

    if recipe.task not in TASKS:
        raise ValueError(f"recipe task {recipe.task!r} is unknown; use one of {', '.join(TASKS)}")
    runtime.seed_everything(recipe.seed)
    model = recipe.model()
    check = model.valid_input_size(recipe.tile) if recipe.padding == "valid" else recipe.tile
    if check != recipe.tile or (recipe.padding == "same" and recipe.tile % 2**recipe.depth):
        raise ValueError(f"tile={recipe.tile} is not an input size this U-Net accepts")
    train, test = data if data is not None else recipe.data(root)
    n_steps = steps or recipe.steps
    tiles = TileDataset(train.images, train.targets, train.weights, tile_size=recipe.tile,
                        output_size=model.output_size(recipe.tile), augmenter=augmenter(recipe.elastic, recipe.rotate),
                        length=recipe.steps * recipe.batch_size, seed=recipe.seed)
    history = fit(model, tiles, steps=n_steps, optimizer=recipe.optimizer, lr=recipe.lr,
                  momentum=recipe.momentum, batch_size=recipe.batch_size, seed=recipe.seed, device=device,
                  lr_schedule=recipe.lr_schedule,
                  progress=progress, desc=name or recipe.task)
    scores = evaluate(model, test, recipe.task, progress=progress) if score else {}
    # EM: also the paper's test-time averaging (Table 1), over the square's eight symmetries
    averaged = (evaluate(model, test, recipe.task, progress=progress, transforms=_all_symmetries())
                if score and recipe.task in EM_TASKS else {})
    meta = {"recipe": name, **asdict(recipe), "steps": n_steps, "scores": scores, "scores_averaged": averaged,
            "seconds": history.seconds, "command": f"python -m unet_course.experiments {name}".strip(),
            "torch": str(torch.__version__)}
    if out is not None:
        save_checkpoint(out, model, step=len(history.loss), history=history, meta=meta)
    return ExperimentRun(model, meta, history)


def _all_symmetries() -> tuple[str, ...]:
    from ..tiling import DIHEDRAL

    return DIHEDRAL


def load_experiment(name: str, device: torch.device | str | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """The shipped checkpoint of recipe ``name``: ``(model, meta)``, the model in eval mode.

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """
    from ..train import load_checkpoint

    path = checkpoint_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint {path.name}; make it with: python -m unet_course.experiments {name} --into-package")
    ckpt = load_checkpoint(path, map_location=device or "cpu")
    return ckpt.model, ckpt.meta


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, digits: int = 4) -> str:
    """A Markdown table: floats with ``digits`` significant digits, ``None`` as a dash.

    Args:
        header: column titles.
        rows: one sequence of cells per row, as long as ``header``.

    Serves: U-Net paper section 4, Tables 1 and 2; chapter 09.
    """
    def cell(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.{digits}g}"
        return str(v)

    for r in rows:
        if len(r) != len(header):
            raise ValueError(f"a row has {len(r)} cells for {len(header)} columns: {list(r)}")
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)
