"""Exercise checks: a question bank with stable ids and answers that are never printed.

Every chapter's questions live in ``unet_course/questions/chNN_name.py`` as a list
``QUESTIONS``; this package collects them and checks a reader's answer::

    from unet_course import quiz
    quiz.check("02.compose-rule", my_rule)      # prints a verdict and a hint, returns bool

Five kinds of question: :class:`Numeric` (a number, with a tolerance), :class:`Choice` (an
option, by its 0-based index or its text), :class:`TrueFalse`, :class:`Formula` (a small
function compared with the reference on sample arguments) and :class:`CodeExercise` (a function
compared with the package's reference on test cases, with a message that says what is off:
"your output has shape (4, 6), it should have shape (4, 4)").

A build step (chapters 03, 05, 06, 08: the learner writes a piece of the network, the tiling or
the weight map) is a :class:`CodeExercise` whose ``wrong=`` holds :class:`Mistake` entries: typical
wrong implementations, each with the sentence its feedback must say.
:func:`yours_or_reference` then hands the chapter the learner's code when it passes, else the
package's, and says which.

The checker never prints the right answer; it says whether an answer is right, how it is off
(too large, wrong shape, the first differing pixel), and gives the question's hint. An answer of
the wrong type or a function that raises is a message, not a traceback; an id that no question
has is an error (:class:`UnknownQuestionError`) that names the nearest ids.

One module a job:

- :mod:`.engine`: the base :class:`Question` and the verdict that ``check`` prints.
- :mod:`.kinds` (numbers, options, true or false) and :mod:`.functions` (formulas, code).
- :mod:`.values`: values described in messages and compared with the reference's.
- :mod:`.stubs`: the learner's edition's unanswered ``...``, which is not graded.
- :mod:`.bank`: the bank by id, :func:`check`, :func:`get`, :func:`questions`.
- :mod:`.display`: :func:`show` (Markdown) and :func:`widget` (ipywidgets).
- :mod:`.messages`: English and Korean texts, chosen by ``UNET_COURSE_LANG`` (``ko`` for
  Korean; the Korean notebooks set it in their first cell); :mod:`.catalog` reads their Korean
  from the package's gettext catalog (:func:`N_` marks a compare function's message for it);
  :mod:`.localize` puts stored English feedback into Korean for ``scripts/make_korean.py``.

Serves: the exercises of every chapter (chapters 01-11).
"""

from __future__ import annotations

from .bank import BANK_PACKAGE, DuplicateIdError, UnknownQuestionError, check, get, load_bank, questions, yours_or_reference
from .display import show, widget
from .engine import ID_PATTERN, Mistake, Question
from .functions import CodeExercise, Formula
from .kinds import Choice, Numeric, TrueFalse
from .localize import localize_feedback
from .catalog import N_
from .messages import LANGUAGE_VARIABLE, LANGUAGES, RIGHT, UNANSWERED, WRONG, language
from .stubs import unanswered
from .values import default_compare

__all__ = [
    "Question",
    "Numeric",
    "Choice",
    "TrueFalse",
    "Formula",
    "CodeExercise",
    "DuplicateIdError",
    "UnknownQuestionError",
    "check",
    "yours_or_reference",
    "Mistake",
    "unanswered",
    "get",
    "questions",
    "load_bank",
    "default_compare",
    "show",
    "widget",
    "language",
    "localize_feedback",
    "LANGUAGES",
    "N_",
]
