"""The question bank: every chapter's ``QUESTIONS`` collected by id, and a reader's answer
checked against the question of an id.

Each chapter's questions live in ``unet_course/questions/chNN_name.py`` as a list
``QUESTIONS``; :func:`load_bank` imports them all. An id that no question has is an error
(:class:`UnknownQuestionError`, in the language of ``UNET_COURSE_LANG``) that names the nearest
ids and how to list them, never a "Not yet." that would read as a wrong answer.

With ``UNET_COURSE_GRADE_RECORD`` set to a file's path, :func:`check` also appends one JSON line
``{"id": ..., "verdict": "right" | "wrong" | "unanswered"}`` to that file: ``python -m unet_course
grade`` sets it for the kernel of each notebook it runs. Unset, nothing is written.

Serves: the exercises of every chapter (chapters 01-11).
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import pkgutil
import re
from collections.abc import Sequence
from typing import Any

from .engine import Question
from .messages import _t
from .stubs import unanswered
from .values import _short_repr, _type_name

BANK_PACKAGE = "unet_course.questions"
#: The last answer :func:`check` graded for each id, and its verdict (read by :func:`yours_or_reference`).
_LAST_VERDICT: dict[str, tuple[Any, bool]] = {}
#: When set, the path of a file that :func:`check` appends each verdict to (one JSON line).
RECORD_VARIABLE = "UNET_COURSE_GRADE_RECORD"


class DuplicateIdError(ValueError):
    """Two questions of the bank share one id.

    Serves: the exercises of every chapter (chapters 01-11).
    """


class UnknownQuestionError(KeyError):
    """No question of the bank has this id; the message names the nearest ids and how to list them.

    A ``KeyError``, so ``except KeyError`` still catches it; its text is the message itself
    (a plain ``KeyError`` would show it quoted, as a repr).

    Serves: the exercises of every chapter (chapters 01-11).
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def load_bank(package: str = BANK_PACKAGE) -> dict[str, Question]:
    """Import every module of ``package`` and collect its ``QUESTIONS`` by id.

    Raises ``DuplicateIdError`` naming both modules when an id occurs twice, ``TypeError`` when a
    module lacks a ``QUESTIONS`` list of questions, and ``ValueError`` when a module named
    ``chNN_...`` holds a question of another chapter.

    Serves: the exercises of every chapter (chapters 01-11).
    """
    pkg = importlib.import_module(package)
    bank: dict[str, Question] = {}
    where: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module_name = f"{package}.{info.name}"
        module = importlib.import_module(module_name)
        items = getattr(module, "QUESTIONS", None)
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"{module_name} must define QUESTIONS, a list of quiz questions")
        chapter = re.match(r"ch(\d{2})_", info.name)
        for item in items:
            if not isinstance(item, Question):
                raise TypeError(f"{module_name}.QUESTIONS holds {_short_repr(item)}, not a quiz question")
            if chapter and item.id[:2] != chapter.group(1):
                raise ValueError(
                    f"{module_name} holds question {item.id!r}; ids in {info.name} must start with '{chapter.group(1)}.'"
                )
            if item.id in bank:
                raise DuplicateIdError(f"question id {item.id!r} is defined twice: in {where[item.id]} and in {module_name}")
            bank[item.id] = item
            where[item.id] = module_name
    return bank


def questions(chapter: int | str | None = None) -> list[Question]:
    """Every question of the bank, sorted by id; only chapter ``chapter`` (e.g. ``5`` or ``"05"``)
    when given.

    Serves: the exercises of every chapter (chapters 01-11).
    """
    bank = load_bank()
    if chapter is None:
        return [bank[k] for k in sorted(bank)]
    try:
        number = int(chapter)
    except (TypeError, ValueError):
        raise ValueError(_t("chapter must be a chapter number like 5 or '05', got {chapter}", chapter=repr(chapter))) from None
    return [bank[k] for k in sorted(bank) if bank[k].chapter == number]


