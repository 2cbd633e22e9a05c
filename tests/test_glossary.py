"""The glossary (book/glossary.md) against the chapters: every term appears where the glossary says,
has a definition in English and Korean, and links the section that introduces it.

The table's rows are ``| Korean | English | definition | introduced in | chapters | notes |``. The Korean cell lists the forms
Korean texts use, separated by commas; a parenthesis holds more forms, and ``(노트: X)`` a note's own
term. A row passes when, in every chapter it names, the notebook's text (all cell sources) holds
one of its Korean forms (spaces ignored: Korean spacing varies) or one of its English forms (case
and hyphens ignored). The notebooks are read when the test runs, so the test follows the chapters
as they change. Chapters 10 and 11 are held to more: their rows' Korean forms must appear there.

Every row has a one-sentence definition and a link, ``{doc}`../notebooks/NN_name``` to the first
chapter of its row, optionally followed by ``, § Heading``, a heading of that notebook (or a
``{ref}`label``` to a ``(label)=`` target of the notebooks). The Korean catalog
(``locales/ko/LC_MESSAGES/book/glossary.po``) translates every definition in one sentence and
keeps each link's target, its section named as that chapter's catalog translates the heading.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"
NOTEBOOKS = ROOT / "notebooks"
CATALOGS = ROOT / "locales" / "ko" / "LC_MESSAGES"
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
    """The rows of the glossary's table: korean, english, definition, link, chapters (two-digit
    strings), notes."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0].startswith("한국어"):
            continue
        assert len(cells) == 6, (
            f"a glossary row needs 6 cells (Korean | English | definition | introduced in | chapters | notes): {line!r}")
        korean, english, definition, link, chapters, notes = cells
        rows.append({
            "korean": korean,
            "english": english,
            "definition": definition,
            "link": link,
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


LINK = re.compile(r"\{doc\}`\.\./notebooks/(?P<doc>\d{2}_[a-z0-9_]+)`(?:, § (?P<section>.+))?|\{ref\}`(?P<label>[\w.-]+)`")


def _headings(chapter: str) -> list[str]:
    return [line.lstrip("#").strip() for line in chapter_text(chapter).splitlines() if re.match(r"#{1,4} ", line)]


def _labels() -> set[str]:
    return {m for path in NOTEBOOKS.glob("[0-9]*.ipynb")
            for m in re.findall(r"^\((\S+)\)=\s*$", chapter_text(path.name[:2]), flags=re.M)}


def _catalog(page: str) -> dict[str, str]:
    """English -> Korean of a page's catalog (``book/glossary``, ``notebooks/05_...``): translated,
    not fuzzy."""
    path = CATALOGS / f"{page}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def one_sentence(text: str, korean: bool) -> bool:
    """One sentence: it ends with a full stop and has none inside (a decimal point or "et al." is
    no full stop)."""
    body = re.sub(r"\$[^$]*\$|`[^`]*`|et al\.|\d\.\d", "", text.strip())
    if korean:
        return body.endswith("다.") and not re.search(r"다\.\s", body[:-2])
    return body.endswith(".") and not re.search(r"[.!?]\s+[A-Z(]", body[:-1])


def test_one_sentence():
    assert one_sentence("Dividing an image into regions.", korean=False)
    assert not one_sentence("Dividing an image. Then more.", korean=False)
    assert not one_sentence("Dividing an image", korean=False)
    assert one_sentence("이미지를 나눕니다.", korean=True) and not one_sentence("나눕니다. 그리고 셉니다.", korean=True)


@pytest.mark.parametrize("row", ROWS, ids=[row["english"] for row in ROWS])
def test_every_term_has_a_definition_and_a_link(row):
    assert one_sentence(row["definition"], korean=False), (
        f"glossary term {row['english']}: the definition should be one English sentence ending in a full stop: "
        f"{row['definition']!r}")
    match = LINK.fullmatch(row["link"])
    assert match, (
        f"glossary term {row['english']}: 'introduced in' should be {{doc}}`../notebooks/NN_name` (optionally "
        f"followed by ', § Heading') or {{ref}}`label`, not {row['link']!r}")
    if match["label"]:
        assert match["label"] in _labels(), f"glossary term {row['english']}: no target ({match['label']})= in the notebooks"
        return
    chapter = match["doc"][:2]
    assert (NOTEBOOKS / f"{match['doc']}.ipynb").is_file(), f"glossary term {row['english']}: no notebook {match['doc']}"
    assert chapter == min(row["chapters"]), (
        f"glossary term {row['english']}: the link goes to chapter {chapter}, the row's first chapter is {min(row['chapters'])}")
    if match["section"]:
        assert match["section"] in _headings(chapter), (
            f"glossary term {row['english']}: chapter {chapter} has no heading {match['section']!r} (renamed? "
            f"its headings: {_headings(chapter)})")


KOREAN = _catalog("book/glossary")


@pytest.mark.parametrize("row", ROWS, ids=[row["english"] for row in ROWS])
def test_every_definition_and_link_in_korean(row):
    definition = KOREAN.get(row["definition"])
    assert definition, f"glossary term {row['english']}: its definition has no Korean in {CATALOGS}/book/glossary.po"
    assert one_sentence(definition, korean=True), (
        f"glossary term {row['english']}: the Korean definition should be one sentence in 합니다체: {definition!r}")
    link = KOREAN.get(row["link"])
    assert link, f"glossary term {row['english']}: its link has no Korean in {CATALOGS}/book/glossary.po"
    english, korean = LINK.fullmatch(row["link"]), LINK.fullmatch(link)
    assert korean and (korean["doc"], korean["label"]) == (english["doc"], english["label"]), (
        f"glossary term {row['english']}: the Korean link {link!r} should keep the target of {row['link']!r}")
    if english["section"]:
        heading = _catalog(f"notebooks/{english['doc']}").get(english["section"])
        assert korean["section"] == (heading or english["section"]), (
            f"glossary term {row['english']}: the Korean link should name the section as chapter "
            f"{english['doc'][:2]}'s catalog does, {heading!r}, not {korean['section']!r}")
