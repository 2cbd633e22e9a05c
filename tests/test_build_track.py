"""The build track's checks diagnose: every typical wrong implementation gets the hint written for it.

A build step (chapters 03, 05, 06, 08: the learner writes a piece of the network, the tiling loop
or the weight map) lists its typical mistakes as ``quiz.Mistake(answer, says=...)`` in ``wrong=``.
Each mistake runs through the step's check here, in English and in Korean
(``UNET_COURSE_LANG=ko``), and what the check prints must contain the sentence written for that
mistake, not only "Not yet.". The reference passing and every wrong answer failing are held by
``tests/test_quiz_bank.py``; ``quiz.yours_or_reference`` (the chapter goes on with the learner's
code when it passes, else the package's) is tested at the end.
"""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from unet_course import quiz
from unet_course.quiz import catalog

HANGUL = re.compile(r"[\uac00-\ud7a3]")
BUILD_STEPS = [q for q in quiz.questions() if q.mistakes]
CASES = [(q, i) for q in BUILD_STEPS for i in range(len(q.mistakes))]


def _printed(question: quiz.Question, answer) -> tuple[bool, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        correct = question.check(answer)
    return correct, out.getvalue()


def _korean(says: str) -> str | None:
    """The Korean of a mistake's sentence: a hint or a message of the question tables."""
    return catalog.table().get(says) or catalog.table("hint").get(says)


def test_the_build_track_exists():
    chapters = {q.chapter for q in BUILD_STEPS}
    assert {3, 5, 6, 8} <= chapters, (
        f"build steps with diagnosed mistakes exist in chapters {sorted(chapters)}; the build track "
        "needs them in chapters 03, 05, 06 and 08"
    )
    for question in BUILD_STEPS:
        assert len(question.mistakes) >= 3, (
            f"{question.id}: a build step lists at least three typical mistakes (quiz.Mistake), it has "
            f"{len(question.mistakes)}"
        )


@pytest.mark.parametrize(("question", "index"), CASES, ids=[f"{q.id}-{i}" for q, i in CASES])
def test_each_mistake_gets_its_own_hint(question, index, monkeypatch):
    mistake = question.mistakes[index]
    monkeypatch.delenv("UNET_COURSE_LANG", raising=False)
    correct, printed = _printed(question, mistake.answer)
    assert not correct, f"{question.id}: mistake {index} ({mistake.says!r}) passes the check"
    assert mistake.says in printed, (
        f"{question.id}: mistake {index} should be told {mistake.says!r}; the check printed:\n{printed}"
    )
    korean = _korean(mistake.says)
    assert korean and HANGUL.search(korean), (
        f"{question.id}: the sentence of mistake {index} has no Korean version; mark it N_(...) in the "
        f"question's module, run `make translations` and translate it in unet_course/locale/ko/LC_MESSAGES/unet_course.po:\n{mistake.says}"
    )
    monkeypatch.setenv("UNET_COURSE_LANG", "ko")
    correct, printed = _printed(question, mistake.answer)
    assert not correct
    assert korean in printed, (
        f"{question.id}: under UNET_COURSE_LANG=ko, mistake {index} should be told {korean!r}; the check "
        f"printed:\n{printed}"
    )


def test_mistakes_of_one_step_are_told_apart():
    for question in BUILD_STEPS:
        sentences = [m.says for m in question.mistakes]
        assert len(set(sentences)) == len(sentences), (
            f"{question.id}: two mistakes share one sentence; each typical mistake gets the hint written for it"
        )


# --- the chapter goes on with the learner's code, or the package's ----------------------------

def _reference_answer(question):
    return question.reference


@pytest.mark.parametrize("question", BUILD_STEPS[:1], ids=[q.id for q in BUILD_STEPS[:1]])
def test_yours_or_reference(question, capsys):
    fallback = object()
    assert quiz.yours_or_reference(question.id, ..., fallback) is fallback
    assert "Not answered yet" in capsys.readouterr().out
    wrong = question.mistakes[0].answer
    assert quiz.yours_or_reference(question.id, wrong, fallback) is fallback
    assert "does not pass yet" in capsys.readouterr().out
    right = _reference_answer(question)
    assert quiz.yours_or_reference(question.id, right, fallback) is right
    assert "runs your implementation" in capsys.readouterr().out


def test_yours_or_reference_reuses_the_check_just_made(capsys):
    question = quiz.get("05.conv-23")
    calls = []
    original = question.grade

    def counting(answer):
        calls.append(answer)
        return original(answer)

    question.grade = counting
    try:
        quiz.check("05.conv-23", True)
        assert quiz.yours_or_reference("05.conv-23", True, "reference") is True
    finally:
        del question.grade
    assert len(calls) == 1, "yours_or_reference graded the answer again right after quiz.check"
    capsys.readouterr()
