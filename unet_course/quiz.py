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

Language: the verdicts, hints, explanations and messages are English by default and Korean with
``UNET_COURSE_LANG=ko`` (the Korean notebooks set it in their first cell). Every message is
written once, in English, and passed through :func:`_t`; its Korean version is looked up by the
English text (``MESSAGES_KO`` below; hints and explanations in ``unet_course/questions/_ko.py``),
so an English text changed without its Korean one fails ``tests/test_quiz_korean.py``.
The prompts that the chapters show with :func:`show` are prose of the book, translated in its
message catalogs (``locales/ko``); ``scripts/make_korean.py`` writes them to
``unet_course/questions/_ko_prompts.py``, which :func:`show` and :func:`widget` read in Korean.
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
import os
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
    "language",
    "localize_feedback",
    "LANGUAGES",
]

ID_PATTERN = re.compile(r"^(\d{2})\.[a-z0-9][a-z0-9_-]*$")
BANK_PACKAGE = "unet_course.questions"
# Verdicts in plain ASCII: every font has these characters (an emoji renders as an empty box
# where no emoji font is installed).
RIGHT = "Correct."
WRONG = "Not yet."
UNANSWERED = "Not answered yet."

LANGUAGE_VARIABLE = "UNET_COURSE_LANG"
LANGUAGES = ("en", "ko")

