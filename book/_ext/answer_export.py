"""The question bank as the data of the book's answer boxes (``_static/answer-data.js``).

One source: every question of ``unet_course.quiz`` (``unet_course/questions/chNN_*.py``) is
exported when the book is built, with what ``book/_assets/answer-boxes.js`` needs to give the
verdict, message and hint that ``quiz.check`` prints, in English and in Korean:

- ``number`` (:class:`~unet_course.quiz.Numeric`): the reference value, ``rtol`` and ``atol``;
- ``choice`` (:class:`~unet_course.quiz.Choice`): the options as each edition shows them, the
  index of the right one;
- ``truefalse`` (:class:`~unet_course.quiz.TrueFalse`): the right value and the explanation;
- ``formula`` (:class:`~unet_course.quiz.Formula` whose samples and results are numbers or tuples
  of numbers): the parameter names and, per sample, its arguments, how ``check`` describes them
  and the reference's result. The reader types an expression of the parameters (``(n - 34) // 4 + 1``);
- ``code``: everything else (:class:`~unet_course.quiz.CodeExercise`, a formula on arrays): the
  box says the answer is code and links the learner's notebook.

Every language-dependent text is taken from the quiz itself under ``UNET_COURSE_LANG`` set to
each language (hints, explanations, option texts, descriptions of arguments), and the message
templates are the package's catalog (``unet_course.quiz.catalog``): nothing is written a second time here. The reference answers
are in the data file (the page's checker needs them) but never in a page's text.

Numbers keep Python's type (``{"t": "int", "v": 3}``, ``"float"``, ``"tuple"``): the messages
write them as Python does (``repr``, ``format(x, "g")``).
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import os
from collections.abc import Iterator
from typing import Any

LANGUAGES = ("en", "ko")

# The page's own words (not the quiz's): labels, buttons, the progress page. Kept here, beside the
# export, in both languages.
UI: dict[str, dict[str, str]] = {
    "your_answer": {"en": "Your answer", "ko": "여러분의 답"},
    "answer_to": {"en": "Answer to {exercise}", "ko": "{exercise}의 답"},
    "check": {"en": "Check", "ko": "확인"},
    "pick_first": {"en": "Pick an option first.", "ko": "먼저 보기를 고르세요."},
    "type_first": {"en": "Type your answer first.", "ko": "먼저 답을 입력하세요."},
    "true": {"en": "True", "ko": "참"},
    "false": {"en": "False", "ko": "거짓"},
    "number_help": {"en": "A number, or arithmetic such as 3/4 or 2**10.",
                    "ko": "숫자나 3/4, 2**10 같은 계산식을 입력하세요."},
    "formula_help": {"en": "An expression of {params}, as Python writes it: + - * / // % ** ( ), min, max, abs, round, "
                           "math.ceil, math.floor, math.sqrt, math.exp, math.log; a tuple as a, b.",
                     "ko": "{params}의 식을 파이썬처럼 입력하세요: + - * / // % ** ( ), min, max, abs, round, "
                           "math.ceil, math.floor, math.sqrt, math.exp, math.log, 튜플은 a, b처럼 씁니다."},
    "unreadable": {"en": "This could not be read as an expression ({error}).",
                   "ko": "식으로 읽을 수 없습니다({error})."},
    "code_answer": {"en": "This exercise is answered with code, in the notebook: it is checked when you run the check cell there.",
                    "ko": "이 연습 문제의 답은 코드이므로 노트북에서 답하세요. 노트북의 확인 셀을 실행하면 채점됩니다."},
    "download": {"en": "Download the learner's notebook", "ko": "학습자용 노트북 내려받기"},
    "binder": {"en": "Open it in Binder", "ko": "Binder에서 열기"},
    "colab": {"en": "Open it in Colab", "ko": "Colab에서 열기"},
    "state_right": {"en": "Answered: right", "ko": "답함: 정답"},
    "state_wrong": {"en": "Answered: not yet right", "ko": "답함: 아직 정답 아님"},
    "state_none": {"en": "Not answered", "ko": "답하지 않음"},
    "state_code": {"en": "Code: answered in the notebook", "ko": "코드: 노트북에서 답함"},
    "show_output": {"en": "Show the output without answering", "ko": "답하지 않고 출력 보기"},
    "output_folded": {"en": "The output of this cell is folded until you answer {question} above.",
                      "ko": "위의 {question}에 답하면 이 셀의 출력이 펼쳐집니다."},
    "exercise": {"en": "Exercise", "ko": "연습 문제"},
    "chapter": {"en": "Chapter", "ko": "장"},
    "reset": {"en": "Forget all my answers", "ko": "내 답 모두 지우기"},
    "reset_confirm": {"en": "Forget every answer kept in this browser?", "ko": "이 브라우저에 저장된 답을 모두 지울까요?"},
    "reset_done": {"en": "Every answer kept in this browser is forgotten.", "ko": "이 브라우저에 저장된 답을 모두 지웠습니다."},
    "summary": {"en": "{right} of {total} answered right, {wrong} not yet right, {none} not answered.",
                "ko": "{total}개 중 {right}개 정답, {wrong}개 아직 정답 아님, {none}개 답하지 않음."},
    "no_storage": {"en": "This browser keeps no local storage here, so answers are not kept.",
                   "ko": "이 브라우저는 여기서 로컬 저장소를 쓸 수 없어 답이 저장되지 않습니다."},
    "question": {"en": "Question", "ko": "문제"},
    "state": {"en": "State", "ko": "상태"},
}


@contextlib.contextmanager
def in_language(lang: str) -> Iterator[None]:
    """``UNET_COURSE_LANG=lang`` for the block (the quiz reads it on every call)."""
    old = os.environ.get("UNET_COURSE_LANG")
    os.environ["UNET_COURSE_LANG"] = lang
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("UNET_COURSE_LANG", None)
        else:
            os.environ["UNET_COURSE_LANG"] = old


def typed(value: Any) -> dict | None:
    """A number or tuple of numbers with its Python type, ``None`` for anything else."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    if isinstance(value, numbers.Integral):
        return {"t": "int", "v": int(value)}
    if isinstance(value, numbers.Real):
        number = float(value)
        return {"t": "float", "v": number} if math.isfinite(number) else None
    if isinstance(value, (tuple, list)):
        items = [typed(v) for v in value]
        return None if any(i is None for i in items) else {"t": "tuple", "v": items}
    return None


