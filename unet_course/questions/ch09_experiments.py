"""Exercises of chapter 09: the ISBI 2012 metrics and the experiments of the paper."""

from __future__ import annotations

import numpy as np

from unet_course import quiz
from unet_course.quiz.catalog import N_
from unet_course.metrics import isbi

#: Hints that guide to the method without doing it (the Rand F-score by hand, the error that is zero).
RAND_HINT = ("Go in three steps. Keep only the truth's foreground (which pixel drops out?). List the predicted "
             "segments inside it, remembering how this chapter counts predicted membrane inside a true cell. "
             "Then fill the table of overlaps c_ij and apply the formulas for P, R and F above.")
TOPOLOGY_HINT = ("Take one removed rim pixel and ask of each error in turn: is it a wrong pixel? Does it change "
                 "which true pixels share a predicted cell, given how predicted membrane inside a true cell "
                 "counts? Could the warp flip it back, one pixel at a time, without changing a cell or a hole?")


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
        return N_('return True or False, got {kind}').format(kind=type(yours).__name__)
    if bool(yours) != ref:
        win = args[0].astype(int)
        rows = " / ".join("".join(map(str, r)) for r in win)
        what = N_("simple") if ref else N_("not simple")
        return (N_(
            'for the window {rows} (rows top to bottom, 1 = interior) the centre is {what}: count the'
            ' interior 4-components and the membrane 8-components before and after flipping it'
        ).format(rows=rows, what=what))
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

#: The measurement "09.predict-tta" is checked against: the held-out Rand error of one prediction
#: and of the average over the eight symmetries, as the chapter measured them (:func:`record_tta`).
_TTA_MEASURED: dict[str, float] = {}


def record_tta(single: float, averaged: float) -> None:
    """Record the chapter's measurement for "09.predict-tta": the Rand error of one prediction
    per held-out slice (``single``) and of the prediction averaged over the eight symmetries of
    the square (``averaged``), both in [0, 1]. The key of the question is computed from them.

    Serves: U-Net paper section 4, Table 1 (test-time averaging); chapter 09.
    """
    values = {"single": single, "averaged": averaged}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
                or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"record_tta: {name} must be a Rand error, a number in [0, 1]; got {value!r}")
    _TTA_MEASURED.update({name: float(value) for name, value in values.items()})


def _stored_tta() -> tuple[float, float]:
    """The shipped ISBI 2012 model's held-out Rand errors (one prediction, averaged) as stored
    with its checkpoint: the key before the chapter has measured (no data is read)."""
    from unet_course.experiments import paper

    _, meta = paper.load_experiment("ch09_isbi")
    return float(meta["scores"]["rand_error"]), float(meta["scores_averaged"]["rand_error"])


def _tta_answer() -> int:
    """The index of the true option of "09.predict-tta": from the chapter's measurement when it
    recorded one (:func:`record_tta`), else from the scores stored with the shipped ISBI model."""
    single, averaged = ((_TTA_MEASURED["single"], _TTA_MEASURED["averaged"]) if _TTA_MEASURED
                        else _stored_tta())
    return 0 if averaged < single else 1 if averaged > single else 2


class MeasuredChoice(quiz.Choice):
    """A :class:`unet_course.quiz.Choice` whose right option is measured, not fixed: ``answer``
    is a zero-argument callable that returns the index, asked on every check (the measurement
    may be recorded after the module is loaded). The plausible wrong answers are the other
    options.

    Serves: U-Net paper section 4, Table 1 (test-time averaging); chapter 09.
    """

    def __init__(self, id: str, prompt: str, options, answer, *, hint: str = "") -> None:
        if not callable(answer):
            raise TypeError(f"question {id}: answer must be a zero-argument callable that returns an option's index")
        self._key = answer
        super().__init__(id, prompt, options, 0, hint=hint, wrong=[1])

    @property
    def _answer(self) -> int:
        index = self._key()
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self.options):
            raise ValueError(f"question {self.id}: the measured key {index!r} is not an option's index")
        return int(index)

    @_answer.setter
    def _answer(self, value: int) -> None:  # Choice.__init__ sets a fixed key; the measured one wins
        pass

    @property
    def wrong(self) -> tuple[int, ...]:
        return tuple(i for i in range(len(self.options)) if i != self._answer)

    @wrong.setter
    def wrong(self, value) -> None:  # Question.__init__ sets the given ones; they follow the key here
        pass


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
        hint=RAND_HINT,
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
        hint=TOPOLOGY_HINT,
        wrong=[0, 1],
    ),
    MeasuredChoice(
        "09.predict-tta",
        "Predict before you measure: the chapter's ISBI model segments the held-out slices once, and "
        "once averaged over the eight rotated and flipped copies of each slice (test-time averaging). "
        "The Rand error of the averaged prediction is ...",
        TTA_OPTIONS,
        _tta_answer,
        hint="The network was trained on rotated and flipped tiles, but it is not symmetric by construction: "
        "its eight answers differ a little, mostly where it is unsure. What does a mean do to errors that "
        "are not shared?",
    ),
]
