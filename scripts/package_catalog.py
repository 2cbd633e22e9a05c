"""The package's gettext catalog: extract the quiz's English, merge it into the Korean, compile.

    python scripts/package_catalog.py            # extract, merge into the .po, compile the .mo
    python scripts/package_catalog.py --check    # exit 1 if the .po or the .mo is not current

The English texts a learner reads from the package (``unet_course/quiz/catalog.py`` says which)
are extracted into a template: the first argument of every ``_t(...)`` and ``N_(...)`` call in
``unet_course/`` (Babel's Python extractor, as ``pybabel extract -k _t -k N_`` would), and every
hint, explanation, prompt and option of the question bank (contexts ``hint``, ``explanation``,
``prompt``, ``option``). The template
is merged into ``unet_course/locale/ko/LC_MESSAGES/unet_course.po`` the way ``sphinx-intl update``
merges the book's pages (Babel's ``Catalog.update``: a changed English text keeps its old Korean
marked fuzzy, a new one is untranslated, a removed one becomes obsolete), the catalog is written as
sphinx-intl writes it, and ``unet_course.mo`` is compiled from it. ``make translations`` runs this;
``scripts/translation_status.py`` then counts what is left to translate, the package's catalog beside
the book's pages.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from sphinx_intl import catalog as intl

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "unet_course"
KEYWORDS = {"_t": None, "N_": None}  # the first argument of each is the message
WIDTH = 76  # sphinx-intl's line width, as for the book's catalogs
if str(ROOT) not in sys.path:  # the package of this checkout, also when it is not installed
    sys.path.insert(0, str(ROOT))


def _catalog_paths(language: str) -> tuple[Path, Path]:
    from unet_course.quiz.catalog import catalog_path

    return catalog_path(language, ".po"), catalog_path(language, ".mo")


def template() -> Catalog:
    """The English messages of the package, as a ``.pot`` catalog (no locations: the same
    messages give the same file)."""
    pot = Catalog(project="unet-course", domain="unet_course", fuzzy=False)
    for _, _, message, _, context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()):
        if isinstance(message, str) and message:
            pot.add(message, context=context)
    from unet_course import quiz

    for question in quiz.questions():
        if question.hint:
            pot.add(question.hint, context="hint")
        explanation = getattr(question, "explanation", "")
        if explanation:
            pot.add(explanation, context="explanation")
        pot.add(question.prompt, context="prompt")
        for option in getattr(question, "options", ()):
            pot.add(option, context="option")
    return pot


def compiled(catalog: Catalog) -> bytes:
    """The ``.mo`` bytes of ``catalog`` (fuzzy entries left out, as msgfmt does)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def write_template(path: Path) -> Path:
    """Write the template to ``path`` (``scripts/translation_status.py`` compares it with the
    catalog like a page's)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    intl.dump_po(str(path), template(), line_width=WIDTH)
    return path


def update(language: str = "ko") -> tuple[int, int]:
    """Merge the template into the language's ``.po`` and compile its ``.mo``; returns (messages,
    untranslated or fuzzy)."""
    po_path, mo_path = _catalog_paths(language)
    catalog = intl.load_po(str(po_path))
    catalog.update(template(), update_creation_date=False)
    intl.dump_po(str(po_path), catalog, line_width=WIDTH)
    catalog = intl.load_po(str(po_path))  # what the file holds (obsolete entries dropped from use)
    mo_path.write_bytes(compiled(catalog))
    left = sum(1 for m in catalog if m.id and (m.fuzzy or not m.string))
    return sum(1 for m in catalog if m.id), left


def problems(language: str = "ko") -> list[str]:
    """Why the committed catalog is not current: English texts it lacks or no longer needs, and a
    ``.mo`` that was not compiled from the ``.po``."""
    po_path, mo_path = _catalog_paths(language)
    catalog = intl.load_po(str(po_path))
    have = {(m.context, m.id) for m in catalog if m.id}
    want = {(m.context, m.id) for m in template() if m.id}
    found = [f"missing from {po_path.name} ({context or 'message'}): {msgid[:90]!r}" for context, msgid in sorted(want - have, key=str)]
    found += [f"in {po_path.name} but no longer in the package ({context or 'message'}): {msgid[:90]!r}"
              for context, msgid in sorted(have - want, key=str)]
    if not mo_path.is_file() or mo_path.read_bytes() != compiled(catalog):
        found.append(f"{mo_path.name} is not compiled from {po_path.name}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the catalog is current")
    parser.add_argument("--language", default="ko")
    args = parser.parse_args(argv)
    if args.check:
        found = problems(args.language)
        print("\n".join(found) if found else "the package's catalog is current")
        return 1 if found else 0
    total, left = update(args.language)
    print(f"unet_course/locale/{args.language}: {total} messages, {left} untranslated or fuzzy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
