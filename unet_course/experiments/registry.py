"""One registry of the recipes behind every shipped checkpoint, and one command line for them.

Every file in ``unet_course/checkpoints/`` is made by a recipe listed in :data:`RECIPES`:

- ``ch04_fcn_curves``: FCN-32s, 16s and 8s trained to a plateau (chapter 04,
  :data:`unet_course.experiments.fcn.CURVE_RECIPE`);
- ``ch08_weighted``, ``ch08_unweighted``: touching cells with and without the weight map of the
  paper's eq. 2 (chapter 08, :mod:`unet_course.experiments.weightmap`);
- ``ch09_*``: the paper's Tables 1 and 2 in miniature and the ablation (chapter 09, paper
  section 4, :mod:`unet_course.experiments.paper`).

``python -m unet_course.experiments NAME... [--out DIR]`` retrains the named recipes into
``DIR`` (default ``checkpoints/`` in the working directory); only ``--into-package`` writes over
the shipped files. ``--list`` lists the recipes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from .. import runtime
from ..files import write_atomically
from ..train import CHECKPOINT_DIR, save_checkpoint
from . import fcn, paper, weightmap

__all__ = ["RECIPES", "describe", "main", "remake_command", "retrain"]

#: Every recipe behind a shipped checkpoint, by the checkpoint's name (``NAME.pt``).
RECIPES: dict[str, Any] = {"ch04_fcn_curves": fcn.CURVE_RECIPE, **weightmap.RECIPES, **paper.RECIPES}


#: The command line the shipped checkpoints of chapter 08 were first made with; its recipes and
#: options are today's ``python -m unet_course.experiments``.
_LEGACY_COMMAND = "python -m unet_course.train "
_COMMAND = "python -m unet_course.experiments "


def remake_command(meta: dict[str, Any]) -> str:
    """The command that remakes a shipped checkpoint today, from the ``"command"`` its metadata records.

    The metadata keeps what was run (the files and their weights are not rewritten); checkpoints
    made before the one command line existed record ``python -m unet_course.train NAME ...``, whose
    recipes and options ``python -m unet_course.experiments`` took over unchanged. A command
    without ``--out`` gets ``--into-package``, which writing over a shipped file takes today.

    >>> remake_command({"command": "python -m unet_course.train ch08_weighted --replicates 1 2"})
    'python -m unet_course.experiments ch08_weighted --replicates 1 2 --into-package'

    Serves: the shipped checkpoints of chapters 04, 08 and 09.
    """
    command = str(meta.get("command") or "").strip()
    if not command:
        raise ValueError("this checkpoint records no command; python -m unet_course.experiments --list names the recipes")
    if command.startswith(_LEGACY_COMMAND):
        command = _COMMAND + command[len(_LEGACY_COMMAND):]
    words = command.split()
    if command.startswith(_COMMAND) and "--into-package" not in words and not any(w.startswith("--out") for w in words):
        command += " --into-package"
    return command


def describe(name: str) -> str:
    """One line about recipe ``name``: what it trains and for how many steps (for ``--list``).

    Serves: the shipped checkpoints of chapters 04, 08 and 09.
    """
    recipe = RECIPES[name]
    if name == "ch04_fcn_curves":
        return (f"FCN-32s, 16s and 8s on shape scenes, Adam until the validation mean IoU stops rising "
                f"(at most {recipe['max_steps']} steps each)")
    return f"{recipe.description} ({recipe.steps} steps, {recipe.optimizer})"


def retrain(name: str, out_dir: str | Path, *, device: str | None = None, steps: int | None = None,
            paper_setup: bool = False, replicates: Sequence[int] = ()) -> Path:
    """Train recipe ``name`` from scratch and write ``out_dir/NAME.pt``; returns the path.

    Args:
        name: a key of :data:`RECIPES`.
        out_dir: the folder to write into (made if missing).
        device: ``"cpu"`` or ``"cuda"`` (default: :func:`unet_course.runtime.device`).
        steps: stop after this many steps (chapter 09's recipes only).
        paper_setup: the paper-size set-up for a GPU (:func:`~unet_course.experiments.weightmap.paper_setup`
            for chapter 08, :func:`~unet_course.experiments.paper.full_profile` for chapter 09).
        replicates: extra seeds to train and score (chapter 08); their scores go into the metadata.
    """
    if name not in RECIPES:
        runtime.look_up_option(name, RECIPES, what="recipe")
    out = Path(out_dir) / f"{name}.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = f"python -m unet_course.experiments {name}" + (" --paper-setup" if paper_setup else "")
    if name == "ch04_fcn_curves":
        start = time.perf_counter()
        with runtime.torch_threads(1):  # one thread: the networks are small and the sums repeat exactly
            result, models = fcn.fcn_plateau_curves()
        result["seconds"] = time.perf_counter() - start
        result["torch"] = str(torch.__version__)  # a plain str: read back with weights_only=True
        blob = {"result": result, "weights": {v: m.state_dict() for v, m in models.items()}}
        write_atomically(out, lambda tmp: torch.save(blob, tmp))
        for v, c in result["curves"].items():
            print(f"FCN-{v}: best val mean IoU {max(c['mean_iou']):.3f} at step {c['best_step']}, stopped at "
                  f"{c['stopped_at']} (plateau: {c['plateau']}); test {result['test'][v]}")
        return out
    if name in weightmap.RECIPES:
        recipe = weightmap.RECIPES[name]
        recipe = weightmap.paper_setup(recipe) if paper_setup else recipe
        runs = []
        for seed in replicates:
            extra = weightmap.run_recipe(recipe, out="", device=device, name=name, seed=seed)
            runs.append({"seed": seed, **extra.meta["scores"]})
        result = weightmap.run_recipe(recipe, out="", device=device, name=name)
        if replicates:
            command += " --replicates " + " ".join(map(str, replicates))
        meta = {**result.meta, "recipe": name, "replicates": runs, "command": command}
        save_checkpoint(out, result.model, step=result.step, history=result.history, meta=meta)
        return out
    recipe = paper.full_profile(paper.RECIPES[name]) if paper_setup else paper.RECIPES[name]
    paper.run_experiment(recipe, name=name, out=out, steps=steps, device=device)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m unet_course.experiments NAME... [--out DIR] [--into-package]``; ``--list``.

    Serves: the shipped checkpoints of chapters 04, 08 and 09.
    """
    parser = argparse.ArgumentParser(
        prog="python -m unet_course.experiments",
        description="Retrain the recipes behind the shipped checkpoints (chapters 04, 08 and 09).")
    parser.add_argument("recipes", nargs="*", metavar="NAME", help="the recipes to retrain (see --list)")
    parser.add_argument("--out", default=None, help="folder for NAME.pt (default: ./checkpoints)")
    parser.add_argument("--into-package", action="store_true",
                        help="write over the shipped checkpoints in unet_course/checkpoints/")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps (chapter 09)")
    parser.add_argument("--paper-setup", action="store_true", help="the paper-size set-up, for a GPU")
    parser.add_argument("--replicates", type=int, nargs="*", default=[],
                        help="extra seeds to train and score (chapter 08)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name in RECIPES:
            print(f"{name}: {describe(name)}")
        return
    if not args.recipes:
        parser.error(f"name the recipes to retrain (all: {' '.join(RECIPES)}); --list describes them")
    unknown = [n for n in args.recipes if n not in RECIPES]
    if unknown:
        for n in unknown:
            try:
                runtime.look_up_option(n, RECIPES, what="recipe")
            except ValueError as err:
                parser.error(str(err))
    if args.into_package and args.out is not None:
        parser.error("give --out DIR or --into-package, not both")
    out_dir = CHECKPOINT_DIR if args.into_package else Path(args.out or "checkpoints")
    if not args.into_package and out_dir.resolve() == CHECKPOINT_DIR.resolve():
        parser.error(f"{out_dir} holds the shipped checkpoints; add --into-package to write over them")
    for name in args.recipes:
        start = time.perf_counter()
        out = retrain(name, out_dir, device=args.device, steps=args.steps, paper_setup=args.paper_setup,
                      replicates=args.replicates)
        print(f"{name}: {time.perf_counter() - start:.0f} s -> {out} ({out.stat().st_size / 1e6:.2f} MB)", flush=True)
