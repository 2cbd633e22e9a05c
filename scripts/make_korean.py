"""Write the Korean notebooks: the English chapters with their Markdown rebuilt from the catalogs.

    python scripts/make_korean.py                    # notebooks/*.ipynb -> notebooks/ko/*.ipynb
    python scripts/make_korean.py --check            # exit 1 when notebooks/ko/ (or the prompt table) is stale

One source of truth for code: every code cell, with its stored outputs, is the English
notebook's. Only the Markdown changes. The translations come from the message catalogs that
Sphinx's gettext builder extracted from the English notebooks (``locales/ko/LC_MESSAGES/
notebooks/NN_name.po``, the ones the Korean HTML book is built from), so the book and the
runnable notebooks cannot disagree.

How a Markdown cell is rebuilt. The cell is parsed by markdown-it with MyST's own parser and the
book's extensions (``_config.yml``: amsmath, colon_fence, deflist, dollarmath, html_image,
substitution). Each block that Sphinx turns into one message (a paragraph, a paragraph of a list
item or a block quote, a heading, a definition term, a table cell, a math block) is found by its
source lines (``token.map``); when its inline source, with newlines read as spaces (as Sphinx
writes the msgid), is a msgid with a translation, the text of those lines is replaced by the
msgstr and everything around it stays: list markers, indentation, ``>`` of quotes, ``(label)=``
targets, directive fences and their ``:option:`` lines. Directives in fences (```` ```{exercise}
````, ``{admonition}``, ``{note}``, ...) hold nested Markdown: their body is parsed again, the
same way, and their title argument is a message too. Relative links that leave ``notebooks/``
(``../book/...``) get one more ``../``, since the Korean notebooks sit one folder deeper.

A block whose message is missing from the catalog, or untranslated (empty or fuzzy), keeps its
English text and is counted; the script prints the counts per chapter
(``tests/test_korean_notebooks.py`` requires 0 once the catalogs are complete).

The Korean notebook starts with one extra code cell (tagged ``unet-course-lang``) that sets
``UNET_COURSE_LANG=ko``, so ``quiz.check`` answers in Korean; the verdicts and messages of the
quiz in the copied outputs are put into Korean with the quiz's own table
(``unet_course.quiz.localize_feedback``).

Exercise prompts shown by ``quiz.show("NN.id")`` are a code cell's ``text/markdown`` output, yet
prose: the book's gettext extraction keeps them (``book/_ext/untranslated_outputs.py``), so the
chapter's catalog has their messages. The stored ``text/markdown`` output of such a cell is
rebuilt from the catalog with the same block replacement as a Markdown cell (and counted like the
cells). The same translations, for the prompts of the questions the chapters show, are written
to ``unet_course/questions/_ko_prompts.py`` (:func:`prompt_table`), which ``quiz.show`` uses
under ``UNET_COURSE_LANG=ko``; ``--check`` also fails when that file is stale. (A prompt's and an
option's short text, for ``quiz.widget`` and the book's answer boxes, is in the package's catalog;
``tests/test_quiz_korean.py`` holds it equal to this translation for the questions shown here.)
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import re
import sys
from pathlib import Path

import nbformat
from babel.messages.pofile import read_po
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from unet_course import quiz  # noqa: E402  (after the path set-up, for a checkout without install)

LANG_TAG = "unet-course-lang"
EDITION_KEY = "unet_course_language"
LANGUAGE_SOURCE = (
    "# 한국어판: quiz.check의 판정과 힌트가 한국어로 나옵니다 (다른 코드보다 먼저 실행하세요).\n"
    "import os\n"
    "\n"
    'os.environ["UNET_COURSE_LANG"] = "ko"'
)
# The book's MyST extensions (_config.yml, parse.myst_enable_extensions).
EXTENSIONS = {"amsmath", "colon_fence", "deflist", "dollarmath", "html_image", "substitution"}
# Directives whose body is not Markdown (code, math, a path, reStructuredText).
LITERAL_DIRECTIVES = {
    "code", "code-block", "code-cell", "sourcecode", "math", "raw", "eval-rst", "eval-md", "figure",
    "image", "toctree", "bibliography", "mermaid", "glue", "literalinclude", "include", "csv-table",
}
# Directives whose argument is a label or a path, not a title to translate.
UNTRANSLATED_ARGUMENT = {"solution-start", "solution-end", "solution", "figure", "image", "include", "literalinclude"}
OPTION = re.compile(r"^\s*:[\w-]+:")
FENCE_TYPES = {"fence", "colon_fence"}
# [text](../x), ![alt](../x), <img src="../x">: links from notebooks/ to the rest of the repository
RELATIVE_LINK = re.compile(r"(\]\(\s*<?|\bsrc=[\"']|\bhref=[\"'])(\.\./)")
# A code cell that shows an exercise prompt: quiz.show("NN.id")
SHOW_CALL = re.compile(r"""\bquiz\.show\(\s*["']([^"']+)["']""")
PROMPTS_FILE = ROOT / "unet_course" / "questions" / "_ko_prompts.py"


def parser() -> MarkdownIt:
    """MyST's markdown-it parser with the book's extensions."""
    return create_md_parser(MdParserConfig(enable_extensions=EXTENSIONS), RendererHTML)


@dataclasses.dataclass
class Counts:
    """What happened to the blocks of one chapter."""

    translated: int = 0
    untranslated: list[str] = dataclasses.field(default_factory=list)  # msgid without msgstr (or fuzzy)
    missing: list[str] = dataclasses.field(default_factory=list)  # block text that is no msgid
    used: set[str] = dataclasses.field(default_factory=set)  # msgids found in the Markdown

    @property
    def not_translated(self) -> int:
        return len(self.untranslated) + len(self.missing)


class Catalog:
    """The messages of one page: msgid -> msgstr ('' when untranslated or fuzzy)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.messages: dict[str, str] = {}
        if path is not None and path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle)
            for message in catalog:
                if not message.id or not isinstance(message.id, str):
                    continue
                text = message.string if isinstance(message.string, str) else ""
                self.messages[message.id] = "" if message.fuzzy else text

    def look_up(self, key: str, counts: Counts) -> str | None:
        """The translation of ``key``, or ``None`` (counted as missing or untranslated)."""
        if not key.strip():
            return None
        if key not in self.messages:
            counts.missing.append(key)
            return None
        counts.used.add(key)
        text = self.messages[key]
        if not text.strip():
            counts.untranslated.append(key)
            return None
        counts.translated += 1
        return text


