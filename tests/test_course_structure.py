"""Keep the course honest: every notebook listed and checked, no stored errors, offline book.

These checks read files only; they do not execute notebooks (nbval does that) and do not build
the book (``make book`` does; the HTML checks run on its output).
"""

from __future__ import annotations

import ast
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HTML = ROOT / "_build" / "html"
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|coming soon|placeholder|lorem ipsum)\b", re.I)
# a path of the author's machine: /home/..., /Users/..., /root/..., /work/..., C:\\...
MACHINE_PATH = re.compile(r"(?<![\w:/.~-])(/(home|Users|root|work|tmp|mnt)/[\w.-]+|[A-Z]:\\\\[\w.-]+)")


def toc_files() -> set[str]:
    return set(re.findall(r"(?:file|root):\s*([\w./-]+)", (ROOT / "_toc.yml").read_text()))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no chapter"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_toc(path):
    stem = str(path.relative_to(ROOT).with_suffix(""))
    assert stem in toc_files(), f"{stem} is not listed in _toc.yml"


def test_toc_entries_exist():
    for entry in toc_files():
        matches = [p for p in ROOT.glob(entry + ".*") if p.suffix in {".md", ".ipynb"}]
        assert matches, f"_toc.yml lists {entry}, which has no .md or .ipynb file"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_checked_and_clean(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    tagged = [c for c in code if "nbval-check-output" in c.get("metadata", {}).get("tags", [])]
    asserted = [c for c in code if re.search(r"^\s*assert\b", "".join(c["source"]), re.M)]
    assert tagged, f"{path.name}: no cell tagged nbval-check-output"
    assert asserted, f"{path.name}: no cell asserts what the chapter teaches"
    for cell in tagged:
        assert cell.get("outputs"), f"{path.name}: a checked cell has no stored output to compare"
    # the Colab install cell (scripts/add_colab_cell.py, tagged colab-install) may come first
    lesson = [c for c in code if "colab-install" not in c.get("metadata", {}).get("tags", [])]
    first = "".join(lesson[0]["source"]) if lesson else ""
    assert "runtime.banner()" in first, f"{path.name}: the first code cell must print runtime.banner()"
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        assert not PLACEHOLDER.search(text), f"{path.name}: placeholder text {PLACEHOLDER.search(text).group(0)!r}"
        assert not MACHINE_PATH.search(text), f"{path.name}: a path of this machine: {MACHINE_PATH.search(text).group(0)}"
        tags = set(cell.get("metadata", {}).get("tags", []))
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert tags & {"raises-exception", "nbval-raises-exception"}, (
                    f"{path.name}: a stored error output ({out.get('ename')})"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_three_exercises(path):
    nb = json.loads(path.read_text())
    exercises = sum("".join(c["source"]).count("{exercise}") for c in nb["cells"] if c["cell_type"] == "markdown")
    assert exercises >= 3, f"{path.name}: {exercises} exercises, at least 3 expected"


def test_book_pages_have_no_placeholders():
    for page in (ROOT / "book").rglob("*.md"):
        text = page.read_text()
        assert not PLACEHOLDER.search(text), f"{page.name}: placeholder text"


def test_mathjax_and_widgets_are_served_locally():
    config = (ROOT / "_config.yml").read_text()
    assert re.search(r"mathjax_path:\s*mathjax/", config), "mathjax_path must point into the vendored folder"
    assert "nb_ipywidgets_js" in config and "widgets/embed.js" in config


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href") and {"stylesheet", "preload", "modulepreload"} & set((attrs.get("rel") or "").split()):
            self.urls.append(attrs["href"])


def built_pages() -> list[Path]:
    if not HTML.is_dir():
        if os.environ.get("CI"):
            pytest.fail("_build/html is missing: CI builds the book (make book) before the tests")
        pytest.skip("the book is not built; run `make book` first")
    return sorted(HTML.rglob("*.html"))


def test_built_html_loads_nothing_from_the_network():
    pages = built_pages()
    assert pages
    for page in pages:
        parser = _Assets()
        parser.feed(page.read_text(errors="replace"))
        remote = [u for u in parser.urls if re.match(r"(https?:)?//", u)]
        assert not remote, f"{page.relative_to(HTML)} loads {remote}"


def test_built_book_has_every_chapter_and_local_mathjax():
    pages = built_pages()
    names = {p.stem for p in pages}
    for nb in NOTEBOOKS:
        assert nb.stem in names, f"{nb.stem} has no page in the built book"
    assert (HTML / "_static" / "mathjax" / "tex-chtml-full.js").is_file()
    assert (HTML / "_static" / "widgets" / "embed.js").is_file()


def test_every_notebook_can_install_the_package_where_it_is_missing():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "add_colab_cell.py"), "--check", *map(str, NOTEBOOKS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- exercise conventions (issue 13): a solution is seen only by choice ------------------------

EXERCISE = re.compile(r"^\s*(`{3,}|:{3,})\{exercise\}", re.M)
EXERCISE_LABEL = re.compile(r"^\s*(`{3,}|:{3,})\{exercise\}[^\n]*\n(?:\s*:[\w-]+:[^\n]*\n)*?\s*:label:\s*(\S+)", re.M)
GATE_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}\s+(\S+)\s*\n:class:\s*dropdown\s*\n\1\s*$")
GATE_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}\s*\n\1\s*$")
CHECK = re.compile(r"\bquiz\.check\(\s*[\"'](\d{2}\.[\w-]+)[\"']")
# An open question (explain, compare, diagnose): an exercise with `:class: open-question`, whose
# gated solution block holds the model answer as Markdown only; no check follows it.
OPEN_QUESTION = re.compile(r"^\s*(`{3,}|:{3,})\{exercise\}[^\n]*\n(?:\s*:[\w-]+:[^\n]*\n)*?\s*:class:\s*open-question\b", re.M)