# Korean versions of every message of this module, keyed by the English template (the first
# argument of _t). Fields in braces are filled in after the look-up, the same in both languages.
MESSAGES_KO: dict[str, str] = {
    RIGHT: "정답입니다.",
    WRONG: "아직 아닙니다.",
    UNANSWERED: "아직 답하지 않았습니다.",
    "Hint: {hint}": "힌트: {hint}",
    "`{name}` still has the empty body `...`: write it in the cell above, run that cell, then run this check again.":
        "`{name}`의 본문이 아직 비어 있습니다(`...`). 위 셀에서 함수를 작성하고 그 셀을 실행한 다음, 이 확인을 다시 실행하십시오.",
    "Replace each `...` in the answer cell above with your answer, run that cell, then run this check again.":
        "위 답 셀의 `...`를 모두 여러분의 답으로 바꾸고 그 셀을 실행한 다음, 이 확인을 다시 실행하십시오.",
    "This answer could not be graded ({error}); check its type and shape.":
        "이 답은 채점할 수 없습니다({error}). 답의 자료형과 shape을 확인하십시오.",
    "{kind} of shape {shape}, {dtype}": "shape {shape}, {dtype}인 {kind}",
    "tensor": "텐서(tensor)",
    "array": "배열(array)",
    "This question wants one number; you gave {kind} {value}.":
        "이 문제의 답은 숫자 하나입니다. 여러분은 {kind} {value}을(를) 주었습니다.",
    "Your answer is NaN (not a number); check the computation that produced it.":
        "답이 NaN(숫자가 아님)입니다. 그 값을 만든 계산을 확인하십시오.",
    "Your answer {given} is too large.": "답 {given}은(는) 너무 큽니다.",
    "Your answer {given} is too small.": "답 {given}은(는) 너무 작습니다.",
    "Give the index of an option (0..{last}) or its text, not {answer}. Options: {listing}":
        "{answer}가 아니라 보기의 인덱스(0..{last})나 보기의 텍스트를 주십시오. 보기: {listing}",
    "There is no option {answer}; the options are numbered 0..{last}: {listing}":
        "{answer}번 보기는 없습니다. 보기 번호는 0..{last}입니다: {listing}",
    "{answer} is not one of the options. Give its index or its exact text: {listing}":
        "{answer}은(는) 보기에 없습니다. 보기의 인덱스나 정확한 텍스트를 주십시오: {listing}",
    "Give the index of an option (an int) or its text; you gave {kind} {value}.":
        "보기의 인덱스(int)나 텍스트를 주십시오. 여러분은 {kind} {value}을(를) 주었습니다.",
    "Option {index} ({option}) is not the right one.": "{index}번 보기({option})는 정답이 아닙니다.",
    "Answer True or False; you gave {kind} {value}.":
        "True 또는 False로 답하십시오. 여러분은 {kind} {value}을(를) 주었습니다.",
    "{value} is not right.": "{value}은(는) 정답이 아닙니다.",
    "Your function must take {count} argument(s) ({wanted}); yours takes ({theirs}).":
        "함수는 인자 {count}개({wanted})를 받아야 합니다. 여러분의 함수는 ({theirs})를 받습니다.",
    "{count} arguments": "인자 {count}개",
    "no arguments": "인자 없음",
    "Your function raised {detail} on input ({args}).":
        "입력 ({args})에서 여러분의 함수가 {detail}을(를) 일으켰습니다.",
    "your function returned None: did you forget `return`?":
        "함수가 None을 돌려주었습니다. `return`을 빠뜨리지 않았습니까?",
    "your function returns one value ({value}); it should return {count} values (a tuple)":
        "함수가 값 하나({value})를 돌려줍니다. 값 {count}개(튜플)를 돌려주어야 합니다",
    "your function returns {given} values; it should return {count}":
        "함수가 값 {given}개를 돌려줍니다. {count}개를 돌려주어야 합니다",
    "the {ordinal} value is right": "{ordinal}번째 값은 맞습니다",
    "the {ordinal} value {problem}": "{ordinal}번째 값은 {problem}",
    "should be a number, not {kind} {value}": "{kind} {value}이(가) 아니라 숫자여야 합니다",
    "({value}) is too large": "({value}) 너무 큽니다",
    "({value}) is too small": "({value}) 너무 작습니다",
    "({value}) is not right": "({value}) 맞지 않습니다",
    "This question wants a function{signature}, e.g. `def rule{signature}: return ...`; you gave {kind} {value}.":
        "이 문제의 답은 함수{signature}입니다(예: `def rule{signature}: return ...`). 여러분은 {kind} {value}을(를) 주었습니다.",
    "For {args}: {problem}.": "{args}일 때: {problem}.",
    "Your formula agrees with the reference on all {count} samples.":
        "여러분의 식이 표본 {count}개 모두에서 기준 답과 일치합니다.",
    "Your function returned None: did you forget `return`?":
        "함수가 None을 돌려주었습니다. `return`을 빠뜨리지 않았습니까?",
    "Your function returns {given} value(s); it should return {count}.":
        "함수가 값 {given}개를 돌려줍니다. {count}개를 돌려주어야 합니다.",
    "In the {ordinal} returned value: {problem}": "돌려준 값 중 {ordinal}번째에서: {problem}",
    "Your output is {kind} {value}; it should be an array or tensor.":
        "출력이 {kind} {value}입니다. 배열이나 텐서여야 합니다.",
    "Your output has shape {given}, it should have shape {expected}.":
        "출력의 shape이 {given}입니다. shape {expected}이어야 합니다.",
    "Your output differs at index {index}: yours is {given}, expected {expected}.":
        "출력이 인덱스 {index}에서 다릅니다: 여러분의 값은 {given}, 기대한 값은 {expected}입니다.",
    "index {index}": "인덱스 {index}",
    "the single value": "하나뿐인 값",
    "Your output differs from the reference at {count} of {size} positions; the first is {where}: yours is {given}, expected {expected}.":
        "출력이 위치 {size}개 중 {count}개에서 기준 답과 다릅니다. 첫 번째는 {where}이고, 여러분의 값은 {given}, 기대한 값은 {expected}입니다.",
    "Your output is {kind} {value}; it should be a number.": "출력이 {kind} {value}입니다. 숫자여야 합니다.",
    "Your output {given} is too large.": "출력 {given}은(는) 너무 큽니다.",
    "Your output {given} is too small.": "출력 {given}은(는) 너무 작습니다.",
    "Your output {value} is not right.": "출력 {value}은(는) 맞지 않습니다.",
    "This question wants a function ({names}); you gave {kind} {value}. Pass the function itself, without calling it.":
        "이 문제의 답은 함수({names})입니다. 여러분은 {kind} {value}을(를) 주었습니다. 함수를 호출하지 말고 함수 자체를 넘기십시오.",
    "On input ({args}): {problem}": "입력 ({args})에서: {problem}",
    "Your function matches the reference on all {count} test cases.":
        "여러분의 함수가 테스트 케이스 {count}개 모두에서 기준 답과 일치합니다.",
    "Did you mean {names}?": "{names}을(를) 찾으셨습니까?",
    " or ": " 또는 ",
    "Chapter {chapter} has: {ids}": "{chapter}장의 문제: {ids}",
    "quiz.questions() lists every question.": "quiz.questions()가 모든 문제를 보여 줍니다.",
    "no question with id {id}. {suggestion}": "id가 {id}인 문제가 없습니다. {suggestion}",
    "chapter must be a chapter number like 5 or '05', got {chapter}":
        "chapter는 5나 '05' 같은 장 번호여야 합니다. 받은 값: {chapter}",
    "The first argument of quiz.check is a question id like '05.conv-count', not {kind}.":
        "quiz.check의 첫 번째 인자는 '05.conv-count' 같은 문제 id입니다. {kind}이(가) 아닙니다.",
    "There is no question with id {id}. {suggestion}": "id가 {id}인 문제가 없습니다. {suggestion}",
    "quiz.widget shows Choice and TrueFalse questions; {id} is a {kind} question: answer it with quiz.check({id}, answer)":
        "quiz.widget은 Choice와 TrueFalse 문제만 보여 줍니다. {id}는 {kind} 문제이니 quiz.check({id}, answer)로 답하십시오",
    "Check": "확인",
    "Pick an option first.": "먼저 보기를 고르십시오.",
}


