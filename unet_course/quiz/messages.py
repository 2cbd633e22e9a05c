"""The quiz's feedback texts in English and Korean, chosen by ``UNET_COURSE_LANG``.

Every message of the quiz is written once, in English, as the first argument of :func:`_t`; its
Korean is looked up by that English text in the package's gettext catalog
(``unet_course/locale/ko/LC_MESSAGES/unet_course.po``, read through :mod:`.catalog`; ``make
translations`` extracts the English, merges it and compiles the catalog, as for the book's pages).
Fields in braces are filled in after the look-up, the same in both languages, so an English text
changed without its Korean one fails ``tests/test_translation.py``. A Korean template names the
particle after a field as its format spec, ``{value:을}``, and :mod:`.korean` writes the form that
fits the value (``3을``, ``2를``). The Korean speaks to the learner as the prompts do: requests in
해요체 (``확인하세요``), statements in 합니다체 (``정답입니다``), questions as ``~나요?``/``~까요?``;
never ``~십시오`` or ``~습니까?`` (``tests/test_quiz_korean.py`` scans for them). The hints and
explanations of the questions and the messages of their ``compare`` functions are in the same
catalog; the prompts that :func:`~unet_course.quiz.show` prints, in
``unet_course/questions/_ko_prompts.py`` (generated from the book's catalogs by
``scripts/make_korean.py``).

Verdicts are plain ASCII in English: every font has these characters (an emoji renders as an
empty box where no emoji font is installed).

Serves: the exercises of every chapter (chapters 01-12), in English and Korean.
"""

from __future__ import annotations

import os
from typing import Any

from .catalog import N_, translate
from .korean import format_korean

LANGUAGE_VARIABLE = "UNET_COURSE_LANG"
LANGUAGES = ("en", "ko")

RIGHT = N_("Correct.")
WRONG = N_("Not yet.")
UNANSWERED = N_("Not answered yet.")



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
        korean = translate(template)
        return format_korean(korean, **fields) if fields else korean
    return template.format(**fields) if fields else template


def _localized(text: str, kind: str) -> str:
    """A question's ``"hint"`` or ``"explanation"`` (``kind``) in the current language; English
    when it has no Korean version (the test suite reports such a question)."""
    if not text or language() != "ko":
        return text
    return translate(text, context=kind)


def _ko_prompts() -> dict[str, str]:
    """The Korean of the prompts that the chapters show with ``quiz.show`` (English Markdown ->
    Korean Markdown), generated from the book's catalogs by ``scripts/make_korean.py``. A prompt's
    and an option's short text (the widget, the book's answer boxes) is in the package's catalog
    (contexts ``prompt`` and ``option``)."""
    from unet_course.questions import _ko_prompts

    return _ko_prompts.PROMPTS
