"""The questions answered with a function: a small formula, or a piece of the package's code.

- :class:`Formula`: a function (e.g. of ``k, s, k2, s2``) compared with the reference on
  sample arguments, numbers with a tolerance.
- :class:`CodeExercise`: a function compared with the package's reference on test cases, with
  a message that says what is off ("your output has shape (4, 6), it should have shape (4, 4)").

Both run the reader's function on deep copies of the arguments, report a wrong number of
parameters or an exception as a message, and name the failing arguments, never the reference's
result.

Serves: the exercises of every chapter (chapters 01-11).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from .engine import Question
from .localize import message_ko
from .messages import _t, language
from .values import _compare_values, _short_repr, _type_name, default_compare


def _describe_args(names: Sequence[str], args: tuple) -> str:
    """``"k=3, s=1"``: the arguments of a failing case, arrays by shape."""
    parts = []
    for i, value in enumerate(args):
        name = names[i] if i < len(names) else f"arg{i}"
        parts.append(f"{name}={_short_repr(value)}")
    return ", ".join(parts)


def _param_names(fn: Callable) -> list[str]:
    """The names of ``fn``'s positional parameters (none when its signature cannot be read)."""
    try:
        return [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return []


def _arity_problem(fn: Callable, args: tuple, names: Sequence[str]) -> str | None:
    """A message if ``fn`` cannot be called with ``args`` (wrong number of parameters)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*args)
    except TypeError:
        wanted = ", ".join(names) if names else _t("{count} arguments", count=len(args))
        theirs = ", ".join(signature.parameters) or _t("no arguments")
        return _t("Your function must take {count} argument(s) ({wanted}); yours takes ({theirs}).",
                  count=len(args), wanted=wanted, theirs=theirs)
    return None


def _call_reader(fn: Callable, args: tuple, names: Sequence[str]) -> tuple[bool, Any]:
    """Call the reader's function on a deep copy of ``args``; ``(False, message)`` if it raised."""
    try:
        return True, fn(*copy.deepcopy(args))
    except Exception as error:  # noqa: BLE001 - the reader's code may raise anything
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return False, _t("Your function raised {detail} on input ({args}).", detail=detail, args=_describe_args(names, args))


def _cases(cases: Any, qid: str, what: str) -> list[tuple]:
    """The argument tuples of ``cases`` (a list, or a zero-argument callable returning one)."""
    raw = cases() if callable(cases) else cases
    result = [tuple(c) if isinstance(c, (tuple, list)) else (c,) for c in raw]
    if not result:
        raise ValueError(f"question {qid}: no {what} to check on")
    return result


class _FunctionQuestion(Question):
    """A question answered with a function that runs next to ``reference`` on argument tuples.

    Subclasses say what a non-function answer is told (:meth:`_not_a_function`), which
    arguments to run on (:meth:`_arguments`), how a result is off (:meth:`_mismatch`) and what
    agreement on every case prints (:meth:`_agreement`).
    """

    def __init__(self, id: str, prompt: str, reference: Callable[..., Any], *, hint: str, wrong: Sequence[Any]) -> None:
        super().__init__(id, prompt, hint=hint, wrong=wrong)
        if not callable(reference):
            raise TypeError(f"question {id}: reference must be a function")
        self.reference = reference

    def _not_a_function(self, answer: Any, names: list[str]) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _arguments(self) -> list[tuple]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _mismatch(self, yours: Any, args: tuple, names: list[str]) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _agreement(self, count: int) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def grade(self, answer: Any) -> tuple[bool, str]:
        names = _param_names(self.reference)
        if not callable(answer):
            return False, self._not_a_function(answer, names)
        cases = self._arguments()
        problem = _arity_problem(answer, cases[0], names)
        if problem:
            return False, problem
        for args in cases:
            ok, yours = _call_reader(answer, args, names)
            if not ok:
                return False, yours
            problem = self._mismatch(yours, args, names)
            if problem:
                return False, problem
        return True, self._agreement(len(cases))


class Formula(_FunctionQuestion):
    """A small formula the reader writes as a Python function, checked on sample arguments.

    ``reference(*args)`` gives the right result (a number or a tuple of numbers) for each tuple
    of ``samples`` (a list, or a zero-argument callable returning one). Results are compared
    with ``isclose(rel_tol=rtol, abs_tol=atol)``. Messages name the failing sample and say
    which value is too large or too small, never the right value.

    Serves: the exercises of every chapter (chapters 01-11).
    """

    kind = "formula"

    def __init__(
        self,
        id: str,
        prompt: str,
        reference: Callable[..., Any],
        samples: Sequence[tuple] | Callable[[], Sequence[tuple]],
        *,
        hint: str = "",
        wrong: Sequence[Any] = (),
        rtol: float = 1e-9,
        atol: float = 1e-9,
    ) -> None:
        super().__init__(id, prompt, reference, hint=hint, wrong=wrong)
        self._samples = samples
        self.rtol, self.atol = float(rtol), float(atol)

    def _not_a_function(self, answer: Any, names: list[str]) -> str:
        signature = f"({', '.join(names)})" if names else ""
        return _t(
            "This question wants a function{signature}, e.g. `def rule{signature}: return ...`; you gave {kind} {value}.",
            signature=signature, kind=_type_name(answer), value=_short_repr(answer),
        )

    def _arguments(self) -> list[tuple]:
        return _cases(self._samples, self.id, "samples")

    def _mismatch(self, yours: Any, args: tuple, names: list[str]) -> str | None:
        mismatch = _compare_values(yours, self.reference(*args), self.rtol, self.atol)
        if mismatch is None:
            return None
        return _t("For {args}: {problem}.", args=_describe_args(names, args), problem=mismatch)

    def _agreement(self, count: int) -> str:
        return _t("Your formula agrees with the reference on all {count} samples.", count=count)


class CodeExercise(_FunctionQuestion):
    """A function the reader writes, checked against the package's ``reference`` on ``cases``.

    ``cases`` is a list of argument tuples or a zero-argument callable returning one (use a
    callable to build arrays lazily, with a fixed seed). For each case the reader's function and
    the reference run on deep copies of the arguments, and ``compare(yours, reference_output,
    args)`` returns ``None`` when they agree, else a message for the reader (default:
    :func:`~unet_course.quiz.values.default_compare`).

    Serves: the code exercises of chapters 01-11.
    """

    kind = "code"

    def __init__(
        self,
        id: str,
        prompt: str,
        reference: Callable[..., Any],
        cases: Sequence[tuple] | Callable[[], Sequence[tuple]],
        *,
        compare: Callable[[Any, Any, tuple], str | None] | None = None,
        hint: str = "",
        wrong: Sequence[Any] = (),
    ) -> None:
        super().__init__(id, prompt, reference, hint=hint, wrong=wrong)
        if compare is not None and not callable(compare):
            raise TypeError(f"question {id}: compare must be a function (yours, reference, args) -> message or None")
        self._cases = cases
        self.compare = compare or default_compare

    def _not_a_function(self, answer: Any, names: list[str]) -> str:
        return _t(
            "This question wants a function ({names}); you gave {kind} {value}. Pass the function itself, without calling it.",
            names=", ".join(names), kind=_type_name(answer), value=_short_repr(answer),
        )

    def _arguments(self) -> list[tuple]:
        return _cases(self._cases, self.id, "cases")

    def _mismatch(self, yours: Any, args: tuple, names: list[str]) -> str | None:
        message = self.compare(yours, self.reference(*copy.deepcopy(args)), args)
        if not message:
            return None
        if language() == "ko":  # a question's own compare speaks English; its Korean is in the package's catalog
            message = message_ko(message)
        return _t("On input ({args}): {problem}", args=_describe_args(names, args), problem=message)

    def _agreement(self, count: int) -> str:
        return _t("Your function matches the reference on all {count} test cases.", count=count)
