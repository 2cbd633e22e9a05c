"""The question on screen: :func:`show` as Markdown (static, it renders in the HTML book) and
:func:`widget`, an ipywidgets front end for choice and true-or-false questions.

With ``UNET_COURSE_LANG=ko`` :func:`show` shows the Korean prompt of the book's catalogs
(``unet_course/questions/_ko_prompts.py``, written by ``scripts/make_korean.py``), the widget
the prompt and options of the package's catalog (contexts ``prompt`` and ``option``), and the
widget's own words are Korean too (참, 거짓, 확인).

Serves: the exercises of every chapter (chapters 01-11).
"""

from __future__ import annotations

import contextlib
import html
import io
from typing import Any

from .bank import _lookup
from .engine import Question
from .kinds import Choice, TrueFalse
from .catalog import translate
from .messages import _ko_prompts, _t, language


def _question(id_or_question: str | Question, function: str) -> Question:
    """A question given as itself or by its id (an unknown id is an error that names the nearest)."""
    return id_or_question if isinstance(id_or_question, Question) else _lookup(id_or_question, function)


def show(id: str | Question) -> Any:
    """The question as a Markdown display object (prompt, and options for choice questions).

    Static: it renders in the HTML book without a kernel. In a notebook, make it the last
    expression of a cell, or pass it to ``IPython.display.display``. With ``UNET_COURSE_LANG=ko``
    the prompt is the Korean one of the book's catalogs (English when it has none).

    Serves: the exercises of every chapter (chapters 01-11).
    """
    question = _question(id, "show")
    from IPython.display import Markdown

    text = question.to_markdown()
    if language() == "ko":
        text = _ko_prompts().get(text, text)
    return Markdown(text)


def widget(id: str | Question) -> Any:
    """An ipywidgets front end for a Choice or TrueFalse question: radio buttons, a Check button
    and the verdict below. Pair it with :func:`show` so the HTML book shows the question too.

    Serves: the exercises of every chapter (chapters 01-11).
    """
    question = _question(id, "widget")
    if isinstance(question, Choice):
        labels = [(f"{i}: {o}", i) for i, o in enumerate(question._shown_options())]
    elif isinstance(question, TrueFalse):
        labels = [(_t("True"), True), (_t("False"), False)]  # 참 and 거짓 in Korean
    else:
        raise TypeError(_t(
            "quiz.widget shows Choice and TrueFalse questions; {id} is a {kind} question: answer it with quiz.check({id}, answer)",
            id=repr(question.id), kind=question.kind,
        ))
    import ipywidgets as widgets

    prompt = translate(question.prompt, "prompt") if language() == "ko" else question.prompt
    title = widgets.HTML(f"<b>{html.escape(question.id)}</b>: {html.escape(prompt)}")
    radio = widgets.RadioButtons(options=labels, value=None, layout=widgets.Layout(width="auto"))
    button = widgets.Button(description=_t("Check"))  # the default style: "primary" (white on #2196f3) fails WCAG contrast
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
