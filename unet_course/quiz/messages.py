"""The quiz's feedback texts in English and Korean, chosen by ``UNET_COURSE_LANG``.

Every message of the quiz is written once, in English, as the first argument of :func:`_t`;
its Korean version is looked up by that English text in :data:`MESSAGES_KO`. Fields in braces
are filled in after the look-up, the same in both languages, so an English text changed without
its Korean one fails ``tests/test_quiz_korean.py``. A Korean template names the particle after a
field as its format spec, ``{value:을}``, and :mod:`.korean` writes the form that fits the value
(``3을``, ``2를``). The Korean speaks to the learner as the prompts do: requests in 해요체
(``확인하세요``), statements in 합니다체 (``정답입니다``), questions as ``~나요?``/``~까요?``; never
``~십시오`` or ``~습니까?`` (``tests/test_quiz_korean.py`` scans for them). The hints and
explanations of the questions have their Korean versions in ``unet_course/questions/_ko.py``
(also the Korean of the questions' own comparison messages); the prompts that
:func:`~unet_course.quiz.show` prints, in ``unet_course/questions/_ko_prompts.py`` (generated
from the book's catalogs by ``scripts/make_korean.py``).

Verdicts are plain ASCII in English: every font has these characters (an emoji renders as an
empty box where no emoji font is installed).

Serves: the exercises of every chapter (chapters 01-11), in English and Korean.
"""

from __future__ import annotations

import os
from typing import Any

from .korean import format_korean

LANGUAGE_VARIABLE = "UNET_COURSE_LANG"
LANGUAGES = ("en", "ko")

RIGHT = "Correct."
WRONG = "Not yet."
UNANSWERED = "Not answered yet."

