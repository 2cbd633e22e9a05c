"""Exercises of chapter 01: segmentation basics, pixel accuracy and IoU."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from unet_course import metrics, quiz
from unet_course.quiz.catalog import N_
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
        return N_('your function returned {count} values; it should return one IoU per class ({classes})').format(count=yours.shape[0] if yours.ndim else N_('a scalar'), classes=ref.shape[0])
    for c, (y, r) in enumerate(zip(yours, ref)):
        if np.isnan(r) and not np.isnan(y):
            return N_(
                'class {c} is absent from both maps: its IoU is undefined, return nan for it (you '
                'returned {value})'
            ).format(c=c, value=format(y, '.3g'))
        if not np.isnan(r) and not np.isclose(y, r):
            return N_(
                'the IoU of class {c} is off on a {shape} example: check that the union counts pixels of '
                'class {c} in either map once'
            ).format(c=c, shape=args[0].shape)
    return None


@lru_cache(maxsize=None)
def _touching_pairs(connectivity: int = 4) -> int:
    return len(touching_pairs(synthetic_cells(256, 30, n_types=2, seed=7).instances, connectivity))


PREDICT_OPTIONS = ["pixel accuracy is higher", "mean IoU is higher", "the two are about equal"]


@lru_cache(maxsize=None)
def _all_background_higher() -> int:
    """Index of the right option of 01.predict-all-background, measured on the chapter's image."""
    truth = (synthetic_cells(256, 30, n_types=2, seed=7).instances > 0).astype(np.int64)
    guess = np.zeros_like(truth)
    accuracy, miou = metrics.pixel_accuracy(guess, truth), metrics.mean_iou(guess, truth)
    if abs(accuracy - miou) < 0.02:
        return 2
    return 0 if accuracy > miou else 1


def _iou_zero_for_absent(pred, target, k):
    out = np.zeros(k)
    for c in range(k):
        union = np.sum((pred == c) | (target == c))
        out[c] = np.sum((pred == c) & (target == c)) / union if union else 0.0
    return out


def _dice(pred, target, k):
    out = np.full(k, np.nan)
    for c in range(k):
        total = np.sum(pred == c) + np.sum(target == c)
        if total:
            out[c] = 2 * np.sum((pred == c) & (target == c)) / total
    return out


def _recall(pred, target, k):
    out = np.full(k, np.nan)
    for c in range(k):
        if np.sum((pred == c) | (target == c)):
            out[c] = np.sum((pred == c) & (target == c)) / max(np.sum(target == c), 1)
    return out


QUESTIONS = [
    quiz.Numeric(
        "01.iou-by-hand",
        "In the 4 x 4 example (EXAMPLE_PRED against EXAMPLE_TARGET), what is the IoU of class 1? "
        "Give it to two decimal places.",
        lambda: float(metrics.iou_per_class(EXAMPLE_PRED, EXAMPLE_TARGET)[1]),
        rtol=0.0,
        atol=0.005,
        hint="Count the pixels that are 1 in both maps, then the pixels that are 1 in either map.",
        wrong=[0.86, 0.8, 0.88],  # the Dice score, the IoU of class 0, the pixel accuracy
    ),
    quiz.Choice(
        "01.which-segmentation",
        "Two cells of the same class touch. Which labelling gives them different labels and also "
        "labels every background pixel?",
        ["semantic segmentation", "instance segmentation", "panoptic segmentation"],
        2,
        hint="Semantic labels do not tell objects of one class apart; instance labels leave the "
        "background (stuff) unlabelled.",
        wrong=[0, 1],
    ),
    quiz.CodeExercise(
        "01.iou-function",
        "Write iou(pred, target, num_classes) returning a NumPy array of one IoU per class, with "
        "nan for a class absent from both maps.",
        lambda pred, target, k: metrics.iou_per_class(pred, target, k),
        _iou_cases,
        compare=_compare_iou,
        hint="IoU = TP / (TP + FP + FN); a class with an empty union has no IoU.",
        wrong=[_iou_zero_for_absent, _dice, _recall],
    ),
    quiz.Numeric(
        "01.touching-pairs",
        "In synthetic_cells(256, 30, n_types=2, seed=7), how many pairs of cells touch (share at "
        "least one 4-connected border)? Answer as an integer.",
        lambda: float(_touching_pairs()),
        rtol=0,
        atol=0.5,
        hint="Compare each pixel with its right and lower neighbour; a pair is two different "
        "non-zero ids side by side. Count each pair once.",
        # each pair counted twice (a-b and b-a), one off, and diagonal contacts counted too
        wrong=sorted({2 * _touching_pairs(), _touching_pairs() + 1, _touching_pairs() - 1, _touching_pairs(8)} - {_touching_pairs()}),
    ),
    quiz.Choice(
        "01.predict-all-background",
        "Predict, before you run the cell: the 'segmentation' that calls every pixel of this "
        "chapter's image background is scored by pixel accuracy and by mean IoU (two classes). "
        "Which of the two scores is higher?",
        PREDICT_OPTIONS,
        _all_background_higher(),
        hint="Ask what share of the pixels is background, and what the IoU of a class is when "
        "not one pixel is predicted as that class.",
        wrong=[i for i in range(len(PREDICT_OPTIONS)) if i != _all_background_higher()],
    ),
]
