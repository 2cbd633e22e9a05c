"""The Korean edition writes each term one way: the terminology table ``locales/ko/terminology.csv``.

The table's rows are ``english,korean,rejected,note``: the English term, the one Korean rendering
the course writes (an English word there means the term stays English), the variants it does not
write (separated by ``;``; only variants that occur or plausibly would) and a remark. This test
reads every Korean catalog (``locales/ko/LC_MESSAGES/**/*.po``, the ``msgstr``) and the Korean
feedback of the quiz (the package's catalog ``unet_course/locale/ko/LC_MESSAGES/unet_course.po``:
messages, hints, explanations) and
names every rejected variant it finds, with the place and the English text.

A variant is no error where the text mentions it rather than uses it: inside inline code, math,
a link target or quotation marks (a quotation of a note or a paper), inside parentheses that hold
an English gloss or name a note (``(contracting path; 노트 001은 축소 경로라고 씁니다)``), where the
English source itself writes that Korean (a heading such as "Gray values (그레이 값 변화)"), and
inside another row's chosen term (윈도 inside 윈도우). The glossary (``book/glossary.md``) lists
the forms other texts use; its first Korean form of every row must be the table's.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from test_glossary import ROWS as GLOSSARY_ROWS
from test_glossary import english_forms, korean_forms

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "locales" / "ko" / "terminology.csv"
CATALOGS = ROOT / "locales" / "ko" / "LC_MESSAGES"
HANGUL = "가-힣"

# Known occurrences of rejected variants, in catalogs and feedback tables that were being edited
# when the table was made: (place, the start of the message's English text, variant). To be fixed
# by the lead after the chapter edits land; then delete the entry (an entry that no longer occurs
# fails the test), until the list is empty.
KNOWN_VARIANTS: list[tuple[str, str, str]] = []


def _key(english: str) -> str:
    return " ".join(english.lower().replace("-", " ").split())


def load_table() -> list[dict]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["rejected"] = [v.strip() for v in (row["rejected"] or "").split(";") if v.strip()]
    return rows


TERMS = load_table()
CHOSEN = sorted({row["korean"] for row in TERMS}, key=len, reverse=True)


def _strip_mentions(text: str, source: str = "") -> str:
    """The text with what it mentions rather than uses blanked out (same length, so spans hold)."""
    def blank(match: re.Match) -> str:
        return " " * len(match.group(0))

    text = re.sub(r"``.*?``|`[^`]*`", blank, text, flags=re.S)  # inline code and roles
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", blank, text, flags=re.S)  # math
    text = re.sub(r"\]\([^)]*\)", blank, text)  # link targets
    text = re.sub(r"\{\w+(?::[^{}]*)?\}", blank, text)  # a message's fields ({shape}, {value:을}) and role names
    text = re.sub(r'"[^"]*"|“[^”]*”|‘[^’]*’|「[^」]*」', blank, text, flags=re.S)  # quotations
    # parentheses that hold an English gloss or name a note; a Korean aside is checked like the rest
    while True:
        new = re.sub(r"\(([^()]*)\)", lambda m: blank(m) if _gloss(m.group(1)) else "[" + m.group(1) + "]", text)
        if new == text:
            return text
        text = new


def _gloss(inside: str) -> bool:
    """Whether a parenthesis mentions terms rather than uses them: it names a note, or it opens with
    English ending in a sign or at the parenthesis ("(rank, $0$)", "(contracting path; 노트 ...)",
    "(world size = ...)"), unlike a Korean aside that starts with a Latin word ("(float32로 ...)")."""
    if "노트" in inside or "note" in inside.lower():
        return True
    prefix = re.match(f"[^{HANGUL}]*", inside).group(0)
    if not re.search("[A-Za-z]", prefix):
        return False
    return prefix == inside or prefix.rstrip()[-1:] in {",", ";", ":", "="}


def find_variants(text: str, source: str = "") -> list[tuple[str, str]]:
    """``(variant, chosen term)`` for every rejected variant that ``text`` uses. ``source`` is the
    English text the Korean translates: a Korean variant it writes itself is no error."""
    clean = _strip_mentions(text)
    chosen_spans = [m.span() for term in CHOSEN for m in re.finditer(re.escape(term), clean)]
    found = []
    for row in TERMS:
        for variant in row["rejected"]:
            korean = re.search(f"[{HANGUL}]", variant) is not None
            if korean and variant in source:
                continue
            before = f"(?<![{HANGUL}])" if korean else r"(?<![A-Za-z0-9_\-])"
            after = "" if korean else r"(?![A-Za-z0-9_\-])"
            flags = 0 if korean else re.IGNORECASE
            for m in re.finditer(before + re.escape(variant) + after, clean, flags):
                if any(a <= m.start() and m.end() <= b and (b - a) > len(variant) for a, b in chosen_spans):
                    continue
                found.append((variant, row["korean"]))
    return found


def korean_texts() -> list[tuple[str, str, str]]:
    """``(place, English, Korean)`` for every catalog message and every Korean feedback text."""
    texts = []
    for path in sorted(CATALOGS.rglob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        place = path.relative_to(ROOT).as_posix()
        for message in catalog:
            if not message.id or not message.string:
                continue
            english = message.id if isinstance(message.id, str) else message.id[0]
            korean = message.string if isinstance(message.string, str) else " ".join(message.string)
            texts.append((place, english, korean))
    from unet_course.quiz import catalog

    place = catalog.catalog_path("ko", ".po").relative_to(ROOT).as_posix()
    for context in catalog.CONTEXTS:
        texts += [(place, english, korean) for english, korean in catalog.table(context).items()]
    return texts


def test_table_is_well_formed():
    assert len(TERMS) >= 90, f"{TABLE} has only {len(TERMS)} rows; is it intact?"
    seen: dict[str, str] = {}
    for row in TERMS:
        assert row["english"] and row["korean"], f"{TABLE}: a row needs an English term and its Korean: {row}"
        assert _key(row["english"]) not in seen, f"{TABLE}: {row['english']!r} has two rows"
        seen[_key(row["english"])] = row["korean"]
        for variant in row["rejected"]:
            assert variant != row["korean"], f"{TABLE}: {row['english']}: {variant!r} is both chosen and rejected"
            assert variant not in CHOSEN, f"{TABLE}: {variant!r} is rejected for {row['english']} but chosen for another term"


def test_finder():
    assert find_variants("수축 경로와 축소 경로") == [("축소 경로", "수축 경로")]
    assert find_variants("**수축 경로**(contracting path; 노트 001은 축소 경로라고 씁니다)") == []
    assert find_variants('노트 004는 "축소 경로"라고 씁니다') == []
    assert find_variants("배치 크기(배치 size)") == [("배치 size", "배치 크기")]
    assert find_variants("각 프로세스는 *랭크*(rank, $0$)입니다. `rank0.pt`") == []
    assert find_variants("모든 rank에 보냅니다") == [("rank", "랭크")]
    assert find_variants("윈도우를 옮깁니다") == [] and find_variants("윈도를 옮기고 창을 봅니다") == [("창", "윈도우"), ("윈도", "윈도우")]
    assert find_variants("업 컨볼루션과 디컨볼루션") == []
    assert find_variants("(float32로 0.5 GB가 넘으며, 그래디언트는 세지 않은 값)") == [("그래디언트", "기울기")]
    assert find_variants("(world size = 머신 수, 그래디언트)") == [] and find_variants("시크릿 창에서는") == []
    assert find_variants("회색조 값 변화(그레이 값 변화)", source="Gray values (그레이 값 변화)") == []


def test_catalogs_and_feedback_use_the_chosen_terms():
    known = {(place, english_start, variant) for place, english_start, variant in KNOWN_VARIANTS}
    found, matched = [], set()
    for place, english, korean in korean_texts():
        for variant, chosen in find_variants(korean, english):
            entry = next((k for k in known if k[0] == place and english.startswith(k[1]) and k[2] == variant), None)
            if entry:
                matched.add(entry)
                continue
            found.append(f"{place}: {variant!r} where the course writes {chosen!r}, in the Korean of {english[:70]!r}")
    assert not found, (
        f"{len(found)} rejected variants in the Korean (the chosen terms: locales/ko/terminology.csv):\n"
        + "\n".join(found[:200]))
    stale = sorted(known - matched)
    assert not stale, f"KNOWN_VARIANTS in tests/test_terminology.py lists variants that no longer occur; delete them: {stale}"


def test_glossary_agrees_with_the_table():
    table = {_key(row["english"]): row for row in TERMS}
    rejected = {v: row["korean"] for row in TERMS for v in row["rejected"]}
    problems = []
    for row in GLOSSARY_ROWS:
        english = english_forms(row["english"])[0]
        first = korean_forms(row["korean"])[0]
        term = table.get(_key(english))
        if term is None:
            problems.append(f"the glossary's {english!r} has no row in {TABLE.name}")
        elif term["korean"] != first:
            problems.append(f"{english!r}: the glossary writes {first!r} first, the table chooses {term['korean']!r}")
        if first in rejected:
            problems.append(f"{english!r}: the glossary's first form {first!r} is a rejected variant of {rejected[first]!r}")
    assert not problems, "book/glossary.md and locales/ko/terminology.csv disagree:\n" + "\n".join(problems)
