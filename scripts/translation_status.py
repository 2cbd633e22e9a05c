"""How far the Korean translation is: per page, messages untranslated, fuzzy or out of date.

    python scripts/translation_status.py                  # extract the English messages, compare
    python scripts/translation_status.py --pot DIR        # compare with messages extracted before
    python scripts/translation_status.py --extract-only DIR   # only extract (make translations)

The English messages are extracted from the current sources by Sphinx's gettext builder (the
book's ``_config.yml``: one ``.pot`` per page, no locations, no uuids; notebooks not executed,
code-cell outputs not extracted) into a temporary folder, then compared with the catalogs
``locales/ko/LC_MESSAGES/<page>.po``; the package's own texts (the quiz's feedback, hints,
explanations, prompts and options, extracted by ``scripts/package_catalog.py``) are compared, as
the page ``unet_course``, with ``unet_course/locale/ko/LC_MESSAGES/unet_course.po``. A message is

- **translated** when the catalog has it with a non-empty, non-fuzzy ``msgstr``;
- **untranslated** when the catalog has it with an empty ``msgstr``;
- **fuzzy** when its entry is marked fuzzy (``sphinx-intl update`` marks a changed English
  paragraph so, keeping the old translation to revise);
- **stale** when the catalog does not have it at all: the English paragraph is new or was changed
  and ``make translations`` has not been run; the closest old English text in the catalog, if
  any, is shown beside it.

Exit status 0 when every message of every page is translated, 1 otherwise.
``tests/test_translation.py`` runs the same comparison.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"


@dataclass
class Problem:
    page: str        # notebooks/06_overlap_tile
    kind: str        # untranslated, fuzzy, stale
    msgid: str
    hint: str = ""   # for stale: the closest old msgid in the catalog

    def describe(self, width: int = 100) -> str:
        text = " ".join(self.msgid.split())
        text = text if len(text) <= width else text[: width - 3] + "..."
        line = f"{self.page}: {self.kind}: {text!r}"
        if self.hint:
            old = " ".join(self.hint.split())
            line += f"\n    (the catalog has the older English {old[:width]!r}{'...' if len(old) > width else ''})"
        return line


@dataclass
class PageStatus:
    page: str
    messages: int = 0
    problems: list[Problem] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for p in self.problems if p.kind == kind)


def extract(outdir: Path) -> Path:
    """Extract the English messages of every page into ``outdir`` (``.pot`` files); ~10-20 s."""
    from jupyter_book.sphinx import build_sphinx

    outdir = Path(outdir)
    with tempfile.TemporaryDirectory(prefix="gettext-doctrees-") as doctrees:
        result = build_sphinx(
            ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"),
            confoverrides={
                "external_toc_path": (ROOT / "_toc.yml").as_posix(),
                "latex_individualpages": False,
                "nb_execution_mode": "off",
            },
            doctreedir=doctrees, builder="gettext", quiet=True, warningiserror=False,
        )
    if result:
        raise RuntimeError(f"extracting the English messages failed: {result!r}")
    return outdir


PACKAGE_PAGE = "unet_course"  # the package's catalog, compared like a page


def _package_catalog():
    import importlib.util

    spec = importlib.util.spec_from_file_location("package_catalog", ROOT / "scripts" / "package_catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _messages(path: Path | None) -> dict[tuple[str | None, str], object]:
    """The catalog's entries by (context, English); the book's pages have no contexts. ``None``:
    the package's English, extracted from the code (``scripts/package_catalog.py``)."""
    from babel.messages.pofile import read_po

    if path is None:
        catalog = _package_catalog().template()
    else:
        with path.open("rb") as handle:
            catalog = read_po(handle)
    return {(message.context, message.id): message for message in catalog if message.id and isinstance(message.id, str)}


def catalog_of(page: str, language: str = "ko") -> Path:
    """The catalog of a page: ``locales/<language>/LC_MESSAGES/<page>.po``, or the package's own."""
    if page == PACKAGE_PAGE:
        return ROOT / "unet_course" / "locale" / language / "LC_MESSAGES" / f"{PACKAGE_PAGE}.po"
    return LOCALES / language / "LC_MESSAGES" / f"{page}.po"


def compare(pot_dir: Path, language: str = "ko") -> list[PageStatus]:
    """Compare every ``.pot`` under ``pot_dir`` with ``locales/<language>``, page by page."""
    pot_dir = Path(pot_dir)
    statuses = []
    # the book's pages as Sphinx extracted them, then the package's own texts (not a .pot in
    # pot_dir: sphinx-intl would make a page catalog of it)
    pages = [(pot.relative_to(pot_dir).with_suffix("").as_posix(), pot) for pot in sorted(pot_dir.rglob("*.pot"))]
    for page, pot in pages + [(PACKAGE_PAGE, None)]:
        if page == "sphinx":
            continue  # the theme's own strings: Sphinx ships their translations
        english = _messages(pot)
        status = PageStatus(page, len(english))
        po = catalog_of(page, language)
        translated = _messages(po) if po.is_file() else {}
        obsolete = [msgid for msgid in translated if msgid not in english]
        for key in english:
            msgid, entry = key[1], translated.get(key)
            if entry is None:
                close = difflib.get_close_matches(msgid, [old for _, old in obsolete], n=1, cutoff=0.6)
                status.problems.append(Problem(page, "stale", msgid, close[0] if close else ""))
            elif entry.fuzzy:
                status.problems.append(Problem(page, "fuzzy", msgid))
            elif not entry.string:
                status.problems.append(Problem(page, "untranslated", msgid))
        statuses.append(status)
    if not statuses:
        raise RuntimeError(f"no .pot files under {pot_dir}: the extraction found no page")
    return statuses


def report(statuses: list[PageStatus]) -> str:
    rows = [f"{'page':40} {'messages':>8} {'translated':>10} {'untransl.':>9} {'fuzzy':>6} {'stale':>6}"]
    totals = [0, 0, 0, 0, 0]
    for s in statuses:
        counts = [s.messages, s.messages - len(s.problems), s.count("untranslated"), s.count("fuzzy"), s.count("stale")]
        totals = [a + b for a, b in zip(totals, counts)]
        rows.append(f"{s.page:40} {counts[0]:8} {counts[1]:10} {counts[2]:9} {counts[3]:6} {counts[4]:6}")
    rows.append(f"{'total':40} {totals[0]:8} {totals[1]:10} {totals[2]:9} {totals[3]:6} {totals[4]:6}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pot", type=Path, help="a folder of .pot files extracted before")
    parser.add_argument("--extract-only", type=Path, metavar="DIR", help="extract the .pot files into DIR and stop")
    parser.add_argument("--list", action="store_true", help="name every message that is not translated")
    parser.add_argument("--language", default="ko")
    args = parser.parse_args(argv)
    if args.extract_only:
        extract(args.extract_only)
        print(f"English messages extracted into {args.extract_only}")
        return 0
    if args.pot:
        statuses = compare(args.pot, args.language)
    else:
        with tempfile.TemporaryDirectory(prefix="gettext-") as tmp:
            statuses = compare(extract(Path(tmp)), args.language)
    print(report(statuses))
    if args.list:
        for status in statuses:
            for problem in status.problems:
                print(problem.describe())
    return 0 if all(not s.problems for s in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