# Korean versions of every message of the quiz, keyed by the English template (the first
# argument of _t).
MESSAGES_KO: dict[str, str] = {
    RIGHT: "정답입니다.",
    WRONG: "아직 아닙니다.",
    UNANSWERED: "아직 답하지 않았습니다.",
    "Hint: {hint}": "힌트: {hint}",
    "`{name}` still has the empty body `...`: write it in the cell above, run that cell, then run this check again.":
        "`{name}`의 본문이 아직 비어 있습니다(`...`). 위 셀에서 함수를 작성하고 그 셀을 실행한 다음, 이 확인을 다시 실행하세요.",
    "Replace each `...` in the answer cell above with your answer, run that cell, then run this check again.":
        "위 답 셀의 `...`를 모두 여러분의 답으로 바꾸고 그 셀을 실행한 다음, 이 확인을 다시 실행하세요.",
    "This answer could not be graded ({error}); check its type and shape.":
        "이 답은 채점할 수 없습니다({error}). 답의 자료형과 shape을 확인하세요.",
    "{kind} of shape {shape}, {dtype}": "shape {shape}, {dtype}인 {kind}",
    "tensor": "텐서(tensor)",
    "array": "배열(array)",
    "This question wants one number; you gave {kind} {value}.":
        "이 문제의 답은 숫자 하나입니다. 여러분은 {kind} {value:을} 주었습니다.",
    "Your answer is NaN (not a number); check the computation that produced it.":
        "답이 NaN(숫자가 아님)입니다. 그 값을 만든 계산을 확인하세요.",
    "Your answer {given} is too large.": "답 {given:은} 너무 큽니다.",
    "Your answer {given} is too small.": "답 {given:은} 너무 작습니다.",
    "Give the index of an option (0..{last}) or its text, not {answer}. Options: {listing}":
        "{answer:이} 아니라 보기의 인덱스(0..{last})나 보기의 텍스트를 주세요. 보기: {listing}",
    "There is no option {answer}; the options are numbered 0..{last}: {listing}":
        "{answer}번 보기는 없습니다. 보기 번호는 0..{last}입니다: {listing}",
    "{answer} is not one of the options. Give its index or its exact text: {listing}":
        "{answer:은} 보기에 없습니다. 보기의 인덱스나 정확한 텍스트를 주세요: {listing}",
    "Give the index of an option (an int) or its text; you gave {kind} {value}.":
        "보기의 인덱스(int)나 텍스트를 주세요. 여러분은 {kind} {value:을} 주었습니다.",
    "Option {index} ({option}) is not the right one.": "{index}번 보기({option})는 정답이 아닙니다.",
    "Answer True or False; you gave {kind} {value}.":
        "True 또는 False로 답하세요. 여러분은 {kind} {value:을} 주었습니다.",
    "{value} is not right.": "{value:은} 정답이 아닙니다.",
    "[{id}] From here on the chapter runs your implementation.":
        "[{id}] 여기서부터 이 장은 여러분이 구현한 코드로 실행됩니다.",
    "[{id}] Not answered yet: from here on the chapter runs the package's {where}.":
        "[{id}] 아직 답하지 않았습니다. 여기서부터 이 장은 패키지의 {where:으로} 실행됩니다.",
    "[{id}] Your implementation does not pass yet: from here on the chapter runs the package's {where}.":
        "[{id}] 여러분의 구현이 아직 확인을 통과하지 못했습니다. 여기서부터 이 장은 패키지의 {where:으로} 실행됩니다.",
    "Your function must take {count} argument(s) ({wanted}); yours takes ({theirs}).":
        "함수는 인자 {count}개({wanted})를 받아야 합니다. 여러분의 함수가 받는 인자는 ({theirs})입니다.",
    "{count} arguments": "인자 {count}개",
    "no arguments": "인자 없음",
    "Your function raised {detail} on input ({args}).":
        "입력 ({args})에서 여러분의 함수가 오류를 일으켰습니다: {detail}",
    "your function returned None: did you forget `return`?":
        "함수가 None을 돌려주었습니다. `return`을 빠뜨리지 않았나요?",
    "your function returns one value ({value}); it should return {count} values (a tuple)":
        "함수가 값 하나({value})를 돌려줍니다. 값 {count}개(튜플)를 돌려주어야 합니다",
    "your function returns {given} values; it should return {count}":
        "함수가 값 {given}개를 돌려줍니다. {count}개를 돌려주어야 합니다",
    "the {ordinal} value is right": "{ordinal} 값은 맞습니다",
    "the {ordinal} value {problem}": "{ordinal} 값은 {problem}",
    "should be a number, not {kind} {value}": "{kind} {value:이} 아니라 숫자여야 합니다",
    "({value}) is too large": "{value:으로} 너무 큽니다",
    "({value}) is too small": "{value:으로} 너무 작습니다",
    "({value}) is not right": "{value:으로} 맞지 않습니다",
    "This question wants a function{signature}, e.g. `def rule{signature}: return ...`; you gave {kind} {value}.":
        "이 문제의 답은 함수{signature}입니다(예: `def rule{signature}: return ...`). 여러분은 {kind} {value:을} 주었습니다.",
    "For {args}: {problem}.": "{args}일 때: {problem}.",
    "Your formula agrees with the reference on all {count} samples.":
        "여러분의 식이 표본 {count}개 모두에서 기준 답과 일치합니다.",
    "Your function returned None: did you forget `return`?":
        "함수가 None을 돌려주었습니다. `return`을 빠뜨리지 않았나요?",
    "Your function returns {given} value(s); it should return {count}.":
        "함수가 값 {given}개를 돌려줍니다. {count}개를 돌려주어야 합니다.",
    "In the {ordinal} returned value: {problem}": "돌려준 {ordinal} 값에서: {problem}",
    "Your output is {kind} {value}; it should be an array or tensor.":
        "출력이 {kind} {value}입니다. 배열이나 텐서여야 합니다.",
    "Your output has shape {given}, it should have shape {expected}.":
        "출력의 shape이 {given}입니다. shape {expected:이어야} 합니다.",
    "Your output differs at index {index}: yours is {given}, expected {expected}.":
        "출력이 인덱스 {index}에서 다릅니다: 여러분의 값은 {given}, 기대한 값은 {expected}입니다.",
    "index {index}": "인덱스 {index}",
    "the single value": "하나뿐인 값",
    "Your output differs from the reference at {count} of {size} positions; the first is {where}: yours is {given}, expected {expected}.":
        "출력이 위치 {size}개 중 {count}개에서 기준 답과 다릅니다. 첫 번째는 {where}이고, 여러분의 값은 {given}, 기대한 값은 {expected}입니다.",
    "Your output is {kind} {value}; it should be a number.": "출력이 {kind} {value}입니다. 숫자여야 합니다.",
    "Your output {given} is too large.": "출력 {given:은} 너무 큽니다.",
    "Your output {given} is too small.": "출력 {given:은} 너무 작습니다.",
    "Your output {value} is not right.": "출력 {value:은} 맞지 않습니다.",
    "This question wants a function ({names}); you gave {kind} {value}. Pass the function itself, without calling it.":
        "이 문제의 답은 함수({names})입니다. 여러분은 {kind} {value:을} 주었습니다. 함수를 호출하지 말고 함수 자체를 넘기세요.",
    "On input ({args}): {problem}": "입력 ({args})에서: {problem}",
    "Your function matches the reference on all {count} test cases.":
        "여러분의 함수가 테스트 케이스 {count}개 모두에서 기준 답과 일치합니다.",
    "Did you mean {names}?": "{names:을} 찾으셨나요?",
    " or ": " 또는 ",
    "chapter must be a chapter number like 5 or '05', got {chapter}":
        "chapter는 5나 '05' 같은 장 번호여야 합니다. 받은 값: {chapter}",
    "There is no question with id {id}. {suggestion}": "id가 {id}인 문제가 없습니다. {suggestion}",
    "The nearest id is {name}.": "가장 가까운 id는 {name}입니다.",
    "quiz.questions() lists every question by its id; quiz.questions({chapter}) lists those of chapter {chapter}.":
        "모든 문제의 id는 quiz.questions()로, {chapter}장의 문제는 quiz.questions({chapter})로 볼 수 있습니다.",
    "The first argument of quiz.{function} is a question id like '05.conv-count', not {kind}.":
        "quiz.{function}의 첫 번째 인자는 '05.conv-count' 같은 문제 id입니다. {kind:이} 아닙니다.",
    "quiz.widget shows Choice and TrueFalse questions; {id} is a {kind} question: answer it with quiz.check({id}, answer)":
        "quiz.widget은 Choice와 TrueFalse 문제만 보여 줍니다. {id:은} {kind} 문제이니 quiz.check({id}, answer)로 답하세요",
    "Check": "확인",
    "Pick an option first.": "먼저 보기를 고르세요.",
    "True": "참",
    "False": "거짓",
}