def language() -> str:
    """The language of the quiz's feedback: ``UNET_COURSE_LANG`` (``"en"`` when unset or empty,
    ``"ko"`` for Korean). Any other value is a ``ValueError`` that names the valid ones."""
    value = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    if not value:
        return "en"
    from .runtime import look_up_option  # the package's one checker of option strings

    try:
        return look_up_option(value.lower(), LANGUAGES, what="language")
    except ValueError as error:  # names the nearest valid language and lists them all
        raise ValueError(f"{LANGUAGE_VARIABLE}={value!r} is not a language of the course: {error}"
                         "; or leave it unset for English.") from None


def _t(template: str, **fields: Any) -> str:
    """``template`` (English) in the current language, with ``fields`` filled in."""
    if language() == "ko":
        template = MESSAGES_KO.get(template, template)
    return template.format(**fields) if fields else template


def _prompt_ko() -> tuple[dict[str, str], dict[str, str]]:
    """The Korean prompts (English Markdown -> Korean Markdown) and their prompt and option texts
    (English -> Korean), generated from the book's catalogs by ``scripts/make_korean.py``."""
    from unet_course.questions import _ko_prompts

    return _ko_prompts.PROMPTS, _ko_prompts.MESSAGES


def _ko_texts() -> tuple[dict[str, str], dict[str, str]]:
    from unet_course.questions import _ko

    return _ko.HINTS, _ko.EXPLANATIONS


def _localized(text: str, table: int) -> str:
    """A hint (``table=0``) or an explanation (``table=1``) in the current language; English
    when it has no Korean version (the test suite reports such a question)."""
    if not text or language() != "ko":
        return text
    return _ko_texts()[table].get(text, text)


def _template_pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)(?::[^}]*)?\}", template)
    pattern, seen = "", set()
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pattern += re.escape(part)
        else:
            pattern += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
            seen.add(part)
    return re.compile("^" + pattern + "$")


