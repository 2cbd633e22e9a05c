"""The whole question bank judges fairly (issue 13; the conventions are in CONTRIBUTING.md).

For every question of ``unet_course/questions/``:

- its reference answer passes its own check, and every plausible wrong answer in ``wrong=[...]``
  fails it; there is at least one such wrong answer, and it is a well-formed answer of the
  question's kind (a number, an option, a function), so it fails for being wrong, not for its
  type;
- a numeric prompt states the precision it wants ("as an integer", "to three significant
  digits", "to two decimal places"), and the tolerance follows from it: the reference rounded to
  that precision passes, one unit of the last asked digit more or less fails;
- a multiple-choice question's right option is at most 1.2 x as long as its longest wrong option;
- the hint does not give the answer away: no number in it passes the check, and it does not
  contain the right option's text.

The messages speak to the author of the question and say what to change.
"""

from __future__ import annotations

import math
import re

import pytest

from unet_course import quiz
from unet_course.quiz.functions import _arity_problem, _cases, _param_names
from unet_course.quiz.values import _as_real, _short_repr

LENGTH_RATIO = 1.2
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_COUNT = r"(\d+|" + "|".join(WORDS) + r")"
SIGNIFICANT = re.compile(_COUNT + r"\s+significant\s+(?:digits?|figures?)", re.I)
DECIMALS = re.compile(_COUNT + r"\s+(?:decimal\s+(?:places?|digits?)|decimals?|digits?\s+after\s+the\s+(?:decimal\s+)?point)", re.I)
INTEGER = re.compile(r"\b(?:an\s+integer|a\s+whole\s+number)\b", re.I)
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")


def _bank() -> list[quiz.Question]:
    try:
        return quiz.questions()
    except Exception:  # noqa: BLE001 - test_bank_loads reports the error itself
        return []


BANK = _bank()
ids = [q.id for q in BANK]


def grade(question: quiz.Question, answer) -> bool:
    """The check's verdict. ``grade`` (what ``check`` prints from) rather than ``check``, so that an
    error in the question itself (its answer callable, its reference) shows as a traceback."""
    return question.grade(answer)[0]


def reference(question: quiz.Question):
    """The answer the question itself holds as right."""
    if isinstance(question, quiz.Numeric):
        return question.value
    if isinstance(question, (quiz.Choice, quiz.TrueFalse)):
        return question._answer
    return question.reference


def test_bank_loads():
    everything = quiz.questions()  # raises with the author's error (duplicate id, bad module)
    assert everything, "the question bank (unet_course/questions/) is empty"


@pytest.mark.parametrize("question", BANK, ids=ids)
def test_reference_passes(question):
    answer = reference(question)
    assert grade(question, answer), (
        f"{question.id}: the question's own answer ({_short_repr(answer)}) fails its check; "
        "fix the reference or the check's tolerance"
    )
    if isinstance(question, quiz.Choice):
        assert grade(question, question.options[question._answer]), f"{question.id}: the right option's text fails its check"


def well_formed(question: quiz.Question, answer) -> str | None:
    """``None`` when ``answer`` is an answer of the question's kind, else what is wrong with it."""
    if quiz.unanswered(answer):
        return "is an unanswered stub (...), which fails for any question"
    if isinstance(question, quiz.Numeric) and _as_real(answer) is None:
        return "is not one number"
    if isinstance(question, quiz.Choice) and not isinstance(question._index(answer), int):
        return "is not one of the options (give an index or an option's exact text)"
    if isinstance(question, quiz.TrueFalse) and not isinstance(answer, bool):
        return "is not True or False"
    if isinstance(question, (quiz.Formula, quiz.CodeExercise)):
        if not callable(answer):
            return "is not a function"
        cases = question._samples if isinstance(question, quiz.Formula) else question._cases
        first = _cases(cases, question.id, "cases")[0]
        if _arity_problem(answer, first, _param_names(question.reference)):
            return "does not take the reference's arguments"
    return None


@pytest.mark.parametrize("question", BANK, ids=ids)
def test_plausible_wrong_answers_fail(question):
    assert question.wrong, (
        f"{question.id}: give the question at least one plausible wrong answer, wrong=[...] (off by one, "
        "the other convention, the wrong quantity, a rounding to the wrong digit; for code, a plausible "
        "wrong function) that its check must reject"
    )
    for i, answer in enumerate(question.wrong):
        problem = well_formed(question, answer)
        assert problem is None, (
            f"{question.id}: wrong[{i}] ({_short_repr(answer)}) {problem}; a wrong answer must be a "
            "well-formed answer that is wrong, so that rejecting it shows the check judges"
        )
        assert not grade(question, answer), (
            f"{question.id}: the check accepts the wrong answer wrong[{i}] ({_short_repr(answer)}); "
            "tighten the check so that it rejects it (or remove it from wrong if it is in fact right)"
        )


# --- numeric questions: the precision the prompt asks for -------------------------------------