def language() -> str:
    """The language of the quiz's feedback: ``UNET_COURSE_LANG`` (``"en"`` when unset or empty,
    ``"ko"`` for Korean). Any other value is a ``ValueError`` that names the valid ones.

    Serves: the exercises of every chapter (chapters 01-11), in English and Korean.
    """
    value = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    if not value:
        return "en"
    from ..runtime import look_up_option  # the package's one checker of option strings

    try:
        return look_up_option(value.lower(), LANGUAGES, what="language")
    except ValueError as error:  # names the nearest valid language and lists them all
        raise ValueError(f"{LANGUAGE_VARIABLE}={value!r} is not a language of the course: {error}"
                         "; or leave it unset for English.") from None


def _t(template: str, **fields: Any) -> str:
    """``template`` (English) in the current language, with ``fields`` filled in (in Korean, a
    particle written ``{field:을}`` takes the form that fits the field's value)."""
    if language() == "ko":
        korean = MESSAGES_KO.get(template, template)
        return format_korean(korean, **fields) if fields else korean
    return template.format(**fields) if fields else template


def _ko_hints_and_explanations() -> tuple[dict[str, str], dict[str, str]]:
    """The Korean hints and explanations of the bank (English text -> Korean text)."""
    from unet_course.questions import _ko

    return _ko.HINTS, _ko.EXPLANATIONS


def _localized(text: str, kind: str) -> str:
    """A question's ``"hint"`` or ``"explanation"`` (``kind``) in the current language; English
    when it has no Korean version (the test suite reports such a question)."""
    if not text or language() != "ko":
        return text
    hints, explanations = _ko_hints_and_explanations()
    return {"hint": hints, "explanation": explanations}[kind].get(text, text)


def _ko_prompts() -> tuple[dict[str, str], dict[str, str]]:
    """The Korean prompts (English Markdown -> Korean Markdown) and their prompt and option texts
    (English -> Korean), generated from the book's catalogs by ``scripts/make_korean.py``."""
    from unet_course.questions import _ko_prompts

    return _ko_prompts.PROMPTS, _ko_prompts.MESSAGES