def _open_questions(path: Path) -> set[str]:
    """The labels of a notebook's open questions (exercises with ``:class: open-question``)."""
    found = set()
    for cell in _cells(path):
        if cell["cell_type"] == "markdown" and OPEN_QUESTION.search(cell["text"]):
            found.update(m.group(2) for m in EXERCISE_LABEL.finditer(cell["text"]))
    return found


def _cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        cell["text"] = "".join(cell["source"])
        cell["tagset"] = set(cell.get("metadata", {}).get("tags", []))
    return nb["cells"]


def _chapter(path: Path) -> str:
    return path.name[:2]


def _gate(cell: dict) -> tuple[str, str | None] | None:
    """("start", label) / ("end", None) for a gate marker cell, else None."""
    if cell["cell_type"] != "markdown":
        return None
    text = cell["text"].strip()
    if "{solution-start}" in text:
        found = GATE_START.match(text)
        assert found, (
            f"a solution-start cell must be exactly\n```{{solution-start}} ex-NN-name\n:class: dropdown\n```\n"
            f"(closed by default); found:\n{text}"
        )
        return "start", found.group(2)
    if "{solution-end}" in text:
        assert GATE_END.match(text), f"a solution-end cell must be exactly\n```{{solution-end}}\n```\nfound:\n{text}"
        return "end", None
    return None


