"""The glossary (book/glossary.md) against the chapters: every term appears where the glossary says.

The table's rows are ``| Korean | English | chapters | notes |``. The Korean cell lists the forms
Korean texts use, separated by commas; a parenthesis holds more forms, and ``(노트: X)`` a note's own
term. A row passes when, in every chapter it names, the notebook's text (all cell sources) holds
one of its Korean forms (spaces ignored: Korean spacing varies) or one of its English forms (case
and hyphens ignored). The notebooks are read when the test runs, so the test follows the chapters
as they change. Chapters 10 and 11 are held to more: their rows' Korean forms must appear there.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"
NOTEBOOKS = ROOT / "notebooks"
STRICT_CHAPTERS = {"10", "11"}  # these chapters keep the Korean term beside the English one
NOT_TERMS = {"논문", "파이토치", "문제", "빈칸"}  # paper, PyTorch, quiz, blank: not terms of the field


def korean_forms(cell: str) -> list[str]:
    """The Korean forms of a glossary cell: ``"수축 경로 (노트: 축소 경로)"`` -> both terms."""
    forms = []
    for part in re.split(r",(?![^()]*\))", cell):
        main = re.sub(r"\(.*?\)", "", part).strip()
        if main:
            forms.append(main)
        for inner in re.findall(r"\((.*?)\)", part):
            inner = re.sub(r"^노트:\s*", "", inner.strip())
            forms += [f.strip() for f in inner.split(",") if f.strip()]
    return forms


def english_forms(cell: str) -> list[str]:
    """The English forms: the cell without parentheses, split at commas and semicolons, plus
    short abbreviations in parentheses ("(CNN)"); a remark such as "in note 001 also ..." is no form."""
    forms = [f.strip() for f in re.split(r"[,;]", re.sub(r"\(.*?\)", "", cell)) if f.strip()]
    forms = [f for f in forms if not f.startswith("in note")]
    forms += [a for a in re.findall(r"\(([A-Za-z0-9 ]{2,5})\)", cell)]
    return forms


def parse_glossary(text: str) -> list[dict]:
    """The rows of the glossary's table: korean, english, chapters (two-digit strings), notes."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0].startswith("한국어"):
            continue
        assert len(cells) == 4, f"a glossary row needs 4 cells (Korean | English | chapters | notes): {line!r}"
        korean, english, chapters, notes = cells
        rows.append({
            "korean": korean,
            "english": english,
            "chapters": [c.strip() for c in chapters.split(",")],
            "notes": notes,
        })
    return rows


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _english_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("-", " ")).strip()


_TEXTS: dict[str, str] = {}


def chapter_text(chapter: str) -> str:
    """All cell sources of chapter ``chapter`` (e.g. ``"05"``), read from its notebook."""
    if chapter not in _TEXTS:
        found = sorted(NOTEBOOKS.glob(f"{chapter}_*.ipynb"))
        assert len(found) == 1, f"chapter {chapter}: expected one notebook notebooks/{chapter}_*.ipynb, found {found}"
        notebook = nbformat.read(found[0], as_version=4)
        _TEXTS[chapter] = "\n".join(cell.source for cell in notebook.cells)
    return _TEXTS[chapter]


def has_korean(row: dict, chapter: str) -> bool:
    text = _squash(chapter_text(chapter))
    return any(_squash(form) in text for form in korean_forms(row["korean"]))


def has_english(row: dict, chapter: str) -> bool:
    text = _english_key(chapter_text(chapter))
    return any(re.search(r"(?<![a-z])" + re.escape(_english_key(f)) + r"(?![a-z])", text) for f in english_forms(row["english"]))


ROWS = parse_glossary(GLOSSARY.read_text(encoding="utf-8"))


def test_parsers():
    assert korean_forms("수축 경로 (노트: 축소 경로)") == ["수축 경로", "축소 경로"]
    assert korean_forms("분할, 세그멘테이션 (노트: 세분화)") == ["분할", "세그멘테이션", "세분화"]
    assert korean_forms("교집합 대 합집합 (IoU)") == ["교집합 대 합집합", "IoU"]
    assert english_forms("image segmentation; in note 001 also the splitting") == ["image segmentation"]
    assert english_forms("convolutional neural network (CNN)") == ["convolutional neural network", "CNN"]
    row = {"korean": "수축 경로", "english": "contracting path", "chapters": ["05"], "notes": "—"}
    _TEXTS["99"] = "the contracting\n path (수축\n경로) of the net"
    try:
        assert has_korean(row, "99") and has_english(row, "99")
        _TEXTS["99"] = "the contracting-path"
        assert has_english(row, "99") and not has_korean(row, "99")
        _TEXTS["99"] = "contracting paths and 수축"
        assert not has_english(row, "99") and not has_korean(row, "99")
    finally:
        del _TEXTS["99"]


def test_table_is_well_formed():
    assert len(ROWS) >= 50, f"the glossary table has only {len(ROWS)} rows; is the table intact?"
    seen: dict[str, str] = {}
    for row in ROWS:
        assert row["korean"] and row["english"], row
        for chapter in row["chapters"]:
            assert re.fullmatch(r"\d{2}", chapter), f"{row['korean']}: chapter {chapter!r} is not two digits like '05'"
            assert sorted(NOTEBOOKS.glob(f"{chapter}_*.ipynb")), f"{row['korean']}: no notebook for chapter {chapter}"
        assert re.fullmatch(r"—|\d{3}(, \d{3})*", row["notes"]), f"{row['korean']}: notes {row['notes']!r} are not like '000, 004' or '—'"
        for form in korean_forms(row["korean"]):
            assert form not in seen, f"the Korean form {form!r} is in two rows: {seen[form]!r} and {row['korean']!r}"
            seen[form] = row["korean"]
    chapters = [min(row["chapters"]) for row in ROWS]
    assert chapters == sorted(chapters), "the table is ordered by chapter (by the first chapter of each row)"


def test_only_terms_of_the_field():
    for row in ROWS:
        extra = NOT_TERMS & set(korean_forms(row["korean"]))
        assert not extra, f"{row['korean']}: {sorted(extra)} is no term of segmentation or deep learning"
    assert not any("왜곡 오류" in row["korean"] for row in ROWS), "warping error is 워핑 오류 in Korean texts"


@pytest.mark.parametrize("row", ROWS, ids=[row["english"] for row in ROWS])
def test_term_appears_in_its_chapters(row):
    missing = [c for c in row["chapters"] if not (has_korean(row, c) or has_english(row, c))]
    assert not missing, (
        f"glossary term {row['korean']} ({row['english']}) appears in neither Korean nor English in chapter(s) "
        f"{', '.join(missing)}; use it there, or correct the glossary's chapter column"
    )


@pytest.mark.parametrize("row", [r for r in ROWS if STRICT_CHAPTERS & set(r["chapters"])],
                         ids=lambda row: row["english"])
def test_korean_term_in_chapters_10_and_11(row):
    missing = [c for c in row["chapters"] if c in STRICT_CHAPTERS and not has_korean(row, c)]
    assert not missing, f"chapter(s) {', '.join(missing)} should write {korean_forms(row['korean'])[0]} beside {row['english']}"
