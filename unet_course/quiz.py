"""Exercise checks: a question bank with stable ids and answers that are never printed.

Every chapter's questions live in ``unet_course/questions/chNN_name.py`` as a list
``QUESTIONS``; this module collects them and checks a reader's answer::

    from unet_course import quiz
    quiz.check("02.compose-rule", my_rule)      # prints a verdict and a hint, returns bool

Five kinds of question:

- :class:`Numeric`: a number, compared with a tolerance.
- :class:`Choice`: one of several options, given by its index (0-based) or its text.
- :class:`TrueFalse`: ``True`` or ``False``.
- :class:`Formula`: a small function (e.g. of ``k, s, k2, s2``) compared with the reference on
  sample arguments.
- :class:`CodeExercise`: a function compared with the package's reference on test cases, with a
  message that says what is off ("your output has shape (4, 6), it should have shape (4, 4)").

The checker never prints the right answer; it says whether an answer is right, how it is off
(too large, wrong shape, the first differing pixel), and gives the question's hint. An unknown
id, an answer of the wrong type or a function that raises is a message, not a traceback.
"""

from __future__ import annotations

import ast
import copy
import difflib
import dis
import html
import importlib
import inspect
import math
import numbers
import pkgutil
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Question",
    "Numeric",
    "Choice",
    "TrueFalse",
    "Formula",
    "CodeExercise",
    "DuplicateIdError",
    "check",
    "unanswered",
    "get",
    "questions",
    "load_bank",
    "default_compare",
    "show",
    "widget",
]

ID_PATTERN = re.compile(r"^(\d{2})\.[a-z0-9][a-z0-9_-]*$")
BANK_PACKAGE = "unet_course.questions"
# Verdicts in plain ASCII: every font has these characters (an emoji renders as an empty box
# where no emoji font is installed).
RIGHT = "Correct."
WRONG = "Not yet."
UNANSWERED = "Not answered yet."


def _is_stub_function(value: Any) -> bool:
    """True for a function whose whole body is ``...`` (after an optional docstring): the stub
    the learner's edition leaves where the solution defined a function. Read from the source
    when it can be found (it can in a notebook), else from the bytecode (a body that only
    returns None)."""
    if not inspect.isfunction(value):
        return False
    value = inspect.unwrap(value)
    code = value.__code__
    if code.co_name == "<lambda>":
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(value)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        tree = None
    if tree is not None and tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        body = tree.body[0].body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str) and len(body) > 1:
            body = body[1:]  # the docstring
        return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and body[0].value.value is Ellipsis
    ops = [
        (ins.opname, ins.argval)
        for ins in dis.get_instructions(code)
        if ins.opname not in {"RESUME", "NOP", "CACHE", "EXTENDED_ARG"}
    ]
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def _is_stub_class(value: Any) -> bool:
    """True for ``class C: ...``, the stub of a solution that defined a class."""
    if not inspect.isclass(value) or value.__bases__ != (object,):
        return False
    return not (set(vars(value)) - {"__module__", "__qualname__", "__dict__", "__weakref__", "__doc__",
                                    "__firstlineno__", "__static_attributes__"})


def unanswered(answer: Any) -> bool:
    """True when ``answer`` is still the learner's edition's stub: ``...`` (Ellipsis), a function
    whose body is ``...``, a class whose body is ``...``, or a tuple, list or dict holding one."""
    if answer is Ellipsis or _is_stub_function(answer) or _is_stub_class(answer):
        return True
    if isinstance(answer, (tuple, list)):
        return any(item is Ellipsis or _is_stub_function(item) for item in answer)
    if isinstance(answer, dict):
        return any(item is Ellipsis or _is_stub_function(item) for item in answer.values())
    return False


def _unanswered_message(answer: Any) -> str:
    if inspect.isfunction(answer) or inspect.isclass(answer):
        name = getattr(answer, "__name__", "your function")
        return f"`{name}` still has the empty body `...`: write it in the cell above, run that cell, then run this check again."
    return "Replace each `...` in the answer cell above with your answer, run that cell, then run this check again."


class DuplicateIdError(ValueError):
    """Two questions of the bank share one id."""


def _validate_id(qid: Any) -> str:
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        raise ValueError(
            f"question id {qid!r} is not of the form 'NN.short-name' "
            "(two-digit chapter, a dot, then lowercase letters, digits, '-' or '_'), "
            "e.g. '05.conv-count'"
        )
    return qid