def asked_precision(prompt: str) -> tuple[str, int] | None:
    """``("significant", n)``, ``("decimals", n)`` or ``("integer", 0)`` from the prompt's words."""
    for kind, pattern in (("significant", SIGNIFICANT), ("decimals", DECIMALS)):
        found = pattern.search(prompt)
        if found:
            count = found.group(1).lower()
            return kind, WORDS.get(count) or int(count)
    if INTEGER.search(prompt):
        return "integer", 0
    return None


def decimals_for(value: float, kind: str, count: int) -> int:
    """Digits after the point of ``value`` written to the asked precision (negative: tens, ...)."""
    if kind == "integer":
        return 0
    if kind == "decimals":
        return count
    if value == 0:
        return count - 1
    return count - 1 - math.floor(math.log10(abs(value)))


def rounded(value: float, decimals: int) -> float:
    result = round(value, decimals)
    # round() may land one unit off on the boundary; the written form is what a reader gives
    return float(f"{result:.{max(decimals, 0)}f}")


NUMERIC = [q for q in BANK if isinstance(q, quiz.Numeric)]


@pytest.mark.parametrize("question", NUMERIC, ids=[q.id for q in NUMERIC])
def test_numeric_tolerance_follows_the_asked_precision(question):
    precision = asked_precision(question.prompt)
    assert precision is not None, (
        f"{question.id}: the prompt does not say to what precision to answer; add e.g. 'Answer as an "
        "integer.', '(Three significant digits.)' or 'to two decimal places', and set the tolerance to "
        "half a unit of the last asked digit"
    )
    kind, count = precision
    value = question.value
    digits = decimals_for(value, kind, count)
    right = rounded(value, digits)
    unit = 10.0 ** -digits
    half = unit / 2
    asked = {"integer": "as an integer", "significant": f"to {count} significant digits",
             "decimals": f"to {count} decimal places"}[kind]
    assert grade(question, right), (
        f"{question.id}: the prompt asks {asked}, so {right:.{max(digits, 0)}f} is a correct answer, but the "
        f"check rejects it (rtol={question.rtol:g}, atol={question.atol:g}); accept every correctly rounded "
        f"answer: e.g. atol={half:g}, rtol=0"
    )
    for off in (right - unit, right + unit):
        assert not grade(question, off), (
            f"{question.id}: the prompt asks {asked}, but the check accepts {off:.{max(digits, 0)}f}, one unit "
            f"of the last asked digit off; tighten it to half a unit (atol={half:g}, rtol=0)"
        )


# --- multiple choice: no option stands out ----------------------------------------------------

CHOICES = [q for q in BANK if isinstance(q, quiz.Choice)]


@pytest.mark.parametrize("question", CHOICES, ids=[q.id for q in CHOICES])
def test_right_option_is_not_the_longest_by_far(question):
    right = question.options[question._answer]
    longest_wrong = max(len(o) for i, o in enumerate(question.options) if i != question._answer)
    assert len(right) <= LENGTH_RATIO * longest_wrong, (
        f"{question.id}: the right option has {len(right)} characters, the longest wrong one {longest_wrong}; "
        f"a reader can pick the right one by its length. Keep it at most {LENGTH_RATIO} x as long "
        f"(<= {int(LENGTH_RATIO * longest_wrong)} characters): shorten it or write the wrong options with "
        "the same detail"
    )


# --- hints ------------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "")).strip().lower()


@pytest.mark.parametrize("question", BANK, ids=ids)
def test_hint_does_not_give_the_answer(question):
    if not question.hint:
        return
    if isinstance(question, quiz.Numeric):
        for token in NUMBER.findall(question.hint):
            assert not grade(question, float(token)), (
                f"{question.id}: the hint contains {token}, which the check accepts as the answer; "
                "hint at the method, not the result"
            )
    if isinstance(question, quiz.Choice):
        right = _normalise(question.options[question._answer])
        assert right not in _normalise(question.hint), (
            f"{question.id}: the hint contains the right option's text ({question.options[question._answer]!r}); "
            "hint at the reasoning without naming the option"
        )


# Korean hints (UNET_COURSE_LANG=ko, the package catalog unet_course/locale/ko) follow the same rule. A number
# in Korean text is followed by Hangul ("34픽셀"), which NUMBER's \w look-ahead would skip.
NUMBER_KO = re.compile(r"(?<![A-Za-z0-9_.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![A-Za-z0-9_])")


@pytest.mark.parametrize("question", BANK, ids=ids)
def test_korean_hint_does_not_give_the_answer(question):
    from unet_course.quiz import catalog

    hint = catalog.table("hint").get(question.hint, "") if question.hint else ""
    if not hint:
        return  # a missing Korean hint fails tests/test_quiz_korean.py, by question id
    if isinstance(question, quiz.Numeric):
        for token in NUMBER_KO.findall(hint):
            assert not grade(question, float(token)), (
                f"{question.id}: the Korean hint contains {token}, which the check accepts as the answer; "
                "hint at the method, not the result"
            )
    if isinstance(question, quiz.Choice):
        right = _normalise(question.options[question._answer])
        assert right not in _normalise(hint), (
            f"{question.id}: the Korean hint contains the right option's text ({question.options[question._answer]!r})"
        )
