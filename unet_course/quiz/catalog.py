"""The Korean of the quiz's texts: one gettext catalog, read with Python's ``gettext``.

The English is written once, in the code: a message of the quiz as the first argument of ``_t``
(:mod:`.messages`), a message of a question's ``compare`` function (and a word it puts into one)
marked with :func:`N_`, a hint, an explanation, a prompt or an option as the question holds it
(message contexts ``hint``, ``explanation``, ``prompt`` and ``option``: the answer boxes of the
book and :func:`~unet_course.quiz.widget` show the last two). Their Korean lives in the catalog
``unet_course/locale/ko/LC_MESSAGES/unet_course.po``, kept the way the book's pages are:
``make translations`` extracts the English (``scripts/package_catalog.py``: Babel's Python
extractor for ``_t`` and ``N_``, the question bank for hints and explanations), merges it into the
catalog as ``sphinx-intl`` merges a page (a changed English text becomes fuzzy, a new one
untranslated) and compiles ``unet_course.mo``, which this module reads.
``scripts/translation_status.py`` counts what is left to translate in it beside the book's pages,
and ``tests/test_translation.py`` fails while anything is.

Serves: the exercises of every chapter, in Korean.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "unet_course"
CONTEXTS = (None, "hint", "explanation", "prompt", "option")


def N_(text: str) -> str:
    """Mark ``text`` (an English message template) for the catalog; returns it unchanged.

    The quiz puts the message into Korean when it prints it (:func:`.localize.message_ko`), so a
    compare function writes ``N_("... {given} ...").format(given=...)`` and returns English.

    Serves: the exercises of every chapter (chapters 01-12), in Korean.
    """
    return text


def catalog_path(language: str = "ko", suffix: str = ".mo") -> Path:
    """Where the compiled (``.mo``) or source (``.po``) catalog of ``language`` lives.

    Serves: the exercises of every chapter (chapters 01-12), in Korean.
    """
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@functools.lru_cache(maxsize=None)
def _tables(language: str) -> dict[str | None, dict[str, str]]:
    path = catalog_path(language)
    if not path.is_file():
        raise FileNotFoundError(
            f"the quiz's {language} catalog {path} is missing; `make translations` compiles it from "
            f"{catalog_path(language, '.po').name}")
    with path.open("rb") as handle:
        parsed = gettext.GNUTranslations(handle)
    tables: dict[str | None, dict[str, str]] = {context: {} for context in CONTEXTS}
    # GNUTranslations keeps the whole catalog in _catalog ("context\x04msgid" -> msgstr); the
    # localizer needs every template of a context, not one look-up, so it reads that table
    for key, value in parsed._catalog.items():  # noqa: SLF001
        if not isinstance(key, str) or not key or not value:
            continue  # the header ("") and untranslated entries
        context, separator, msgid = key.rpartition("\x04")
        tables.setdefault(context if separator else None, {})[msgid] = value
    return tables


def table(context: str | None = None, language: str = "ko") -> dict[str, str]:
    """English -> translation for one message context: ``None`` (the quiz's and the compare
    functions' messages), ``"hint"``, ``"explanation"``, ``"prompt"`` or ``"option"``. A copy;
    the catalog is read once.

    Serves: the exercises of every chapter (chapters 01-12), in Korean.
    """
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {CONTEXTS}, got {context!r}")
    return dict(_tables(language)[context])


def translate(text: str, context: str | None = None, language: str = "ko") -> str:
    """``text`` in ``language`` when the catalog has it, else ``text`` unchanged (the test suite
    names any English text the catalog lacks).

    Serves: the exercises of every chapter (chapters 01-12), in Korean.
    """
    return _tables(language)[context].get(text, text)