def _type_name(value: Any) -> str:
    return type(value).__name__


def _short_repr(value: Any, limit: int = 60) -> str:
    """A compact description of a value for a message: arrays by shape and dtype."""
    shape = getattr(value, "shape", None)
    if shape is not None and getattr(value, "ndim", 0) > 0:
        kind = "tensor" if _is_tensor(value) else "array"
        return f"{kind} of shape {tuple(shape)}, {value.dtype}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


def _to_numpy(value: Any) -> Any:
    """Tensors (any device, with grad or not) to NumPy; everything else unchanged."""
    if _is_tensor(value) and hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value


def _as_real(value: Any) -> float | None:
    """``value`` as a float if it is one real number (int, float, NumPy or 0-d/1-element
    array or tensor), else ``None``. Booleans are not numbers here."""
    value = _to_numpy(value)
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, np.ndarray):
        if value.size != 1 or value.dtype == bool or not np.issubdtype(value.dtype, np.number):
            return None
        if np.iscomplexobj(value):
            return None
        return float(value.reshape(()))
    if isinstance(value, numbers.Real):
        return float(value)
    return None


def _ordinal(i: int) -> str:
    n = i + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Question:
    """Base class of every kind: an id ``"NN.short-name"``, a Markdown prompt and a hint.

    Subclasses implement :meth:`grade`, which returns ``(correct, message)``; the message
    never contains the right answer.
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
        # to the wrong digit): the bank test requires that each of them fails the check.
        self.wrong = tuple(wrong)

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
        if unanswered(answer):
            print(f"[{self.id}] {UNANSWERED} {_unanswered_message(answer)}")
            return False
        try:
            correct, message = self.grade(answer)
        except Exception as error:  # noqa: BLE001 - a reader's value may break a comparison
            correct, message = False, f"This answer could not be graded ({type(error).__name__}: {error}); check its type and shape."
        lines = [f"[{self.id}] {RIGHT if correct else WRONG}"]
        if message:
            lines.append(message)
        if not correct and self.hint:
            lines.append(f"Hint: {self.hint}")
        print("\n".join(lines))
        return correct

    def to_markdown(self) -> str:
        """The question as Markdown: id, kind and prompt (and options for choice questions)."""
        return f"**{self.id}** ({self.kind})\n\n{self.prompt}\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"


class Numeric(Question):
    """A number, right when ``isclose(answer, reference, rel_tol=rtol, abs_tol=atol)``.

    ``answer`` is a float or a zero-argument callable that computes it from the package (it is
    evaluated once, on the first check). The reader may give an int, float, NumPy scalar or a
    one-element array or tensor.
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
            return False, f"This question wants one number; you gave {_type_name(answer)} {_short_repr(answer)}."
        if math.isnan(given):
            return False, "Your answer is NaN (not a number); check the computation that produced it."
        ref = self.value
        if math.isclose(given, ref, rel_tol=self.rtol, abs_tol=self.atol):
            return True, ""
        side = "too large" if given > ref else "too small"
        return False, f"Your answer {given:g} is {side}."


class Choice(Question):
    """One right option among several; ``answer`` is its 0-based index into ``options``.

    The reader gives the index (an int) or the option's text (case and surrounding spaces do
    not matter).
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

    def _index(self, answer: Any) -> int | str:
        """The reader's choice as an index, or a message explaining why it is not one."""
        listing = "; ".join(f"{i}: {o}" for i, o in enumerate(self.options))
        if isinstance(answer, (bool, np.bool_)):
            return f"Give the index of an option (0..{len(self.options) - 1}) or its text, not {answer}. Options: {listing}"
        if isinstance(answer, (int, np.integer)):
            if 0 <= int(answer) < len(self.options):
                return int(answer)
            return f"There is no option {int(answer)}; the options are numbered 0..{len(self.options) - 1}: {listing}"
        if isinstance(answer, str):
            key = answer.strip().lower()
            for i, option in enumerate(self.options):
                if option.strip().lower() == key:
                    return i
            return f"{answer!r} is not one of the options. Give its index or its exact text: {listing}"
        return f"Give the index of an option (an int) or its text; you gave {_type_name(answer)} {_short_repr(answer)}."

    def grade(self, answer: Any) -> tuple[bool, str]:
        index = self._index(answer)
        if isinstance(index, str):
            return False, index
        if index == self._answer:
            return True, ""
        return False, f"Option {index} ({self.options[index]!r}) is not the right one."

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
            return False, f"Answer True or False; you gave {_type_name(answer)} {_short_repr(answer)}."
        if bool(value) == self._answer:
            return True, self.explanation
        return False, f"{bool(value)} is not right."

    def to_markdown(self) -> str:
        return f"**{self.id}** (true or false)\n\n{self.prompt}\n\n- True\n- False\n"