def message_key(inline: str) -> str:
    """The msgid Sphinx writes for a block whose inline source is ``inline``."""
    return inline.replace("\n", " ").strip()


def _replace_block(lines: list[str], start: int, end: int, content: str, text: str) -> list[str] | None:
    """``lines[start:end]`` (a paragraph whose inline source is ``content``) with the text swapped
    for ``text``: the first line keeps what precedes the text (indentation, a list marker, ``>``),
    the other lines get the continuation prefix. ``None`` when the text cannot be located."""
    first_content = content.split("\n")[0]
    first = lines[start]
    position = first.find(first_content)
    if position < 0:
        return None
    prefix = first[:position]
    if end - start > 1:
        second_content = content.split("\n")[1] if "\n" in content else ""
        second = lines[start + 1]
        where = second.find(second_content) if second_content else -1
        continuation = second[:where] if where >= 0 else re.sub(r"[^\s>]", " ", prefix)
    else:
        continuation = re.sub(r"[^\s>]", " ", prefix)
    last_content = content.split("\n")[-1]
    last = lines[end - 1]
    tail_at = last.rfind(last_content)
    suffix = last[tail_at + len(last_content):] if tail_at >= 0 else ""
    new = [prefix + line if i == 0 else continuation + line for i, line in enumerate(text.split("\n"))]
    new[-1] += suffix
    return new


def _in_line(line: str, content: str, text: str, start: int = 0) -> tuple[str, int] | None:
    position = line.find(content, start)
    if position < 0:
        return None
    return line[:position] + text + line[position + len(content):], position + len(text)


def _directive(info: str) -> tuple[str, str] | None:
    """``("exercise", "title")`` for a fence info string ``{exercise} title``."""
    match = re.match(r"^\{([\w:-]+)\}\s*(.*)$", info.strip())
    return (match.group(1), match.group(2).strip()) if match else None


def _body_start(body: list[str]) -> int:
    """Index of the first Markdown line of a directive body: after ``:option:`` lines or a
    ``---`` YAML block, and the blank line after them."""
    i = 0
    if body and body[0].strip() == "---":
        for j in range(1, len(body)):
            if body[j].strip() == "---":
                i = j + 1
                break
    else:
        while i < len(body) and OPTION.match(body[i]):
            i += 1
    return i


