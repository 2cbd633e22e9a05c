"""Exercises of chapter 09: the ISBI 2012 metrics and the experiments of the paper."""

from __future__ import annotations

import numpy as np

from unet_course import quiz
from unet_course.metrics import isbi

# the 1 x 7 strip of the exercise "Rand by hand": two true cells of 3 pixels, a membrane between
RAND_TRUTH = np.array([[1, 1, 1, 0, 1, 1, 1]], dtype=np.uint8)
RAND_PRED = np.array([[1, 1, 1, 1, 1, 0, 1]], dtype=np.uint8)


def _rand_fscore() -> float:
    return isbi.rand_scores(pred=isbi.segments(RAND_PRED > 0), target=isbi.segments(RAND_TRUTH > 0)).fscore


def _window(code: int, centre: bool) -> np.ndarray:
    win = np.zeros((3, 3), dtype=bool)
    for k, (dr, dc) in enumerate(isbi.NEIGHBOURS):
        win[1 + dr, 1 + dc] = bool((code >> k) & 1)
    win[1, 1] = centre
    return win


def _is_simple_reference(window: np.ndarray) -> bool:
    win = np.asarray(window, dtype=bool)
    padded = np.zeros((5, 5), dtype=bool)
    padded[1:4, 1:4] = win
    return bool(isbi.simple_points(padded, 4)[2, 2])


def _is_simple_cases() -> list[tuple]:
    return [(_window(code, centre),) for code in range(256) for centre in (False, True)]


def _compare_simple(yours, ref, args) -> str | None:
    if not isinstance(yours, (bool, np.bool_)):
        return f"return True or False, got {type(yours).__name__}"
    if bool(yours) != ref:
        win = args[0].astype(int)
        rows = " / ".join("".join(map(str, r)) for r in win)
        what = "simple" if ref else "not simple"
        return (f"for the window {rows} (rows top to bottom, 1 = interior) the centre is {what}: count the "
                "interior 4-components and the membrane 8-components before and after flipping it")
    return None


def _simple_count() -> float:
    return float(isbi.simple_point_table(4).sum())


def _rand_fscore_without_singletons() -> float:
    """A plausible wrong answer: predicted membrane inside a true cell dropped, not counted as a
    one-pixel cell."""
    both, pred, true = 3**2 + 1**2 + 1**2, 4**2 + 1**2, 3**2 + 3**2
    p, r = both / pred, both / true
    return 2 * p * r / (p + r)


def _is_simple_interior_only(window: np.ndarray) -> bool:
    """A plausible wrong answer: only the interior's 4-components are counted; a flip that
    closes a membrane hole (or opens one) passes unnoticed."""
    from scipy import ndimage as ndi

    win = np.asarray(window, dtype=bool)
    flipped = win.copy()
    flipped[1, 1] = ~flipped[1, 1]
    four = ndi.generate_binary_structure(2, 1)
    return bool(ndi.label(win, four)[1] == ndi.label(flipped, four)[1])


def _is_simple_eight_interior(window: np.ndarray) -> bool:
    """A plausible wrong answer: the other convention, interior 8-connected and membrane 4-connected."""
    from scipy import ndimage as ndi

    win = np.asarray(window, dtype=bool)
    flipped = win.copy()
    flipped[1, 1] = ~flipped[1, 1]
    four, eight = ndi.generate_binary_structure(2, 1), ndi.generate_binary_structure(2, 2)

    def counts(w):
        return ndi.label(w, eight)[1], ndi.label(~w, four)[1]

    return bool(counts(win) == counts(flipped))


#: Options of "09.predict-tta" (the index is the answer).
TTA_OPTIONS = [
    "lower with the averaging than without it",
    "higher with the averaging than without it",
    "the same to every digit, with or without",
]


QUESTIONS = [
    quiz.Numeric(
        "09.rand-by-hand",
        "Truth `1 1 1 0 1 1 1` (two cells of 3 pixels), prediction `1 1 1 1 1 0 1` (interior 1, "
        "membrane 0). What is the foreground-restricted Rand F-score, counting ordered pairs "
        "including a pixel with itself, and predicted membrane inside a true cell as singletons? "
        "Give it to three decimal places.",
        _rand_fscore,
        rtol=0.0,
        atol=5e-4,
        hint="Leave out the true membrane pixel. Inside the truth's foreground the prediction has one "
        "segment of four pixels, one of one pixel, and a predicted membrane pixel that counts as a "
        "singleton. Sum the squared overlaps for 'together in both', the squared predicted segment sizes "
        "for precision, the squared true segment sizes for recall.",
        wrong=[0.67, 0.666, _rand_fscore_without_singletons()],
    ),
    quiz.Numeric(
        "09.simple-count",
        "With interior 4-connected and membrane 8-connected, for how many of the 256 possible "
        "8-neighbourhoods is the centre pixel a simple point? Answer as an integer.",
        _simple_count,
        rtol=0,
        atol=0.5,
        hint="Whether the centre is simple does not depend on its own value. For each neighbourhood, flip the "
        "centre and compare the numbers of interior and membrane components of the 3 x 3 window.",
        wrong=[_simple_count() - 1, _simple_count() + 1, 256 - _simple_count()],
    ),
    quiz.CodeExercise(
        "09.is-simple",
        "Write `is_simple(window)` for a 3 x 3 bool window (True = interior): True when flipping the "
        "centre changes neither the number of 4-connected interior components nor the number of "
        "8-connected membrane components of the window.",
        _is_simple_reference,
        _is_simple_cases,
        compare=_compare_simple,
        hint="scipy.ndimage.label with generate_binary_structure(2, 1) for the interior and (2, 2) for the "
        "membrane; count before and after flipping the centre.",
        wrong=[_is_simple_interior_only, _is_simple_eight_interior],
    ),
    quiz.Choice(
        "09.topology-only",
        "A prediction differs from the truth only in that every cell is drawn one pixel smaller "
        "(its boundary one pixel further in, the membranes thicker), with no cell merged, split, "
        "added or lost. Which error is exactly zero?",
        ["pixel error", "Rand error", "warping error"],
        2,
        hint="Only one of the three forgives every flip that keeps the number of cells and holes.",
        wrong=[0, 1],
    ),
    quiz.Choice(
        "09.predict-tta",
        "Predict before you measure: the chapter's ISBI model segments the held-out slices once, and "
        "once averaged over the eight rotated and flipped copies of each slice (test-time averaging). "
        "The Rand error of the averaged prediction is ...",
        TTA_OPTIONS,
        0,
        hint="The network was trained on rotated and flipped tiles, but it is not symmetric by construction: "
        "its eight answers differ a little, mostly where it is unsure. What does a mean do to errors that "
        "are not shared?",
        wrong=[1, 2],
    ),
]
