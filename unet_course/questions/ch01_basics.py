"""Exercises of chapter 01: segmentation basics, pixel accuracy and IoU."""

from __future__ import annotations

import numpy as np

from unet_course import metrics, quiz
from unet_course.data import synthetic_cells
from unet_course.weightmap import touching_pairs

# the 4 x 4 example of the exercise "IoU by hand"
EXAMPLE_TARGET = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [0, 1, 1, 0], [0, 0, 0, 0]])
EXAMPLE_PRED = np.array([[0, 1, 1, 1], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]])


def _iou_cases() -> list[tuple]:
    rng = np.random.default_rng(11)
    cases = [(EXAMPLE_PRED, EXAMPLE_TARGET, 2), (np.zeros((3, 3), int), np.zeros((3, 3), int), 2)]
    for k in (2, 3, 5):
        cases.append((rng.integers(0, k, (6, 7)), rng.integers(0, k, (6, 7)), k))
    return cases


def _compare_iou(yours, ref, args) -> str | None:
    yours = np.asarray(yours, dtype=float)
    ref = np.asarray(ref, dtype=float)
    if yours.shape != ref.shape:
        return f"your function returned {yours.shape[0] if yours.ndim else 'a scalar'} values; it should return one IoU per class ({ref.shape[0]})"
    for c, (y, r) in enumerate(zip(yours, ref)):
        if np.isnan(r) and not np.isnan(y):
            return f"class {c} is absent from both maps: its IoU is undefined, return nan for it (you returned {y:.3g})"
        if not np.isnan(r) and not np.isclose(y, r):
            return f"the IoU of class {c} is off on a {args[0].shape} example: check that the union counts pixels of class {c} in either map once"
    return None


def _touching_pairs() -> int:
    return len(touching_pairs(synthetic_cells(256, 30, n_types=2, seed=7).instances))


QUESTIONS = [
    quiz.Numeric(
        "01.iou-by-hand",
        "In the 4 x 4 example (EXAMPLE_PRED against EXAMPLE_TARGET), what is the IoU of class 1?",
        lambda: float(metrics.iou_per_class(EXAMPLE_PRED, EXAMPLE_TARGET)[1]),
        rtol=1e-6,
        hint="Count the pixels that are 1 in both maps, then the pixels that are 1 in either map.",
    ),
    quiz.Choice(
        "01.which-segmentation",
        "Two cells of the same class touch. Which labelling gives them different labels and also "
        "labels every background pixel?",
        ["semantic segmentation", "instance segmentation", "panoptic segmentation"],
        2,
        hint="Semantic labels do not tell objects of one class apart; instance labels leave the "
        "background (stuff) unlabelled.",
    ),
    quiz.CodeExercise(
        "01.iou-function",
        "Write iou(pred, target, num_classes) returning a NumPy array of one IoU per class, with "
        "nan for a class absent from both maps.",
        lambda pred, target, k: metrics.iou_per_class(pred, target, k),
        _iou_cases,
        compare=_compare_iou,
        hint="IoU = TP / (TP + FP + FN); a class with an empty union has no IoU.",
    ),
    quiz.Numeric(
        "01.touching-pairs",
        "In synthetic_cells(256, 30, n_types=2, seed=7), how many pairs of cells touch (share at "
        "least one 4-connected border)?",
        lambda: float(_touching_pairs()),
        rtol=0,
        atol=0.5,
        hint="Compare each pixel with its right and lower neighbour; a pair is two different "
        "non-zero ids side by side. Count each pair once.",
    ),
]