def translate_markdown(source: str, catalog: Catalog, counts: Counts, md: MarkdownIt | None = None) -> str:
    """``source`` (one Markdown cell) with every block that has a translation in ``catalog``
    replaced by it (see the module docstring)."""
    md = md or parser()
    lines = source.split("\n")
    return "\n".join(_translate_lines(lines, catalog, counts, md))


def _translate_lines(lines: list[str], catalog: Catalog, counts: Counts, md: MarkdownIt) -> list[str]:
    tokens = md.parse("\n".join(lines))
    edits: list[tuple[int, int, list[str]]] = []  # (start, end, new lines), non-overlapping
    row_edits: dict[int, str] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type in FENCE_TYPES and token.map:
            edit = _translate_fence(token, lines, catalog, counts, md)
            if edit is not None:
                edits.append(edit)
        elif token.type in ("math_block", "math_block_label", "amsmath") and token.map:
            _translate_math(token, lines, catalog, counts, edits)
        elif token.type == "inline" and i > 0:
            opener = tokens[i - 1]
            if opener.type in ("paragraph_open", "heading_open", "dt_open") or opener.type in ("th_open", "td_open"):
                _translate_inline(token, opener, lines, catalog, counts, edits, row_edits, tokens, i)
        i += 1
    for row, line in row_edits.items():
        edits.append((row, row + 1, [line]))
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[start:end] = new
    return lines


def _row_of(tokens: list[Token], index: int) -> int | None:
    for j in range(index, -1, -1):
        if tokens[j].type == "tr_open":
            return tokens[j].map[0] if tokens[j].map else None
    return None


def _translate_inline(token, opener, lines, catalog, counts, edits, row_edits, tokens, index) -> None:
    content = token.content
    key = message_key(content)
    if not key:
        return
    if opener.type in ("th_open", "td_open"):
        row = _row_of(tokens, index)
        if row is None:
            return
        text = catalog.look_up(key, counts)
        if text is None:
            return
        text = text.replace("\n", " ").replace("|", "\\|")
        done = _in_line(row_edits.get(row, lines[row]), content, text)
        if done is not None:
            row_edits[row] = done[0]
        return
    block = opener.map or token.map
    if not block:
        return
    text = catalog.look_up(key, counts)
    if text is None:
        return
    start, end = block
    if opener.type == "heading_open" or opener.type == "dt_open":
        end = start + 1
        done = _in_line(lines[start], content.split("\n")[0], text.replace("\n", " "))
        if done is not None:
            edits.append((start, end, [done[0]]))
        return
    new = _replace_block(lines, start, end, content, text)
    if new is not None:
        edits.append((start, end, new))


def _translate_math(token, lines, catalog, counts, edits) -> None:
    content = token.content
    for key in (content, content.strip(), message_key(content)):
        if key in catalog.messages:
            break
    else:
        catalog.look_up(content.strip(), counts)  # counted as missing
        return
    text = catalog.look_up(key, counts)
    if text is None or text == key:
        return
    start, end = token.map
    block = "\n".join(lines[start:end])
    if content.strip() in block:
        new = block.replace(content.strip(), text.strip(), 1)
        edits.append((start, end, new.split("\n")))


def _translate_fence(token, lines, catalog, counts, md) -> tuple[int, int, list[str]] | None:
    directive = _directive(token.info)
    if directive is None:
        return None  # a code block: never translated
    name, argument = directive
    start, end = token.map
    opening = lines[start]
    indent = len(opening) - len(opening.lstrip())
    new_opening = opening
    if argument and name not in UNTRANSLATED_ARGUMENT:
        title = catalog.look_up(message_key(argument), counts)
        if title is not None:
            position = opening.rfind(argument)
            new_opening = opening[:position] + title.replace("\n", " ") + opening[position + len(argument):]
    # the body ends before the closing fence (absent when the fence runs to the end of the cell)
    marker = token.markup
    closed = end - 1 > start and lines[end - 1].strip().startswith(marker) and lines[end - 1].strip().strip(marker[0]) == ""
    body_end = end - 1 if closed else end
    body = [line[indent:] if line[:indent].strip() == "" else line.lstrip() for line in lines[start + 1:body_end]]
    if name not in LITERAL_DIRECTIVES:
        skip = _body_start(body)
        body = body[:skip] + _translate_lines(body[skip:], catalog, counts, md)
    rebuilt = [new_opening] + [(" " * indent + line) if line.strip() else line for line in body]
    rebuilt += lines[body_end:end]
    return start, end, rebuilt


