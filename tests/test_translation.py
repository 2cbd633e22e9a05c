"""The Korean catalogs are complete and follow the English text.

The English messages are extracted from the current sources (Sphinx's gettext builder, as
``make translations`` does; ~10-20 s) and compared with ``locales/ko``: every message must have a
translation that is not fuzzy, and every English paragraph must be in the catalog. A paragraph
changed in English without ``make translations`` and a revised translation fails here, with the
page and the paragraph named (``scripts/translation_status.py --list`` prints the same).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _status_module():
    spec = importlib.util.spec_from_file_location("translation_status", ROOT / "scripts" / "translation_status.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


status = _status_module()


@pytest.fixture(scope="module")
def english_messages(tmp_path_factory) -> Path:
    return status.extract(tmp_path_factory.mktemp("gettext"))


def test_every_page_has_a_catalog(english_messages: Path) -> None:
    pages = {p.relative_to(english_messages).with_suffix("").as_posix() for p in english_messages.rglob("*.pot")}
    pages.discard("sphinx")
    missing = sorted(page for page in pages if not status.catalog_of(page, "ko").is_file())
    assert pages, "the extraction found no page"
    assert not missing, f"pages without a Korean catalog (run `make translations`): {missing}"


def test_outputs_are_not_extracted(english_messages: Path) -> None:
    """Code-cell outputs stay English: a text/markdown output table is no message. (An exercise
    prompt shown by ``quiz.show(...)`` is prose and is extracted: see the test below.)"""
    pot = (english_messages / "notebooks" / "09_experiments.pot").read_text(encoding="utf-8")
    import json

    nb = json.loads((ROOT / "notebooks" / "09_experiments.ipynb").read_text(encoding="utf-8"))
    outputs = [o["data"]["text/markdown"] for c in nb["cells"] if c["cell_type"] == "code"
               and "quiz.show(" not in "".join(c["source"])
               for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]
    assert outputs, "chapter 09 is expected to have a text/markdown output (a result table)"
    first_line = next(line for text in outputs for line in "".join(text).splitlines() if line.strip("|-: "))
    cells = [cell.strip() for cell in first_line.strip("|").split("|") if cell.strip()]
    assert cells and not any(f'msgid "{cell}"' in pot for cell in cells), (
        f"the header of an output table of chapter 09 was extracted for translation: {cells}")


def test_quiz_prompts_are_extracted(english_messages: Path) -> None:
    """The output of a cell that calls ``quiz.show(...)`` is an exercise prompt, prose for the
    reader: its heading (id and kind) is a message of the chapter (book/_ext/untranslated_outputs.py)."""
    pot = (english_messages / "notebooks" / "09_experiments.pot").read_text(encoding="utf-8")
    assert 'msgid "**09.predict-tta** (multiple choice)"' in pot, (
        "the exercise prompt shown by quiz.show(\"09.predict-tta\") in chapter 09 was not extracted for translation")


def test_every_message_is_translated(english_messages: Path) -> None:
    problems = [p for s in status.compare(english_messages, "ko") for p in s.problems]
    if problems:
        shown = "\n".join(p.describe() for p in problems[:40])
        more = f"\n... and {len(problems) - 40} more" if len(problems) > 40 else ""
        pytest.fail(
            f"{len(problems)} Korean messages untranslated, fuzzy or stale (a stale one: the English "
            f"paragraph changed or is new; run `make translations`, then translate it in "
            f"locales/ko/LC_MESSAGES/<page>.po):\n{shown}{more}"
        )