def _describe_args(names: Sequence[str], args: tuple) -> str:
    parts = []
    for i, value in enumerate(args):
        name = names[i] if i < len(names) else f"arg{i}"
        parts.append(f"{name}={_short_repr(value)}")
    return ", ".join(parts)


def _param_names(fn: Callable) -> list[str]:
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
        wanted = ", ".join(names) if names else f"{len(args)} arguments"
        theirs = ", ".join(signature.parameters) or "no arguments"
        return f"Your function must take {len(args)} argument(s) ({wanted}); yours takes ({theirs})."
    return None


def _call_reader(fn: Callable, args: tuple, names: Sequence[str]) -> tuple[bool, Any]:
    """Call the reader's function on a deep copy of ``args``; ``(False, message)`` if it raised."""
    try:
        return True, fn(*copy.deepcopy(args))
    except Exception as error:  # noqa: BLE001 - the reader's code may raise anything
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return False, f"Your function raised {detail} on input ({_describe_args(names, args)})."


def _cases(cases: Any, qid: str, what: str) -> list[tuple]:
    raw = cases() if callable(cases) else cases
    result = [tuple(c) if isinstance(c, (tuple, list)) else (c,) for c in raw]
    if not result:
        raise ValueError(f"question {qid}: no {what} to check on")
    return result


def _compare_values(yours: Any, ref: Any, rtol: float, atol: float) -> str | None:
    """Compare two results of a formula: numbers with a tolerance, tuples element by element.

    Returns ``None`` when they agree, else a message that does not reveal ``ref``.
    """
    if yours is None and ref is not None:
        return "your function returned None: did you forget `return`?"
    if isinstance(ref, (tuple, list)):
        if not isinstance(yours, (tuple, list)):
            return f"your function returns one value ({_short_repr(yours)}); it should return {len(ref)} values (a tuple)"
        if len(yours) != len(ref):
            return f"your function returns {len(yours)} values; it should return {len(ref)}"
        verdicts = []
        wrong = False
        for i, (y, r) in enumerate(zip(yours, ref)):
            problem = _compare_values(y, r, rtol, atol)
            wrong = wrong or problem is not None
            verdicts.append(f"the {_ordinal(i)} value {'is right' if problem is None else problem}")
        return "; ".join(verdicts) if wrong else None
    r = _as_real(ref)
    if r is not None:
        y = _as_real(yours)
        if y is None:
            return f"should be a number, not {_type_name(yours)} {_short_repr(yours)}"
        if math.isclose(y, r, rel_tol=rtol, abs_tol=atol):
            return None
        return f"({y:g}) is {'too large' if y > r else 'too small'}"
    ref_np, yours_np = _to_numpy(ref), _to_numpy(yours)
    if isinstance(ref_np, np.ndarray):
        return default_compare(yours_np, ref_np, ())
    return None if yours == ref else f"({_short_repr(yours)}) is not right"