def relink(source: str) -> str:
    """Relative links that leave ``notebooks/`` gain one ``../`` (the Korean notebooks sit in
    ``notebooks/ko/``)."""
    return RELATIVE_LINK.sub(lambda m: m.group(1) + "../" + m.group(2), source)


def language_cell() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(LANGUAGE_SOURCE, metadata={"tags": [LANG_TAG, "remove-cell"]})
    cell["id"] = LANG_TAG
    return cell


def korean_notebook(nb: nbformat.NotebookNode, catalog: Catalog, counts: Counts) -> nbformat.NotebookNode:
    """The Korean edition of ``nb`` (see the module docstring); ``counts`` records the blocks."""
    out = copy.deepcopy(nb)
    md = parser()
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = relink(translate_markdown(cell.source, catalog, counts, md))
        elif cell.cell_type == "code":
            shows_prompt = SHOW_CALL.search(cell.source) is not None
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and isinstance(output.get("text"), str):
                    output["text"] = quiz.localize_feedback(output["text"], "ko")
                data = output.get("data", {})
                if shows_prompt and isinstance(data.get("text/markdown"), str):
                    data["text/markdown"] = translate_markdown(data["text/markdown"], catalog, counts, md)
    first = language_cell()
    if (out.nbformat, out.nbformat_minor) < (4, 5):
        first.pop("id", None)
    out.cells.insert(0, first)
    out.metadata[EDITION_KEY] = "ko"
    return out


def catalog_for(notebook: Path, locales: Path) -> Path:
    return locales / "ko" / "LC_MESSAGES" / "notebooks" / (notebook.stem + ".po")


def build(source: Path, locales: Path) -> dict[str, tuple[nbformat.NotebookNode, Counts, Catalog]]:
    """The Korean notebook of every ``source/*.ipynb``, by file name, with its counts."""
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {source}; pass the course's notebooks/ folder")
    result = {}
    for path in notebooks:
        po = catalog_for(path, locales)
        if not po.exists():
            raise FileNotFoundError(
                f"{path.name}: no catalog {po}; extract them with Sphinx's gettext builder and sphinx-intl (CONTRIBUTING.md)"
            )
        catalog = Catalog(po)
        counts = Counts()
        result[path.name] = (korean_notebook(nbformat.read(path, as_version=4), catalog, counts), counts, catalog)
    return result