def _unknown_id_message(qid: str, ids: Sequence[str]) -> str:
    """Why ``qid`` finds no question: the close ids (or else the nearest one) and how to list them."""
    close = difflib.get_close_matches(qid, ids, n=3, cutoff=0.6)
    nearest = close or difflib.get_close_matches(qid, ids, n=1, cutoff=0.0)
    parts = []
    if close:
        parts.append(_t("Did you mean {names}?", names=_t(" or ").join(repr(c) for c in close)))
    elif nearest:
        parts.append(_t("The nearest id is {name}.", name=repr(nearest[0])))
    chapter = int(nearest[0][:2]) if nearest else 1
    parts.append(_t("quiz.questions() lists every question by its id; quiz.questions({chapter}) lists those of chapter {chapter}.",
                    chapter=chapter))
    return _t("There is no question with id {id}. {suggestion}", id=repr(qid), suggestion=" ".join(parts))


def _lookup(id: Any, function: str) -> Question:
    """The question with this id for ``quiz.<function>``: a ``TypeError`` when ``id`` is not a
    string, an :class:`UnknownQuestionError` when no question has it."""
    if not isinstance(id, str):
        raise TypeError(_t("The first argument of quiz.{function} is a question id like '05.conv-count', not {kind}.",
                           function=function, kind=_type_name(id)))
    bank = load_bank()
    if id not in bank:
        raise UnknownQuestionError(_unknown_id_message(id, list(bank)))
    return bank[id]


def get(id: str) -> Question:
    """The question with this id; :class:`UnknownQuestionError` (a ``KeyError``) naming the
    nearest ids when there is none.

    Serves: the exercises of every chapter (chapters 01-11).
    """
    return _lookup(id, "get")


def check(id: str, answer: Any) -> bool:
    """Check ``answer`` to question ``id``: print a verdict (and a hint when wrong), return bool.

    The right answer is never printed, and an answer of the wrong type is a message, not an
    error. An id that is not a question's is an error, since it is no answer at all:
    :class:`UnknownQuestionError` naming the nearest ids (``TypeError`` when ``id`` is not a
    string).

    With ``UNET_COURSE_GRADE_RECORD`` set, the verdict (``right``, ``wrong`` or ``unanswered``)
    is also appended to that file as a JSON line with the id.

    Serves: the exercises of every chapter (chapters 01-11).
    """
    question = _lookup(id, "check")
    correct = question.check(answer)
    _LAST_VERDICT[question.id] = (answer, correct)
    record = os.environ.get(RECORD_VARIABLE)
    if record:
        verdict = "right" if correct else "unanswered" if unanswered(answer) else "wrong"
        with open(record, "a", encoding="utf-8") as file:
            file.write(json.dumps({"id": question.id, "verdict": verdict}) + "\n")
    return correct


def yours_or_reference(id: str, yours: Any, reference: Any) -> Any:
    """What a chapter's build track goes on with: ``yours`` when it passes question ``id``, else
    ``reference`` (the package's implementation), with one printed line that says which.

    Used right after the build step's check cell, so that the learner's edition runs to the end
    while a step is unanswered or wrong, and later cells say whose code they run. The verdict of
    the :func:`check` just made on the same object is reused (no second grading); otherwise the
    answer is graded silently here.

    Serves: the build steps of chapters 03, 05, 06 and 08 (the learner's edition stays runnable).
    """
    question = _lookup(id, "yours_or_reference")
    last = _LAST_VERDICT.get(question.id)
    if last is not None and last[0] is yours:
        correct = last[1]
    elif unanswered(yours):
        correct = False
    else:
        try:
            correct = question.grade(yours)[0]
        except Exception:  # noqa: BLE001 - a reader's code may raise anything; check() reports it
            correct = False
    name = getattr(reference, "__qualname__", None) or type(reference).__name__
    module = getattr(reference, "__module__", None)
    # an adapter kept next to the question (around the package's code) is named by itself
    where = f"{module}.{name}" if module and not module.startswith(BANK_PACKAGE) else name
    if correct:
        print(_t("[{id}] From here on the chapter runs your implementation.", id=question.id))
        return yours
    if unanswered(yours):
        print(_t("[{id}] Not answered yet: from here on the chapter runs the package's {where}.", id=question.id, where=where))
    else:
        print(_t("[{id}] Your implementation does not pass yet: from here on the chapter runs the package's {where}.",
                 id=question.id, where=where))
    return reference