class Formula(Question):
    """A small formula the reader writes as a Python function, checked on sample arguments.

    ``reference(*args)`` gives the right result (a number or a tuple of numbers) for each tuple
    of ``samples`` (a list, or a zero-argument callable returning one). Results are compared
    with ``isclose(rel_tol=rtol, abs_tol=atol)``. Messages name the failing sample and say
    which value is too large or too small, never the right value.
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
        super().__init__(id, prompt, hint=hint, wrong=wrong)
        if not callable(reference):
            raise TypeError(f"question {id}: reference must be a function")
        self.reference = reference
        self._samples = samples
        self.rtol, self.atol = float(rtol), float(atol)

    def grade(self, answer: Any) -> tuple[bool, str]:
        names = _param_names(self.reference)
        signature = f"({', '.join(names)})" if names else ""
        if not callable(answer):
            return False, (
                f"This question wants a function{signature}, e.g. `def rule{signature}: return ...`; "
                f"you gave {_type_name(answer)} {_short_repr(answer)}."
            )
        samples = _cases(self._samples, self.id, "samples")
        problem = _arity_problem(answer, samples[0], names)
        if problem:
            return False, problem
        for args in samples:
            ok, yours = _call_reader(answer, args, names)
            if not ok:
                return False, yours
            mismatch = _compare_values(yours, self.reference(*args), self.rtol, self.atol)
            if mismatch is not None:
                return False, f"For {_describe_args(names, args)}: {mismatch}."
        return True, f"Your formula agrees with the reference on all {len(samples)} samples."


def default_compare(yours: Any, expected: Any, args: tuple) -> str | None:
    """Compare a reader's output with the reference's: ``None`` if they agree, else a message.

    Arrays and tensors: first the shape ("your output has shape (4, 6), it should have shape
    (4, 4)"), then ``numpy.allclose`` (rtol 1e-5, atol 1e-6), naming the first differing index
    and both values there. Tuples and lists are compared element by element; other values by
    ``==``.
    """
    if yours is None and expected is not None:
        return "Your function returned None: did you forget `return`?"
    if isinstance(expected, (tuple, list)) and not hasattr(expected, "shape"):
        if not isinstance(yours, (tuple, list)) or len(yours) != len(expected):
            count = len(yours) if isinstance(yours, (tuple, list)) else 1
            return f"Your function returns {count} value(s); it should return {len(expected)}."
        for i, (y, e) in enumerate(zip(yours, expected)):
            problem = default_compare(y, e, args)
            if problem:
                return f"In the {_ordinal(i)} returned value: {problem}"
        return None
    exp = _to_numpy(expected)
    got = _to_numpy(yours)
    if isinstance(exp, np.ndarray) or isinstance(got, np.ndarray):
        if not isinstance(got, np.ndarray):
            if _as_real(got) is None:
                return f"Your output is {_type_name(yours)} {_short_repr(yours)}; it should be an array or tensor."
            got = np.asarray(got)
        exp = np.asarray(exp)
        if got.shape != exp.shape:
            return f"Your output has shape {tuple(got.shape)}, it should have shape {tuple(exp.shape)}."
        try:
            got_f = got.astype(np.float64)
            exp_f = exp.astype(np.float64)
        except (TypeError, ValueError):
            if np.array_equal(got, exp):
                return None
            index = tuple(int(i) for i in np.argwhere(got != exp)[0])
            return f"Your output differs at index {index}: yours is {got[index]!r}, expected {exp[index]!r}."
        close = np.isclose(got_f, exp_f, rtol=1e-5, atol=1e-6, equal_nan=True)
        if close.all():
            return None
        bad = np.argwhere(~close)
        index = tuple(int(i) for i in bad[0])
        where = f"index {index}" if index else "the single value"
        return (
            f"Your output differs from the reference at {len(bad)} of {close.size} positions; "
            f"the first is {where}: yours is {got_f[index]:.6g}, expected {exp_f[index]:.6g}."
        )
    y, e = _as_real(yours), _as_real(expected)
    if e is not None:
        if y is None:
            return f"Your output is {_type_name(yours)} {_short_repr(yours)}; it should be a number."
        if math.isclose(y, e, rel_tol=1e-5, abs_tol=1e-6):
            return None
        return f"Your output {y:g} is {'too large' if y > e else 'too small'}."
    return None if yours == expected else f"Your output {_short_repr(yours)} is not right."


class CodeExercise(Question):
    """A function the reader writes, checked against the package's ``reference`` on ``cases``.

    ``cases`` is a list of argument tuples or a zero-argument callable returning one (use a
    callable to build arrays lazily, with a fixed seed). For each case the reader's function and
    the reference run on deep copies of the arguments, and ``compare(yours, reference_output,
    args)`` returns ``None`` when they agree, else a message for the reader (default:
    :func:`default_compare`).
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
        super().__init__(id, prompt, hint=hint, wrong=wrong)
        if not callable(reference):
            raise TypeError(f"question {id}: reference must be a function")
        if compare is not None and not callable(compare):
            raise TypeError(f"question {id}: compare must be a function (yours, reference, args) -> message or None")
        self.reference = reference
        self._cases = cases
        self.compare = compare or default_compare

    def grade(self, answer: Any) -> tuple[bool, str]:
        names = _param_names(self.reference)
        if not callable(answer):
            return False, (
                f"This question wants a function ({', '.join(names)}); "
                f"you gave {_type_name(answer)} {_short_repr(answer)}. Pass the function itself, without calling it."
            )
        cases = _cases(self._cases, self.id, "cases")
        problem = _arity_problem(answer, cases[0], names)
        if problem:
            return False, problem
        for args in cases:
            ok, yours = _call_reader(answer, args, names)
            if not ok:
                return False, yours
            expected = self.reference(*copy.deepcopy(args))
            message = self.compare(yours, expected, args)
            if message:
                return False, f"On input ({_describe_args(names, args)}): {message}"
        return True, f"Your function matches the reference on all {len(cases)} test cases."


# --- the bank ---------------------------------------------------------------------------------

def load_bank(package: str = BANK_PACKAGE) -> dict[str, Question]:
    """Import every module of ``package`` and collect its ``QUESTIONS`` by id.

    Raises ``DuplicateIdError`` naming both modules when an id occurs twice, ``TypeError`` when a
    module lacks a ``QUESTIONS`` list of questions, and ``ValueError`` when a module named
    ``chNN_...`` holds a question of another chapter.
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
    when given."""
    bank = load_bank()
    if chapter is None:
        return [bank[k] for k in sorted(bank)]
    try:
        number = int(chapter)
    except (TypeError, ValueError):
        raise ValueError(f"chapter must be a chapter number like 5 or '05', got {chapter!r}") from None
    return [bank[k] for k in sorted(bank) if bank[k].chapter == number]


def _suggest(qid: str, ids: Sequence[str]) -> str:
    close = difflib.get_close_matches(qid, ids, n=3, cutoff=0.6)
    if close:
        return "Did you mean " + " or ".join(repr(c) for c in close) + "?"
    chapter = qid[:2] if isinstance(qid, str) else ""
    same = [i for i in ids if i.startswith(chapter + ".")]
    if same:
        return f"Chapter {chapter} has: " + ", ".join(same[:12]) + ("" if len(same) <= 12 else ", ...")
    return "quiz.questions() lists every question."


def get(id: str) -> Question:
    """The question with this id; ``KeyError`` with close ids when there is none."""
    bank = load_bank()
    if id in bank:
        return bank[id]
    raise KeyError(f"no question with id {id!r}. {_suggest(str(id), list(bank))}")


def check(id: str, answer: Any) -> bool:
    """Check ``answer`` to question ``id``: print a verdict (and a hint when wrong), return bool.

    The right answer is never printed. An unknown id or an answer of the wrong type prints a
    message and returns ``False``.
    """
    if not isinstance(id, str):
        print(f"{WRONG} The first argument of quiz.check is a question id like '05.conv-count', not {_type_name(id)}.")
        return False
    bank = load_bank()
    if id not in bank:
        print(f"{WRONG} There is no question with id {id!r}. {_suggest(id, list(bank))}")
        return False
    return bank[id].check(answer)


# --- display ----------------------------------------------------------------------------------

def _question(id_or_question: str | Question) -> Question:
    return id_or_question if isinstance(id_or_question, Question) else get(id_or_question)


def show(id: str | Question) -> Any:
    """The question as a Markdown display object (prompt, and options for choice questions).

    Static: it renders in the HTML book without a kernel. In a notebook, make it the last
    expression of a cell, or pass it to ``IPython.display.display``.
    """
    from IPython.display import Markdown

    return Markdown(_question(id).to_markdown())


def widget(id: str | Question) -> Any:
    """An ipywidgets front end for a Choice or TrueFalse question: radio buttons, a Check button
    and the verdict below. Pair it with :func:`show` so the HTML book shows the question too."""
    import contextlib
    import io

    import ipywidgets as widgets

    question = _question(id)
    if isinstance(question, Choice):
        labels = [(f"{i}: {o}", i) for i, o in enumerate(question.options)]
    elif isinstance(question, TrueFalse):
        labels = [("True", True), ("False", False)]
    else:
        raise TypeError(
            f"quiz.widget shows Choice and TrueFalse questions; {question.id} is a {question.kind} question: "
            f"answer it with quiz.check({question.id!r}, answer)"
        )
    title = widgets.HTML(f"<b>{html.escape(question.id)}</b>: {html.escape(question.prompt)}")
    radio = widgets.RadioButtons(options=labels, value=None, layout=widgets.Layout(width="auto"))
    button = widgets.Button(description="Check", button_style="primary")
    verdict = widgets.HTML("")

    def on_click(_: Any) -> None:
        if radio.value is None:
            verdict.value = "Pick an option first."
            return
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            question.check(radio.value)
        verdict.value = "<pre style='white-space: pre-wrap'>" + html.escape(buffer.getvalue()) + "</pre>"

    button.on_click(on_click)
    return widgets.VBox([title, radio, button, verdict])
