"""Chapter 08's experiment: touching cells separated with the paper's weight map, and not without.

The paper's eq. 2 weights the pixels of the narrow borders between touching cells heavily, so
that the network learns to leave a gap between them (section 3). This module measures that on
synthetic touching cells:

- :class:`TouchingCellsTiles`: training and test tiles with the separation borders cut
  (:func:`unet_course.weightmap.separate_instances`) and the weight map (or the class balance
  alone, ``w0 = 0``), with the 8 flips and quarter turns.
- :func:`evaluate_separation`: split rate of touching pairs, foreground IoU and instance F1.
- :class:`Recipe`, :data:`RECIPES`: ``ch08_weighted`` and ``ch08_unweighted``, the shipped
  checkpoints; :func:`paper_setup` gives the paper's SGD set-up for a GPU; :func:`run_recipe`
  trains one with :func:`unet_course.train.fit`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import runtime
from ..train import CHECKPOINT_DIR, Checkpoint, _step_seed, fit, save_checkpoint

__all__ = ["RECIPES", "Recipe", "TouchingCellsTiles", "evaluate_separation", "paper_setup", "run_recipe"]


class TouchingCellsTiles(Sequence):
    """Synthetic touching cells as U-Net training tiles, with or without the weight map.

    Each item is ``(image, target, weights)``: ``image`` ``(1, n, n)`` float32 (an input tile of
    side ``n``), ``target`` ``(n, n)`` int64 foreground after cutting the separation borders
    (:func:`unet_course.weightmap.separate_instances`), ``weights`` ``(n, n)`` float32, the
    paper's weight map (``w0 = 10``, ``sigma = 5``) or, with ``w0=0``, the class balance
    ``w_c`` alone. Items ``len(images) .. 8 len(images)`` are the 8 flips and quarter turns of
    the drawn images (the same transform for image, target and weights).

    Attributes:
        instances: the drawn instance labels, one ``(n, n)`` int32 array per image (before the
            separation borders are cut), for scoring.

    Serves: U-Net paper section 3, eq. 2; chapter 08.
    """

    def __init__(self, n_images: int, size: int, *, n_cells: int = 30, rendering: str = "fluorescence",
                 w0: float = 10.0, sigma: float = 5.0, noise: float = 0.05, seed: int = 0,
                 progress: bool = False) -> None:
        from tqdm.auto import tqdm

        from ..data import synthetic_cells
        from ..data.targets import instance_targets

        self.images, self.targets, self.weights, self.instances = [], [], [], []
        for i in tqdm(range(n_images), desc="drawing cells", disable=not progress, leave=False):
            sample = synthetic_cells(size, n_cells, rendering=rendering, noise=noise, seed=_step_seed(seed, i) % 2**31)
            built = instance_targets(sample.instances, w0=w0, sigma=sigma)  # the builder chapter 09 uses too
            self.images.append(sample.image[None].astype(np.float32))
            self.targets.append(built.target)
            self.weights.append(built.weights)
            self.instances.append(sample.instances)

    def __len__(self) -> int:
        return 8 * len(self.images)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        i, t = index % len(self.images), index // len(self.images)

        def transform(a: np.ndarray) -> np.ndarray:
            a = np.rot90(a, t % 4, axes=(-2, -1))
            return np.ascontiguousarray(a[..., ::-1] if t >= 4 else a)

        return transform(self.images[i]), transform(self.targets[i]), transform(self.weights[i])


def evaluate_separation(model: nn.Module, tiles: TouchingCellsTiles) -> dict[str, float]:
    """How well ``model`` segments and separates the cells of ``tiles`` (its images, no flips).

    Scores pooled over the images, each on the model's output window: a valid U-Net predicts
    only the centre of a tile it is given whole (:func:`unet_course.tiling.predict_batch`), and
    the truth is cropped to that window:

    - ``split_rate``: the fraction of touching cell pairs whose cells end up in different
      connected components of the predicted foreground
      (:func:`unet_course.weightmap.separated_fraction`); ``pairs``: how many pairs there were.
    - ``iou``: foreground IoU against the true cells (before separation borders).
    - ``f1``: instance F1 of the connected components against the true cells, one-to-one at
      IoU >= 0.5 (:func:`unet_course.metrics.match_instances`): merged cells *and* cells cut
      into pieces both lower it.

    Serves: U-Net paper section 3, eq. 2; chapter 08.
    """
    from ..metrics.instances import evaluate_instances, instances_from_foreground
    from ..tiling import predict_batch
    from ..weightmap import separated_fraction, touching_pairs

    separated = pairs = 0
    predicted, truths = [], []
    for image, instances in zip(tiles.images, tiles.instances):
        fg = (predict_batch(model, image[None])[0].argmax(0) == 1).numpy()  # the output window
        h, w = fg.shape
        top, left = (instances.shape[0] - h) // 2, (instances.shape[1] - w) // 2
        truth = instances[top : top + h, left : left + w]
        found = touching_pairs(truth)
        if found:
            separated += round(separated_fraction(truth, fg, found) * len(found))
            pairs += len(found)
        predicted.append(instances_from_foreground(fg))
        truths.append(truth)
    pooled = evaluate_instances(predicted, truths).pooled  # pixels and matches summed over the images
    return {"split_rate": separated / pairs if pairs else float("nan"), "iou": pooled["iou"], "f1": pooled["f1"],
            "pairs": float(pairs)}


@dataclass(frozen=True)
class Recipe:
    """How a shipped checkpoint is made: data, model, optimiser, steps.

    ``python -m unet_course.experiments NAME`` runs it and writes ``checkpoints/NAME.pt``.

    Serves: U-Net paper section 3, eq. 2; chapter 08.
    """

    description: str
    model: dict[str, Any]
    tile: int  # input tile side
    train_images: int
    test_images: int
    w0: float
    steps: int
    lr: float
    optimizer: str = "sgd"
    momentum: float = 0.99
    n_cells: int = 30
    rendering: str = "fluorescence"
    seed: int = 0
    clip_grad_norm: float | None = None
    lr_schedule: str | None = None

    def data(self, split: str, progress: bool = False) -> TouchingCellsTiles:
        """The training (``"train"``) or held-out test (``"test"``) tiles of this recipe."""
        n = {"train": self.train_images, "test": self.test_images}[split]
        seed = _step_seed(self.seed, {"train": 0, "test": 1}[split])
        return TouchingCellsTiles(n, self.tile, n_cells=self.n_cells, rendering=self.rendering, w0=self.w0,
                                  seed=seed, progress=progress)


_SMALL_UNET = dict(in_channels=1, num_classes=2, base_channels=8, depth=3, padding="valid", dropout=0.0)

RECIPES: dict[str, Recipe] = {
    "ch08_weighted": Recipe(
        description="small valid U-Net (8 base channels, depth 3) on synthetic touching cells, "
        "with the paper's weight map (w0 = 10, sigma = 5)",
        model=_SMALL_UNET, tile=188, train_images=24, test_images=12, w0=10.0, steps=1000, lr=2e-3,
        optimizer="adam", lr_schedule="cosine",
    ),
    "ch08_unweighted": Recipe(
        description="the same U-Net, data and steps, with the class balance w_c alone (w0 = 0: no border term)",
        model=_SMALL_UNET, tile=188, train_images=24, test_images=12, w0=0.0, steps=1000, lr=2e-3,
        optimizer="adam", lr_schedule="cosine",
    ),
}


def paper_setup(recipe: Recipe, *, tile: int = 380, steps: int = 3000, lr: float = 0.004) -> Recipe:
    """``recipe`` with the paper's training set-up, for the full profile on a GPU: SGD with
    momentum 0.99 and one large tile a step (batch 1; ``tile`` px, with proportionally more cells
    to fill it), a cosine learning-rate decay. With momentum 0.99 the effective step is about
    ``100 lr``, so ``lr`` is small; SGD also needs more steps than Adam.

    Serves: U-Net paper section 3, eq. 2; chapter 08.
    """
    cells = int(round(recipe.n_cells * (tile / recipe.tile) ** 2))
    return replace(recipe, optimizer="sgd", momentum=0.99, lr=lr, steps=steps, tile=tile, n_cells=cells,
                   lr_schedule="cosine",
                   description=recipe.description + f"; SGD momentum 0.99, batch 1, {tile} px tiles")


def run_recipe(recipe: str | Recipe, *, out: str | os.PathLike | None = None,
               device: torch.device | str | None = None, progress: bool = True, name: str | None = None,
               **changes: Any) -> Checkpoint:
    """Train a recipe from scratch, score it on its held-out test tiles and save the checkpoint.

    On a CPU the recipe runs with one torch thread (restored afterwards), which makes it repeat
    bit for bit on the same kind of CPU.

    Args:
        recipe: a name in :data:`RECIPES` or a :class:`Recipe`.
        out: where to write; default ``unet_course/checkpoints/NAME.pt`` for a named recipe, and
            nowhere for a :class:`Recipe` object or ``out=""``.
        device: default :func:`unet_course.runtime.device`.
        progress: progress bars.
        name: the name recorded in the checkpoint (default: the recipe's name, or ``"custom"``).
        **changes: fields of the recipe to replace (``seed=1``, ``steps=200``, ...).

    Returns:
        The :class:`Checkpoint`. Its ``meta`` (also in the file) holds the
        recipe, the test scores (``split_rate``, ``iou``, ``f1``, ``pairs``: see
        :func:`evaluate_separation`), the training time and the command. No optimizer state is
        stored, to keep the file small.

    Serves: U-Net paper section 3, eq. 2; chapter 08.
    """
    from ..models import UNet

    name = name or (recipe if isinstance(recipe, str) else "custom")
    if isinstance(recipe, str):
        if recipe not in RECIPES:
            raise KeyError(f"unknown recipe {recipe!r}; the recipes are {', '.join(RECIPES)}")
        recipe = RECIPES[recipe]
    elif out is None:
        out = ""
    recipe = replace(recipe, **changes) if changes else recipe
    runtime.seed_everything(recipe.seed)
    model = UNet(**recipe.model)
    tile = model.valid_input_size(recipe.tile)
    if tile != recipe.tile:
        raise ValueError(f"tile={recipe.tile} does not fit the U-Net; the nearest valid size above is {tile}")
    train_tiles, test_tiles = recipe.data("train", progress), recipe.data("test", progress)
    device = torch.device(device) if device is not None else runtime.device()
    # One CPU thread: the same floating-point sums on every run, so a run repeats the shipped
    # checkpoint exactly on the same kind of CPU (see runtime.torch_threads).
    with runtime.torch_threads(1 if device.type == "cpu" else None):
        history = fit(model, train_tiles, steps=recipe.steps, optimizer=recipe.optimizer, lr=recipe.lr,
                      momentum=recipe.momentum, seed=recipe.seed, device=device,
                      clip_grad_norm=recipe.clip_grad_norm, lr_schedule=recipe.lr_schedule, progress=progress,
                      desc=name)
        scores = evaluate_separation(model, test_tiles)
    meta = {"recipe": name, **asdict(recipe), "scores": scores, "train_seconds": history.seconds,
            "device": str(next(model.parameters()).device), "torch": str(torch.__version__),
            "command": f"python -m unet_course.experiments {name}" + "".join(f" --{k}={v}" for k, v in changes.items())}
    target = CHECKPOINT_DIR / f"{name}.pt" if out is None else (Path(out) if out else None)
    if target is not None:
        save_checkpoint(target, model, step=len(history.loss), history=history, meta=meta)
    return Checkpoint(model=model, step=len(history.loss), history=history, meta=meta, optimizer_state=None)
