"""Printed feedback of the quiz put into Korean after the fact: the stored outputs of the English
notebooks, copied into the Korean ones by ``scripts/make_korean.py``.

A line is recognised as a verdict, a hint, an explanation or one of the message templates of the
package's catalog (the quiz's and the questions' ``compare`` functions', :mod:`.catalog`), and rebuilt from the Korean template with the same fields
(particles fitted to the values, ordinals counted in Korean); lines that are not the quiz's stay
as they are. :func:`message_ko` also puts the messages of a question's ``compare`` function into
Korean as the check prints them.

Serves: the exercises of every chapter (chapters 01-11), in the Korean notebooks.
"""

from __future__ import annotations

import re

from .korean import format_korean, korean_ordinal
from .catalog import table
from .messages import LANGUAGES, RIGHT, UNANSWERED, WRONG


_VALUE = r"(?:[^()\[\]]|\([^()]*(?:\([^()]*\)[^()]*)*\)|\[[^\[\]]*\])+?"  # brackets nested at most twice


def _template_pattern(template: str) -> re.Pattern:
    """A regular expression that matches ``template`` filled in, one named group a field."""
    parts = re.split(r"\{(\w+)(?::[^}]*)?\}", template)
    pattern, seen = "", set()
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pattern += re.escape(part)
        else:
            # a value holds whole brackets: "(6, 7), float64" splits as "(6, 7)" and "float64"
            pattern += f"(?P={part})" if part in seen else f"(?P<{part}>{_VALUE})"
            seen.add(part)
    return re.compile("^" + pattern + "$")


_VALUE_VERDICT = re.compile(r"^the \d+(st|nd|rd|th) value ")
_ENGLISH_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")


def _ordinal_ko(text: str) -> str:
    """An English ordinal of a message ("2nd") as Korean counts it ("두 번째")."""
    match = _ENGLISH_ORDINAL.match(text)
    return korean_ordinal(int(match.group(1)) - 1) if match and int(match.group(1)) > 0 else text


def _field_ko(name: str, value: str) -> str | None:
    """A field of a message whose Korean is not a message: an ordinal ("2nd"), a choice's option
    ('text') or its listing ("0: text; 1: text") in the catalogs' Korean; ``None`` for the rest."""
    if name == "ordinal":
        return _ordinal_ko(value)
    if name == "args":  # "image=array of shape (6, 7), float64, margin=2" (functions._describe_args)
        parts = re.split(r", (?=\w+=)", value)
        if all(re.match(r"^\w+=", part) for part in parts):
            return ", ".join(part.split("=", 1)[0] + "=" + message_ko(part.split("=", 1)[1]) for part in parts)
    options = table("option")
    if name == "option" and len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return repr(options.get(value[1:-1], value[1:-1]))
    if name == "listing":
        items = [re.match(r"^(\d+): (.*)$", item, flags=re.S) for item in value.split("; ")]
        if all(items):
            return "; ".join(f"{m.group(1)}: {options.get(m.group(2), m.group(2))}" for m in items)
    return None


def message_ko(text: str) -> str:
    """One message of the quiz or of a question's ``compare`` function in Korean (the package's
    catalog, :mod:`.catalog`): matched to its English template,
    rebuilt from the Korean one with the same fields (each field put into Korean the same way);
    ``text`` unchanged when no template matches.

    Serves: the exercises of every chapter (chapters 01-11), in Korean.
    """
    messages = table()
    if text in messages:
        return messages[text]
    verdicts = text.split("; ")
    if len(verdicts) > 1 and all(_VALUE_VERDICT.match(v) for v in verdicts):
        # the verdicts on each value of a tuple: one Korean sentence each (values._compare_values)
        return ". ".join(message_ko(v) for v in verdicts)
    # the most specific templates (the most fixed text) first
    for template in sorted((t for t in messages if "{" in t), key=lambda t: -len(re.sub(r"\{[^}]*\}", "", t))):
        found = _template_pattern(template).match(text)
        if found:
            # a field may hold a message itself ("On input (...): {problem}")
            fields = {k: _field_ko(k, v) or message_ko(v) for k, v in found.groupdict().items()}
            return format_korean(messages[template], **fields)
    return text


def localize_feedback(text: str, lang: str = "ko") -> str:
    """Printed feedback of :func:`~unet_course.quiz.check` (e.g. an English notebook's stored
    output) put into ``lang``, line by line: verdicts, hints, explanations and the quiz's
    messages (:func:`message_ko`). Lines that are not the quiz's stay as they are. Used to copy
    outputs into the Korean notebooks.

    Serves: the exercises of every chapter (chapters 01-11), in the Korean notebooks.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    if lang == "en":
        return text
    hints, explanations = table("hint"), table("explanation")
    verdict = re.compile(r"^(\[\d{2}\.[\w-]+\] )?(" + "|".join(re.escape(v) for v in (RIGHT, UNANSWERED, WRONG)) + r")( (.*))?$")

    def line_ko(line: str) -> str:
        match = verdict.match(line)
        if match:
            rest = line_ko(match.group(4)) if match.group(4) else ""
            return (match.group(1) or "") + table()[match.group(2)] + (" " + rest if rest else "")
        if line.startswith("Hint: "):
            return table()["Hint: {hint}"].format(hint=hints.get(line[6:], line[6:]))
        if line in explanations:
            return explanations[line]
        return message_ko(line)

    return "\n".join(line_ko(line) for line in text.split("\n"))