def localize_feedback(text: str, lang: str = "ko") -> str:
    """Printed feedback of :func:`check` (e.g. an English notebook's stored output) put into
    ``lang``, line by line: verdicts, hints, explanations and this module's messages. Lines that
    are not the quiz's stay as they are. Used to copy outputs into the Korean notebooks."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    if lang == "en":
        return text
    hints, explanations = _ko_texts()
    verdict = re.compile(r"^(\[\d{2}\.[\w-]+\] )?(" + "|".join(re.escape(v) for v in (RIGHT, UNANSWERED, WRONG)) + r")( (.*))?$")

    def line_ko(line: str) -> str:
        match = verdict.match(line)
        if match:
            rest = line_ko(match.group(4)) if match.group(4) else ""
            return (match.group(1) or "") + MESSAGES_KO[match.group(2)] + (" " + rest if rest else "")
        if line.startswith("Hint: "):
            return MESSAGES_KO["Hint: {hint}"].format(hint=hints.get(line[6:], line[6:]))
        if line in explanations:
            return explanations[line]
        if line in MESSAGES_KO:
            return MESSAGES_KO[line]
        for template in templates:
            found = _template_pattern(template).match(line)
            if found:
                # a field may hold a message itself ("On input (...): {problem}")
                return MESSAGES_KO[template].format(**{k: line_ko(v) for k, v in found.groupdict().items()})
        return line

    # the most specific templates (the most fixed text) first
    templates = sorted((t for t in MESSAGES_KO if "{" in t), key=lambda t: -len(re.sub(r"\{[^}]*\}", "", t)))

    return "\n".join(line_ko(line) for line in text.split("\n"))


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
        return _t("`{name}` still has the empty body `...`: write it in the cell above, run that cell, then run this check again.", name=name)
    return _t("Replace each `...` in the answer cell above with your answer, run that cell, then run this check again.")


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
        kind = _t("tensor") if _is_tensor(value) else _t("array")
        return _t("{kind} of shape {shape}, {dtype}", kind=kind, shape=tuple(shape), dtype=value.dtype)
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
        language()  # an unknown UNET_COURSE_LANG is an error before anything is graded
        if unanswered(answer):
            print(f"[{self.id}] {_t(UNANSWERED)} {_unanswered_message(answer)}")
            return False
        try:
            correct, message = self.grade(answer)
        except Exception as error:  # noqa: BLE001 - a reader's value may break a comparison
            correct, message = False, _t(
                "This answer could not be graded ({error}); check its type and shape.", error=f"{type(error).__name__}: {error}"
            )
        if correct and message == getattr(self, "explanation", None):
            message = _localized(message, 1)
        lines = [f"[{self.id}] {_t(RIGHT) if correct else _t(WRONG)}"]
        if message:
            lines.append(message)
        if not correct and self.hint:
            lines.append(_t("Hint: {hint}", hint=_localized(self.hint, 0)))
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
            return False, _t("This question wants one number; you gave {kind} {value}.", kind=_type_name(answer), value=_short_repr(answer))
        if math.isnan(given):
            return False, _t("Your answer is NaN (not a number); check the computation that produced it.")
        ref = self.value
        if math.isclose(given, ref, rel_tol=self.rtol, abs_tol=self.atol):
            return True, ""
        if given > ref:
            return False, _t("Your answer {given} is too large.", given=f"{given:g}")
        return False, _t("Your answer {given} is too small.", given=f"{given:g}")


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
            return _t("Give the index of an option (0..{last}) or its text, not {answer}. Options: {listing}",
                      last=len(self.options) - 1, answer=answer, listing=listing)
        if isinstance(answer, (int, np.integer)):
            if 0 <= int(answer) < len(self.options):
                return int(answer)
            return _t("There is no option {answer}; the options are numbered 0..{last}: {listing}",
                      answer=int(answer), last=len(self.options) - 1, listing=listing)
        if isinstance(answer, str):
            key = answer.strip().lower()
            for i, option in enumerate(self.options):
                if option.strip().lower() == key:
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
        return False, _t("Option {index} ({option}) is not the right one.", index=index, option=repr(self.options[index]))

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
            return False, _t("Answer True or False; you gave {kind} {value}.", kind=_type_name(answer), value=_short_repr(answer))
        if bool(value) == self._answer:
            return True, self.explanation
        return False, _t("{value} is not right.", value=bool(value))

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
        return _t("your function returned None: did you forget `return`?")
    if isinstance(ref, (tuple, list)):
        if not isinstance(yours, (tuple, list)):
            return _t("your function returns one value ({value}); it should return {count} values (a tuple)",
                      value=_short_repr(yours), count=len(ref))
        if len(yours) != len(ref):
            return _t("your function returns {given} values; it should return {count}", given=len(yours), count=len(ref))
        verdicts = []
        wrong = False
        for i, (y, r) in enumerate(zip(yours, ref)):
            problem = _compare_values(y, r, rtol, atol)
            wrong = wrong or problem is not None
            verdicts.append(_t("the {ordinal} value is right", ordinal=_ordinal(i)) if problem is None
                            else _t("the {ordinal} value {problem}", ordinal=_ordinal(i), problem=problem))
        return "; ".join(verdicts) if wrong else None
    r = _as_real(ref)
    if r is not None:
        y = _as_real(yours)
        if y is None:
            return _t("should be a number, not {kind} {value}", kind=_type_name(yours), value=_short_repr(yours))
        if math.isclose(y, r, rel_tol=rtol, abs_tol=atol):
            return None
        if y > r:
            return _t("({value}) is too large", value=f"{y:g}")
        return _t("({value}) is too small", value=f"{y:g}")
    ref_np, yours_np = _to_numpy(ref), _to_numpy(yours)
    if isinstance(ref_np, np.ndarray):
        return default_compare(yours_np, ref_np, ())
    return None if yours == ref else _t("({value}) is not right", value=_short_repr(yours))


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
            return False, _t(
                "This question wants a function{signature}, e.g. `def rule{signature}: return ...`; you gave {kind} {value}.",
                signature=signature, kind=_type_name(answer), value=_short_repr(answer),
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
                return False, _t("For {args}: {problem}.", args=_describe_args(names, args), problem=mismatch)
        return True, _t("Your formula agrees with the reference on all {count} samples.", count=len(samples))


def default_compare(yours: Any, expected: Any, args: tuple) -> str | None:
    """Compare a reader's output with the reference's: ``None`` if they agree, else a message.

    Arrays and tensors: first the shape ("your output has shape (4, 6), it should have shape
    (4, 4)"), then ``numpy.allclose`` (rtol 1e-5, atol 1e-6), naming the first differing index
    and both values there. Tuples and lists are compared element by element; other values by
    ``==``.
    """
    if yours is None and expected is not None:
        return _t("Your function returned None: did you forget `return`?")
    if isinstance(expected, (tuple, list)) and not hasattr(expected, "shape"):
        if not isinstance(yours, (tuple, list)) or len(yours) != len(expected):
            count = len(yours) if isinstance(yours, (tuple, list)) else 1
            return _t("Your function returns {given} value(s); it should return {count}.", given=count, count=len(expected))
        for i, (y, e) in enumerate(zip(yours, expected)):
            problem = default_compare(y, e, args)
            if problem:
                return _t("In the {ordinal} returned value: {problem}", ordinal=_ordinal(i), problem=problem)
        return None
    exp = _to_numpy(expected)
    got = _to_numpy(yours)
    if isinstance(exp, np.ndarray) or isinstance(got, np.ndarray):
        if not isinstance(got, np.ndarray):
            if _as_real(got) is None:
                return _t("Your output is {kind} {value}; it should be an array or tensor.", kind=_type_name(yours), value=_short_repr(yours))
            got = np.asarray(got)
        exp = np.asarray(exp)
        if got.shape != exp.shape:
            return _t("Your output has shape {given}, it should have shape {expected}.", given=tuple(got.shape), expected=tuple(exp.shape))
        try:
            got_f = got.astype(np.float64)
            exp_f = exp.astype(np.float64)
        except (TypeError, ValueError):
            if np.array_equal(got, exp):
                return None
            index = tuple(int(i) for i in np.argwhere(got != exp)[0])
            return _t("Your output differs at index {index}: yours is {given}, expected {expected}.",
                      index=index, given=repr(got[index]), expected=repr(exp[index]))
        close = np.isclose(got_f, exp_f, rtol=1e-5, atol=1e-6, equal_nan=True)
        if close.all():
            return None
        bad = np.argwhere(~close)
        index = tuple(int(i) for i in bad[0])
        where = _t("index {index}", index=index) if index else _t("the single value")
        return _t(
            "Your output differs from the reference at {count} of {size} positions; the first is {where}: yours is {given}, expected {expected}.",
            count=len(bad), size=close.size, where=where, given=f"{got_f[index]:.6g}", expected=f"{exp_f[index]:.6g}",
        )
    y, e = _as_real(yours), _as_real(expected)
    if e is not None:
        if y is None:
            return _t("Your output is {kind} {value}; it should be a number.", kind=_type_name(yours), value=_short_repr(yours))
        if math.isclose(y, e, rel_tol=1e-5, abs_tol=1e-6):
            return None
        if y > e:
            return _t("Your output {given} is too large.", given=f"{y:g}")
        return _t("Your output {given} is too small.", given=f"{y:g}")
    return None if yours == expected else _t("Your output {value} is not right.", value=_short_repr(yours))


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
            return False, _t(
                "This question wants a function ({names}); you gave {kind} {value}. Pass the function itself, without calling it.",
                names=", ".join(names), kind=_type_name(answer), value=_short_repr(answer),
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
                return False, _t("On input ({args}): {problem}", args=_describe_args(names, args), problem=message)
        return True, _t("Your function matches the reference on all {count} test cases.", count=len(cases))


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
        raise ValueError(_t("chapter must be a chapter number like 5 or '05', got {chapter}", chapter=repr(chapter))) from None
    return [bank[k] for k in sorted(bank) if bank[k].chapter == number]


def _suggest(qid: str, ids: Sequence[str]) -> str:
    close = difflib.get_close_matches(qid, ids, n=3, cutoff=0.6)
    if close:
        return _t("Did you mean {names}?", names=_t(" or ").join(repr(c) for c in close))
    chapter = qid[:2] if isinstance(qid, str) else ""
    same = [i for i in ids if i.startswith(chapter + ".")]
    if same:
        return _t("Chapter {chapter} has: {ids}", chapter=chapter, ids=", ".join(same[:12]) + ("" if len(same) <= 12 else ", ..."))
    return _t("quiz.questions() lists every question.")


def get(id: str) -> Question:
    """The question with this id; ``KeyError`` with close ids when there is none."""
    bank = load_bank()
    if id in bank:
        return bank[id]
    raise KeyError(_t("no question with id {id}. {suggestion}", id=repr(id), suggestion=_suggest(str(id), list(bank))))


def check(id: str, answer: Any) -> bool:
    """Check ``answer`` to question ``id``: print a verdict (and a hint when wrong), return bool.

    The right answer is never printed. An unknown id or an answer of the wrong type prints a
    message and returns ``False``.
    """
    if not isinstance(id, str):
        print(_t(WRONG), _t("The first argument of quiz.check is a question id like '05.conv-count', not {kind}.", kind=_type_name(id)))
        return False
    bank = load_bank()
    if id not in bank:
        print(_t(WRONG), _t("There is no question with id {id}. {suggestion}", id=repr(id), suggestion=_suggest(id, list(bank))))
        return False
    return bank[id].check(answer)


# --- display ----------------------------------------------------------------------------------

def _question(id_or_question: str | Question) -> Question:
    return id_or_question if isinstance(id_or_question, Question) else get(id_or_question)


def show(id: str | Question) -> Any:
    """The question as a Markdown display object (prompt, and options for choice questions).

    Static: it renders in the HTML book without a kernel. In a notebook, make it the last
    expression of a cell, or pass it to ``IPython.display.display``. With ``UNET_COURSE_LANG=ko``
    the prompt is the Korean one of the book's catalogs (English when it has none).
    """
    from IPython.display import Markdown

    text = _question(id).to_markdown()
    if language() == "ko":
        text = _prompt_ko()[0].get(text, text)
    return Markdown(text)


def widget(id: str | Question) -> Any:
    """An ipywidgets front end for a Choice or TrueFalse question: radio buttons, a Check button
    and the verdict below. Pair it with :func:`show` so the HTML book shows the question too."""
    import contextlib
    import io

    import ipywidgets as widgets

    question = _question(id)
    texts = _prompt_ko()[1] if language() == "ko" else {}
    if isinstance(question, Choice):
        labels = [(f"{i}: {texts.get(o, o)}", i) for i, o in enumerate(question.options)]
    elif isinstance(question, TrueFalse):
        labels = [("True", True), ("False", False)]
    else:
        raise TypeError(_t(
            "quiz.widget shows Choice and TrueFalse questions; {id} is a {kind} question: answer it with quiz.check({id}, answer)",
            id=repr(question.id), kind=question.kind,
        ))
    prompt = texts.get(question.prompt, question.prompt)
    title = widgets.HTML(f"<b>{html.escape(question.id)}</b>: {html.escape(prompt)}")
    radio = widgets.RadioButtons(options=labels, value=None, layout=widgets.Layout(width="auto"))
    button = widgets.Button(description=_t("Check"), button_style="primary")
    verdict = widgets.HTML("")

    def on_click(_: Any) -> None:
        if radio.value is None:
            verdict.value = _t("Pick an option first.")
            return
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            question.check(radio.value)
        verdict.value = "<pre style='white-space: pre-wrap'>" + html.escape(buffer.getvalue()) + "</pre>"

    button.on_click(on_click)
    return widgets.VBox([title, radio, button, verdict])
