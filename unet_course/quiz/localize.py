"""Printed feedback of the quiz put into Korean after the fact: the stored outputs of the English
notebooks, copied into the Korean ones by ``scripts/make_korean.py``.

A line is recognised as a verdict, a hint, an explanation or one of the quiz's message templates
(:data:`~unet_course.quiz.messages.MESSAGES_KO`), and rebuilt from the Korean template with the
same fields; lines that are not the quiz's stay as they are.

Serves: the exercises of every chapter (chapters 01-11), in the Korean notebooks.
"""

from __future__ import annotations

import re

from .messages import LANGUAGES, MESSAGES_KO, RIGHT, UNANSWERED, WRONG, _ko_hints_and_explanations


def _template_pattern(template: str) -> re.Pattern:
    """A regular expression that matches ``template`` filled in, one named group a field."""
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
    """Printed feedback of :func:`~unet_course.quiz.check` (e.g. an English notebook's stored
    output) put into ``lang``, line by line: verdicts, hints, explanations and the quiz's
    messages. Lines that are not the quiz's stay as they are. Used to copy outputs into the
    Korean notebooks.

    Serves: the exercises of every chapter (chapters 01-11), in the Korean notebooks.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    if lang == "en":
        return text
    hints, explanations = _ko_hints_and_explanations()
    verdict = re.compile(r"^(\[\d{2}\.[\w-]+\] )?(" + "|".join(re.escape(v) for v in (RIGHT, UNANSWERED, WRONG)) + r")( (.*))?$")
    # the most specific templates (the most fixed text) first
    templates = sorted((t for t in MESSAGES_KO if "{" in t), key=lambda t: -len(re.sub(r"\{[^}]*\}", "", t)))

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

    return "\n".join(line_ko(line) for line in text.split("\n"))