def _blocks(path: Path) -> list[dict]:
    """The gated solution blocks of a notebook: label, the cells inside, the cell after the end."""
    cells = _cells(path)
    blocks, current = [], None
    for index, cell in enumerate(cells):
        gate = _gate(cell)
        if gate and gate[0] == "start":
            assert current is None, f"{path.name}: solution-start {gate[1]} opens inside the block of {current['label']}"
            current = {"label": gate[1], "start": index, "cells": []}
        elif gate:
            assert current is not None, f"{path.name}: a solution-end (cell {index}) closes no solution-start"
            current["end"] = index
            current["after"] = cells[index + 1] if index + 1 < len(cells) else None
            blocks.append(current)
            current = None
        elif current is not None:
            current["cells"].append(cell)
    assert current is None, f"{path.name}: the solution block of {current['label']} has no solution-end"
    return blocks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_are_labelled_per_chapter(path):
    chapter = _chapter(path)
    for cell in _cells(path):
        if cell["cell_type"] != "markdown" or not EXERCISE.search(cell["text"]):
            continue
        labels = [m.group(2) for m in EXERCISE_LABEL.finditer(cell["text"])]
        assert len(labels) == len(EXERCISE.findall(cell["text"])), (
            f"{path.name}: an exercise without `:label: ex-{chapter}-name` right after ```{{exercise}}:\n{cell['text'][:200]}"
        )
        for label in labels:
            assert re.fullmatch(rf"ex-{chapter}-[a-z0-9][a-z0-9-]*", label), (
                f"{path.name}: exercise label {label!r} should be ex-{chapter}-short-name (lowercase, '-')"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_exercise_has_one_gated_solution(path):
    cells = _cells(path)
    labels = [m.group(2) for c in cells if c["cell_type"] == "markdown" for m in EXERCISE_LABEL.finditer(c["text"])]
    blocks = _blocks(path)
    gated = [b["label"] for b in blocks]
    for label in labels:
        assert gated.count(label) == 1, (
            f"{path.name}: exercise {label} needs exactly one solution block, ```{{solution-start}} {label}``` "
            f"... ```{{solution-end}}```; found {gated.count(label)}"
        )
    stray = sorted(set(gated) - set(labels))
    assert not stray, f"{path.name}: solution blocks for exercises that do not exist: {stray}"
    for cell in cells:
        if cell["cell_type"] == "markdown" and re.search(r"^\s*(`{3,}|:{3,})\{solution\}", cell["text"], re.M):
            pytest.fail(
                f"{path.name}: a single ```{{solution}} block shows only prose and leaves the solution's code and "
                f"output outside the dropdown; make it a solution-tagged Markdown cell inside a "
                f"solution-start/solution-end block:\n{cell['text'][:200]}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solution_cells_are_tagged_and_inside_a_gate(path):
    for block in _blocks(path):
        assert block["cells"], f"{path.name}: the solution block of {block['label']} is empty"
        for cell in block["cells"]:
            assert "solution" in cell["tagset"], (
                f"{path.name}: in the solution of {block['label']}, a {cell['cell_type']} cell is not tagged "
                f"`solution` (the learner's edition keys on the tag):\n{cell['text'][:160]}"
            )
            assert not cell["tagset"] & {"hide-input", "hide-cell", "hide-output"}, (
                f"{path.name}: a solution cell of {block['label']} is tagged {sorted(cell['tagset'] & {'hide-input', 'hide-cell', 'hide-output'})}: "
                "the dropdown hides it already; remove the tag so the opened solution shows code and output"
            )
    positions = set()
    for block in _blocks(path):
        positions.update(range(block["start"] + 1, block["end"]))
    for index, cell in enumerate(_cells(path)):
        if "solution" in cell["tagset"]:
            assert index in positions, (
                f"{path.name}: cell {index} is tagged `solution` but lies outside every solution-start/solution-end "
                f"block, so the book shows it open:\n{cell['text'][:160]}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_check_cell_follows_the_solution_and_hides_its_verdict(path):
    open_questions = _open_questions(path)
    for block in _blocks(path):
        if block["label"] in open_questions:
            assert all(c["cell_type"] == "markdown" for c in block["cells"]), (
                f"{path.name}: the model answer of the open question {block['label']} is Markdown only (no code to run)"
            )
            continue
        after = block["after"]
        assert after is not None and after["cell_type"] == "code" and CHECK.search(after["text"]), (
            f"{path.name}: the cell right after the solution of {block['label']} must be its check, "
            'assert quiz.check("NN.name", answer)'
        )
    for cell in _cells(path):
        if cell["cell_type"] != "code" or not CHECK.search(cell["text"]):
            continue
        assert "remove-output" in cell["tagset"], (
            f"{path.name}: the check cell `{cell['text'].strip()[:80]}` must be tagged `remove-output`: the book "
            "shows its code and no verdict (nbval still runs it)"
        )
        assert re.search(r"^\s*assert\s+quiz\.check\(", cell["text"], re.M), (
            f"{path.name}: write the check as `assert quiz.check(...)` so that nbval fails on a wrong solution "
            f"(the learner's edition turns it into a plain check):\n{cell['text'][:160]}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_a_prediction_question(path):
    chapter = _chapter(path)
    checked = [m.group(1) for c in _cells(path) if c["cell_type"] == "code" for m in CHECK.finditer(c["text"])]
    assert any(q.startswith(f"{chapter}.predict-") for q in checked), (
        f"{path.name}: no prediction question; add at least one exercise checked by quiz.check(\"{chapter}.predict-...\", "
        "prediction) before the cell that computes the truth (predict, then run)"
    )


def _bound_and_used(source: str) -> tuple[set[str], set[str]]:
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set(), set()
    bound, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return bound, used


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_outside_a_solution_needs_a_solution_name(path):
    cells = _cells(path)
    inside, checks = set(), set()
    for block in _blocks(path):
        inside.update(range(block["start"] + 1, block["end"]))
        checks.add(block["end"] + 1)
    solution_names, public_names = set(), set()
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            bound, _ = _bound_and_used(cell["text"])
            (solution_names if index in inside else public_names).update(bound)
    only_solution = solution_names - public_names
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code" or index in inside or index in checks:
            continue
        _, used = _bound_and_used(cell["text"])
        needed = sorted(used & only_solution)
        assert not needed, (
            f"{path.name}: cell {index} uses {needed}, which only a solution cell defines; in the learner's "
            f"edition that is `...` and 'Run All' stops there. Compute it in an ordinary cell before the "
            f"exercise:\n{cell['text'][:160]}"
        )


NOTE_DIFF = re.compile(r"^\((note-diff-\d{2}-[a-z0-9-]+)\)=\s*$", re.M)
NOTE_DIFF_TITLE = "노트와 논문이 다른 점 (where the note and the paper differ)"


def _note_diff_boxes() -> dict[str, str]:
    """Every note-vs-paper box of the chapters: its label -> the notebook that holds it."""
    boxes = {}
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "markdown":
                continue
            for match in NOTE_DIFF.finditer(source):
                after = source[match.end() : match.end() + 300]
                assert NOTE_DIFF_TITLE in after, (
                    f"{path.name}: the target ({match.group(1)})= must stand right before an admonition "
                    f"titled '{NOTE_DIFF_TITLE}'"
                )
                boxes[match.group(1)] = path.name
    return boxes


def test_every_note_vs_paper_box_is_linked_from_the_preface():
    boxes = _note_diff_boxes()
    assert len(boxes) >= 10, f"only {len(boxes)} boxes where a note and the paper differ"
    preface = (ROOT / "book" / "preface.md").read_text()
    missing = [f"{label} ({name})" for label, name in boxes.items() if f"<{label}>" not in preface]
    assert not missing, (
        "the preface's note-to-chapter table must link these boxes in its column 'where the note and "
        f"the paper differ': {missing}"
    )
    dangling = set(re.findall(r"<(note-diff-[a-z0-9-]+)>", preface)) - set(boxes)
    assert not dangling, f"the preface links boxes that no chapter holds: {sorted(dangling)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_open_questions(path):
    count = len(_open_questions(path))
    assert count >= 2, (
        f"{path.name}: {count} open question(s); each chapter asks two or three (explain, compare, diagnose): an "
        "```{exercise} with `:class: open-question`, then its model answer as solution-tagged Markdown in a gated "
        "solution-start/solution-end block, with no check after it"
    )
