"""Keep the course honest: every notebook listed and checked, no stored errors, offline book.

These checks read files only; they do not execute notebooks (nbval does that) and do not build
the book (``make book`` does; the HTML checks run on its output).
"""

from __future__ import annotations

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