def prompt_table(source: Path, locales: Path) -> dict[str, tuple[str, str, dict[str, str]]]:
    """The Korean prompt of every question that a chapter of ``source`` shows with
    ``quiz.show("NN.id")``, by id: ``(English Markdown, Korean Markdown, messages)``. The English
    Markdown is the question's ``to_markdown()`` today; the Korean one is it with every block
    replaced from the chapter's catalog (as a Markdown cell); ``messages`` maps the question's
    prompt and each option (English) to its Korean text in the chapter's catalog
    (``tests/test_quiz_korean.py`` holds the package catalog's equal to it). A question whose
    blocks are not all translated is left out (``tests/test_quiz_korean.py`` reports it)."""
    md = parser()
    table: dict[str, tuple[str, str, dict[str, str]]] = {}
    for path in sorted(source.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        ids = [m.group(1) for c in nb.cells if c.cell_type == "code" for m in SHOW_CALL.finditer(c.source)]
        if not ids:
            continue
        catalog = Catalog(catalog_for(path, locales))
        for id_ in ids:
            question = quiz.get(id_)
            english = question.to_markdown()
            counts = Counts()
            korean = translate_markdown(english, catalog, counts, md)
            if counts.not_translated:
                continue
            messages: dict[str, str] = {}
            prompt = catalog.messages.get(message_key(question.prompt), "")
            if prompt and "\n\n" not in question.prompt:
                messages[question.prompt] = prompt.replace("\n", " ")
            for i, option in enumerate(getattr(question, "options", [])):
                label = f"**{i}**: "
                text = catalog.messages.get(message_key(label + option), "")
                if text.startswith(label):
                    messages[option] = text[len(label):].replace("\n", " ")
            table[id_] = (english, korean, messages)
    return table


def prompt_module(table: dict[str, tuple[str, str, dict[str, str]]]) -> str:
    """The source of ``unet_course/questions/_ko_prompts.py`` for ``table`` (:func:`prompt_table`)."""
    prompts = {english: korean for english, korean, _ in table.values()}
    lines = [
        '"""Korean exercise prompts for ``quiz.show`` (``UNET_COURSE_LANG=ko``).',
        "",
        "GENERATED by scripts/make_korean.py from the chapters' catalogs",
        "(locales/ko/LC_MESSAGES/notebooks/*.po, the messages of the prompts that the chapters show with",
        '``quiz.show("NN.id")``); do not edit: change the catalogs and run ``make korean``.',
        "tests/test_quiz_korean.py fails when this file is stale.",
        "",
        "PROMPTS: a question's English Markdown (``Question.to_markdown()``) -> its Korean Markdown.",
        '"""',
        "",
        "PROMPTS: dict[str, str] = {",
    ]
    lines += [f"    {english!r}:\n        {korean!r}," for english, korean in prompts.items()]
    lines += ["}", ""]
    return "\n".join(lines)


def write(built: dict[str, tuple[nbformat.NotebookNode, Counts, Catalog]], destination: Path) -> None:
    """Write the Korean notebooks made by :func:`build` to ``destination`` (stale ones whose
    chapter is gone are removed: only files this script wrote)."""
    destination.mkdir(parents=True, exist_ok=True)
    for old in sorted(destination.glob("*.ipynb")):
        if old.name not in built:
            try:
                mine = nbformat.read(old, as_version=4).metadata.get(EDITION_KEY) == "ko"
            except Exception:  # noqa: BLE001 - not a notebook this script wrote
                mine = False
            if mine:
                old.unlink()
    for name, (nb, _, _) in built.items():
        nbformat.write(nb, destination / name)


def report(built: dict[str, tuple[nbformat.NotebookNode, Counts, Catalog]], verbose: bool = False) -> str:
    rows = [f"{'chapter':32} {'translated':>10} {'untransl.':>9} {'no msgid':>8} {'unused msgids':>13}"]
    for name, (_, counts, catalog) in built.items():
        unused = [m for m in catalog.messages if m not in counts.used]
        rows.append(f"{name:32} {counts.translated:>10} {len(counts.untranslated):>9} {len(counts.missing):>8} {len(unused):>13}")
        if verbose:
            rows += [f"    no msgid: {m[:100]!r}" for m in counts.missing]
            rows += [f"    unused:   {m[:100]!r}" for m in unused]
    total = sum(c.not_translated for _, c, _ in built.values())
    rows.append(f"blocks left in English: {total}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser_.add_argument("source", type=Path, nargs="?", default=ROOT / "notebooks")
    parser_.add_argument("destination", type=Path, nargs="?", default=None, help="default: SOURCE/ko")
    parser_.add_argument("--locales", type=Path, default=ROOT / "locales")
    parser_.add_argument("--check", action="store_true", help="write nothing; exit 1 when DESTINATION is stale")
    parser_.add_argument("--verbose", "-v", action="store_true", help="list the blocks without a message")
    args = parser_.parse_args(argv)
    destination = args.destination or args.source / "ko"
    if args.source.resolve() == destination.resolve():
        parser_.error("the destination must differ from the source: it would overwrite the English notebooks")
    built = build(args.source, args.locales)
    print(report(built, args.verbose))
    # the package's prompt table comes from the course's own chapters (not a copy elsewhere)
    course = args.source.resolve() == (ROOT / "notebooks").resolve()
    prompts = prompt_module(prompt_table(args.source, args.locales)) if course else None
    if args.check:
        if prompts is not None and (not PROMPTS_FILE.exists() or PROMPTS_FILE.read_text(encoding="utf-8") != prompts):
            print("stale or missing:", PROMPTS_FILE.relative_to(ROOT))
            return 1
        stale = [
            name for name, (nb, _, _) in built.items()
            if not (destination / name).exists() or (destination / name).read_text(encoding="utf-8") != nbformat.writes(nb) + "\n"
        ]
        if stale:
            print("stale or missing in", destination, ":", ", ".join(stale))
            return 1
        return 0
    write(built, destination)
    if prompts is not None:
        PROMPTS_FILE.write_text(prompts, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
