"""The checking engine: a question with a stable id, and the verdict that :meth:`Question.check`
prints for a reader's answer.

Every kind of question (:mod:`.kinds`, :mod:`.functions`) implements :meth:`Question.grade`,
which returns ``(correct, message)``; :meth:`Question.check` prints the id and the verdict, the
message, and the hint when the answer is wrong, in the language of ``UNET_COURSE_LANG``. The
right answer is never printed. An unanswered stub of the learner's edition is not graded, and a
reader's value that breaks the grader is a message, not a traceback.

Serves: the exercises of every chapter (chapters 01-11).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from .messages import RIGHT, UNANSWERED, WRONG, _localized, _t, language
from .stubs import _unanswered_message, unanswered
from .values import _type_name

ID_PATTERN = re.compile(r"^(\d{2})\.[a-z0-9][a-z0-9_-]*$")


class Mistake(NamedTuple):
    """A typical wrong answer paired with the sentence its feedback must contain.

    ``wrong=[quiz.Mistake(answer, says="the sizes do not shrink ...")]`` in a question of the
    bank: ``answer`` is a wrong implementation a learner is likely to write (``padding=1``, a crop
    off by one pixel ...), ``says`` the English hint or message written for that mistake.
    ``tests/test_build_track.py`` runs every mistake through the check and requires ``says`` in
    what it prints (and its Korean, from the package's catalog, under
    ``UNET_COURSE_LANG=ko``): the check diagnoses, not only judges.

    Serves: the build steps of chapters 03, 05, 06 and 08 (checks that diagnose).
    """

    answer: Any
    says: str


def _validate_id(qid: Any) -> str:
    """``qid`` if it is of the form ``"NN.short-name"``, else a ``ValueError`` that shows the form."""
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        raise ValueError(
            f"question id {qid!r} is not of the form 'NN.short-name' "
            "(two-digit chapter, a dot, then lowercase letters, digits, '-' or '_'), "
            "e.g. '05.conv-count'"
        )
    return qid


class Question:
    """Base class of every kind: an id ``"NN.short-name"``, a Markdown prompt and a hint.

    Subclasses implement :meth:`grade`, which returns ``(correct, message)``; the message
    never contains the right answer.

    Serves: the exercises of every chapter (chapters 01-11).
    """

    kind = "question"

    def __init__(self, id: str, prompt: str, *, hint: str = "", wrong: Sequence[Any] = ()) -> None:
        self.id = _validate_id(id)
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError(f"question {id}: the prompt must be a non-empty string")
        if not isinstance(hint, str):
            raise TypeError(f"question {id}: the hint must be a string, got {_type_name(hint)}")
        self.prompt = prompt
        self.hint = hint
        # Plausible wrong answers (off by one, the other convention, the wrong quantity, a rounding
        # to the wrong digit): the bank test requires that each of them fails the check. A
        # ``Mistake`` also names what its feedback must say (tests/test_build_track.py).
        self.mistakes = tuple(w for w in wrong if isinstance(w, Mistake))
        self.wrong = tuple(w.answer if isinstance(w, Mistake) else w for w in wrong)

    @property
    def chapter(self) -> int:
        """The chapter number, from the id's two leading digits."""
        return int(self.id[:2])

    def grade(self, answer: Any) -> tuple[bool, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, answer: Any) -> bool:
        """Grade ``answer``, print the verdict (and the hint when wrong), return ``True`` if right.

        An unanswered stub (``...``, or a function whose body is ``...``) is not graded: it prints
        "Not answered yet." and returns ``False``. Grading never raises: a reader's value that
        breaks the grader is reported as a message.
        """
        language()  # an unknown UNET_COURSE_LANG is an error before anything is graded
        if unanswered(answer):
            print(f"[{self.id}] {_t(UNANSWERED)} {_unanswered_message(answer)}")
            return False
        try:
            correct, message = self.grade(answer)
        except Exception as error:  # noqa: BLE001 - a reader's value may break a comparison
            correct, message = False, _t(
                "This answer could not be graded ({error}); check its type and shape.", error=type(error).__name__ + ": " + str(error)
            )
        if correct and message == getattr(self, "explanation", None):
            message = _localized(message, "explanation")
        lines = [f"[{self.id}] {_t(RIGHT) if correct else _t(WRONG)}"]
        if message:
            lines.append(message)
        if not correct and self.hint:
            lines.append(_t("Hint: {hint}", hint=_localized(self.hint, "hint")))
        print("\n".join(lines))
        return correct

    def to_markdown(self) -> str:
        """The question as Markdown: id, kind and prompt (and options for choice questions)."""
        return f"**{self.id}** ({self.kind})\n\n{self.prompt}\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"