def _formula(question: Any) -> dict | None:
    """The data of a formula the page can evaluate, or ``None`` (then it is answered as code)."""
    from unet_course.quiz.functions import _describe_args, _param_names

    names = _param_names(question.reference)
    samples = []
    for args in question._arguments():
        if len(args) != len(names):
            return None
        arguments = [typed(a) for a in args]
        result = typed(question.reference(*args))
        if result is None or any(a is None or a["t"] == "tuple" for a in arguments):
            return None
        describe = {}
        for lang in LANGUAGES:
            with in_language(lang):
                describe[lang] = _describe_args(names, args)
        samples.append({"args": arguments, "describe": describe, "ref": result})
    return {"params": names, "samples": samples, "rtol": question.rtol, "atol": question.atol}


def export_question(question: Any) -> dict:
    """One question's data (see the module's docstring); ``kind`` says how the page answers it.

    A question whose reference cannot be computed now (a measured answer not yet measured) is
    exported as ``code``, with the error as ``reason``: its box then points to the notebook."""
    try:
        return _export_question(question)
    except Exception as error:  # noqa: BLE001 - one question's reference must not stop the book
        return {"id": question.id, "chapter": question.chapter, "kind": "code", "type": type(question).__name__,
                "reason": f"{type(error).__name__}: {error}", "hint": {"en": "", "ko": ""},
                "prompt": {"en": question.prompt, "ko": question.prompt}}


def _export_question(question: Any) -> dict:
    from unet_course import quiz
    from unet_course.quiz.messages import _localized

    data: dict[str, Any] = {"id": question.id, "chapter": question.chapter, "hint": {}}
    for lang in LANGUAGES:
        with in_language(lang):
            data["hint"][lang] = _localized(question.hint, "hint")
    if isinstance(question, quiz.Numeric):
        data.update(kind="number", ref=question.value, rtol=question.rtol, atol=question.atol)
    elif isinstance(question, quiz.Choice):
        options = {}
        for lang in LANGUAGES:
            with in_language(lang):
                options[lang] = question._shown_options()
        data.update(kind="choice", options=options, answer=question._answer)
    elif isinstance(question, quiz.TrueFalse):
        explanation = {}
        for lang in LANGUAGES:
            with in_language(lang):
                explanation[lang] = _localized(question.explanation, "explanation")
        data.update(kind="truefalse", answer=question._answer, explanation=explanation)
    elif isinstance(question, quiz.Formula) and (formula := _formula(question)) is not None:
        data.update(kind="formula", **formula)
    else:
        data.update(kind="code", type=type(question).__name__)
    prompts = {}
    for lang in LANGUAGES:  # the short prompt, shown only where one exercise asks several questions
        with in_language(lang):
            from unet_course.quiz.catalog import translate

            prompts[lang] = translate(question.prompt, "prompt") if lang == "ko" else question.prompt
    data["prompt"] = prompts
    return data


def export_bank() -> dict:
    """Every question of the bank, the quiz's message templates and the page's words."""
    from unet_course import quiz
    from unet_course.quiz.korean import LATIN_READINGS, korean_ordinal
    from unet_course.quiz.catalog import table
    from unet_course.quiz.messages import RIGHT, UNANSWERED, WRONG

    bank = quiz.load_bank()
    return {
        "version": 1,
        "questions": {qid: export_question(bank[qid]) for qid in sorted(bank)},
        "messages_ko": table(),
        "verdicts": {"right": RIGHT, "wrong": WRONG, "unanswered": UNANSWERED},
        "ordinals_ko": [korean_ordinal(i) for i in range(20)],
        "latin_readings": dict(LATIN_READINGS),
        "ui": UI,
    }


def as_script(data: dict) -> str:
    """The data as a script that sets ``window.COURSE_ANSWER_DATA`` (a script, not JSON: a page
    opened from ``file://`` may load a script but not fetch a file)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("</", "<\\/")  # never closes a <script> element
    return f"window.COURSE_ANSWER_DATA = {text};\n"
