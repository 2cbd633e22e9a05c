"""The questions answered with a value: a number, an option, true or false.

- :class:`Numeric`: a number, compared with a tolerance.
- :class:`Choice`: one of several options, given by its index (0-based) or its text.
- :class:`TrueFalse`: ``True`` or ``False``, with an explanation once right.

Serves: the exercises of every chapter (chapters 01-11).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import Question
from .catalog import translate
from .messages import _t, language
from .values import _as_real, _short_repr, _to_numpy, _type_name


class Numeric(Question):
    """A number, right when ``isclose(answer, reference, rel_tol=rtol, abs_tol=atol)``.

    ``answer`` is a float or a zero-argument callable that computes it from the package (it is
    evaluated once, on the first check). The reader may give an int, float, NumPy scalar or a
    one-element array or tensor.

    Serves: the exercises of every chapter (chapters 01-11).
    """

    kind = "number"

    def __init__(
        self,
        id: str,
        prompt: str,
        answer: float | Callable[[], float],
        *,
        rtol: float = 1e-3,
        atol: float = 0.0,
        hint: str = "",
        wrong: Sequence[Any] = (),
    ) -> None:
        super().__init__(id, prompt, hint=hint, wrong=wrong)
        if not callable(answer) and _as_real(answer) is None:
            raise TypeError(f"question {id}: answer must be a number or a zero-argument callable")
        if rtol < 0 or atol < 0:
            raise ValueError(f"question {id}: rtol and atol must be >= 0")
        self._answer = answer
        self._value: float | None = None
        self.rtol = float(rtol)
        self.atol = float(atol)

    @property
    def value(self) -> float:
        """The reference value (computed once from the callable, if one was given)."""
        if self._value is None:
            raw = self._answer() if callable(self._answer) else self._answer
            value = _as_real(raw)
            if value is None:
                raise TypeError(f"question {self.id}: the answer callable returned {_short_repr(raw)}, not a number")
            self._value = value
        return self._value

    def grade(self, answer: Any) -> tuple[bool, str]:
        given = _as_real(answer)
        if given is None:
            return False, _t("This question wants one number; you gave {kind} {value}.", kind=_type_name(answer), value=_short_repr(answer))
        if math.isnan(given):
            return False, _t("Your answer is NaN (not a number); check the computation that produced it.")
        ref = self.value
        if math.isclose(given, ref, rel_tol=self.rtol, abs_tol=self.atol):
            return True, ""
        if given > ref:
            return False, _t("Your answer {given} is too large.", given=format(given, "g"))
        return False, _t("Your answer {given} is too small.", given=format(given, "g"))


class Choice(Question):
    """One right option among several; ``answer`` is its 0-based index into ``options``.

    The reader gives the index (an int) or the option's text (case and surrounding spaces do
    not matter), in English or, with ``UNET_COURSE_LANG=ko``, as the Korean book writes it.

    Serves: the exercises of every chapter (chapters 01-11).
    """

    kind = "multiple choice"

    def __init__(self, id: str, prompt: str, options: Sequence[str], answer: int, *, hint: str = "", wrong: Sequence[Any] = ()) -> None:
        super().__init__(id, prompt, hint=hint, wrong=wrong)
        options = list(options)
        if len(options) < 2 or not all(isinstance(o, str) and o.strip() for o in options):
            raise ValueError(f"question {id}: options must be at least two non-empty strings")
        keys = [o.strip().lower() for o in options]
        if len(set(keys)) != len(keys):
            raise ValueError(f"question {id}: two options have the same text")
        if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)) or not 0 <= answer < len(options):
            raise ValueError(f"question {id}: answer must be an index 0..{len(options) - 1} into options")
        self.options = options
        self._answer = int(answer)

    def _shown_options(self) -> list[str]:
        """The options as the reader sees them: in Korean (the package's catalog, context
        ``option``) when ``UNET_COURSE_LANG=ko``."""
        if language() != "ko":
            return list(self.options)
        return [translate(o, "option") for o in self.options]

    def _index(self, answer: Any) -> int | str:
        """The reader's choice as an index, or a message explaining why it is not one."""
        shown = self._shown_options()
        listing = "; ".join(f"{i}: {o}" for i, o in enumerate(shown))
        if isinstance(answer, (bool, np.bool_)):
            return _t("Give the index of an option (0..{last}) or its text, not {answer}. Options: {listing}",
                      last=len(self.options) - 1, answer=answer, listing=listing)
        if isinstance(answer, (int, np.integer)):
            if 0 <= int(answer) < len(self.options):
                return int(answer)
            return _t("There is no option {answer}; the options are numbered 0..{last}: {listing}",
                      answer=int(answer), last=len(self.options) - 1, listing=listing)
        if isinstance(answer, str):
            key = answer.strip().lower()
            for i, options in enumerate(zip(self.options, shown)):
                if key in (option.strip().lower() for option in options):
                    return i
            return _t("{answer} is not one of the options. Give its index or its exact text: {listing}", answer=repr(answer), listing=listing)
        return _t("Give the index of an option (an int) or its text; you gave {kind} {value}.",
                  kind=_type_name(answer), value=_short_repr(answer))

    def grade(self, answer: Any) -> tuple[bool, str]:
        index = self._index(answer)
        if isinstance(index, str):
            return False, index
        if index == self._answer:
            return True, ""
        return False, _t("Option {index} ({option}) is not the right one.", index=index, option=repr(self._shown_options()[index]))

    def to_markdown(self) -> str:
        # Bullets with explicit 0-based numbers: a Markdown ordered list would renumber from 1,
        # but check() takes the 0-based index.
        items = "\n".join(f"- **{i}**: {o}" for i, o in enumerate(self.options))
        return f"**{self.id}** ({self.kind})\n\n{self.prompt}\n\n{items}\n"


_TRUE_WORDS = {"true", "t", "yes", "o", "참"}
_FALSE_WORDS = {"false", "f", "no", "x", "거짓"}


class TrueFalse(Question):
    """A statement that is true or false. ``explanation`` is printed once the reader is right.

    The reader gives ``True``/``False`` (also a NumPy or 0-d tensor bool, or the strings
    "true"/"false", "O"/"X" as Korean quizzes write them).

    Serves: the exercises of every chapter (chapters 01-11).
    """

    kind = "true or false"

    def __init__(self, id: str, prompt: str, answer: bool, *, hint: str = "", explanation: str = "", wrong: Sequence[Any] = ()) -> None:
        super().__init__(id, prompt, hint=hint, wrong=wrong)
        if not isinstance(answer, (bool, np.bool_)):
            raise TypeError(f"question {id}: answer must be True or False, got {_type_name(answer)}")
        self._answer = bool(answer)
        self.explanation = explanation

    def grade(self, answer: Any) -> tuple[bool, str]:
        value = _to_numpy(answer)
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype == bool:
            value = bool(value.reshape(()))
        if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
            value = value.strip().lower() in _TRUE_WORDS
        if not isinstance(value, (bool, np.bool_)):
            return False, _t("Answer True or False; you gave {kind} {value}.", kind=_type_name(answer), value=_short_repr(answer))
        if bool(value) == self._answer:
            return True, self.explanation
        return False, _t("{value} is not right.", value=bool(value))

    def to_markdown(self) -> str:
        return f"**{self.id}** (true or false)\n\n{self.prompt}\n\n- True\n- False\n"

