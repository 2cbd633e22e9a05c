"""The course's experiments: one module per chapter experiment, one registry, one command line.

- :mod:`.fcn` (chapters 02-04, FCN paper): shape scenes, FCN-32s/16s/8s trained with
  :func:`unet_course.train.fit`, mean IoU and boundary F-score, chapter 04's plateau curves.
- :mod:`.augmentation` (chapter 07, U-Net paper section 3.1): a U-Net trained on two images with
  and without augmentation.
- :mod:`.weightmap` (chapter 08, section 3, eq. 2): touching cells separated with the weight map
  and not without it.
- :mod:`.paper` (chapter 09, section 4): the paper's Tables 1 and 2 in miniature and an ablation.
- :mod:`.registry`: :data:`RECIPES`, every recipe behind a shipped checkpoint, and the command
  line ``python -m unet_course.experiments NAME... [--out DIR] [--into-package] [--list]``.

The names chapters 08 and 09 use are importable from here:
``from unet_course import experiments as E; E.RECIPES["ch09_phc"]``.
"""

from . import augmentation, fcn, paper, registry, weightmap
from .paper import *  # noqa: F403  (chapter 09's names, paper.__all__)
from .registry import RECIPES, describe, main, remake_command, retrain
from .weightmap import Recipe, TouchingCellsTiles, evaluate_separation, paper_setup, run_recipe

__all__ = ["augmentation", "fcn", "paper", "registry", "weightmap", *registry.__all__,
           *(name for name in paper.__all__ if name != "RECIPES"),
           "Recipe", "TouchingCellsTiles", "evaluate_separation", "paper_setup", "run_recipe"]
