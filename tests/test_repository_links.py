"""The book's repository and launch buttons follow one setting, UNET_COURSE_REPOSITORY
(book/_ext/repository_links.py): unit tests of the rule, and a one-page Sphinx build with the
theme options Jupyter Book makes from the real _config.yml, with and without the setting."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "https://github.com/unet-course/unet-course"  # the repository the book once named: it does not exist
SPEC = importlib.util.spec_from_file_location("repository_links", ROOT / "book" / "_ext" / "repository_links.py")
links = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(links)


def book_theme_options() -> dict:
    """html_theme_options as Jupyter Book makes them from _config.yml (before the extension)."""
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(user_yaml=ROOT / "_config.yml", cli_config={"latex_individualpages": False},
                                 sourcedir=ROOT, raise_on_invalid=True)
    assert "repository_links" in config["extensions"], "_config.yml does not load book/_ext/repository_links.py"
    return config["html_theme_options"]


@pytest.mark.parametrize("value", [None, "", "   "])
def test_unset_means_no_repository(value):
    environ = {} if value is None else {links.SETTING: value}
    assert links.repository_from_environment(environ) is None


@pytest.mark.parametrize("value", [
    "https://github.com/someone/unet-course",
    "https://github.com/someone/unet-course/",
    "https://github.com/someone/unet-course.git",
    "  https://github.com/someone/unet-course  ",
])
def test_repository_url_is_normalised(value):
    assert links.repository_from_environment({links.SETTING: value}) == "https://github.com/someone/unet-course"


@pytest.mark.parametrize("value", [
    "github.com/someone/unet-course",
    "http://github.com/someone/unet-course",
    "https://gitlab.com/someone/unet-course",
    "https://github.com/someone",
    "https://github.com/someone/unet-course/tree/main",
    "someone/unet-course",
])
def test_a_value_that_is_no_github_repository_is_refused(value):
    with pytest.raises(ValueError) as error:
        links.repository_from_environment({links.SETTING: value})
    message = str(error.value)
    assert links.SETTING in message and repr(value.strip()) in message and "https://github.com/OWNER/NAME" in message


def test_the_book_config_has_no_repository_by_default():
    options = links.repository_theme_options(book_theme_options(), None)
    assert options["repository_url"] == ""
    assert not any(options[button] for button in links.REPOSITORY_BUTTONS)
    assert not any(key in options["launch_buttons"] for key in links.LAUNCH_PROVIDERS), options["launch_buttons"]
    assert options["launch_buttons"]["notebook_interface"] == "jupyterlab"
    assert PLACEHOLDER not in json.dumps(options)


def test_the_setting_turns_the_buttons_on():
    before = book_theme_options()
    options = links.repository_theme_options(before, "https://github.com/someone/unet-course")
    assert options["repository_url"] == "https://github.com/someone/unet-course" and options["use_repository_button"]
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert options["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert options["repository_branch"] == "main"
    assert not before.get("repository_url"), "_config.yml names no repository (the setting does), and the input is not modified"


# --- the real theme: a one-page book (a Markdown page and a notebook) built with Sphinx -----------

def _build(tmp_path: Path, repository: str | None) -> subprocess.CompletedProcess:
    source = tmp_path / "src"
    source.mkdir()
    (source / "index.md").write_text("# Home\n\n```{toctree}\nchapter\n```\n", encoding="utf-8")
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# A chapter\n\nText."}],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (source / "chapter.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (source / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_nb', 'sphinx_book_theme', 'repository_links']\n"
        "html_theme = 'sphinx_book_theme'\n"
        f"html_theme_options = {book_theme_options()!r}\n"
        "nb_execution_mode = 'off'\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != links.SETTING}
    if repository is not None:
        env[links.SETTING] = repository
    return subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(source), str(tmp_path / "html")],
                          capture_output=True, text=True, env=env, timeout=120)


def _hrefs(html: str) -> list[str]:
    from bs4 import BeautifulSoup

    return [a.get("href", "") for a in BeautifulSoup(html, "html.parser").find_all("a")]


def test_built_pages_link_to_no_repository_by_default(tmp_path):
    result = _build(tmp_path, None)
    assert result.returncode == 0, result.stderr[-2000:]
    for page in ("index.html", "chapter.html"):
        html = (tmp_path / "html" / page).read_text(encoding="utf-8")
        assert "github.com" not in html, f"{page} links to GitHub without {links.SETTING}"
        assert "unet-course/unet-course" not in html, f"{page} names the repository the book once named (it does not exist)"
        assert "mybinder" not in html and "colab.research" not in html, f"{page} has a launch button without {links.SETTING}"
    chapter = _hrefs((tmp_path / "html" / "chapter.html").read_text(encoding="utf-8"))
    assert any(h.endswith("_sources/chapter.ipynb") for h in chapter), "the download button is gone"


def test_built_pages_link_to_the_named_repository(tmp_path):
    result = _build(tmp_path, "https://github.com/someone/unet-course")
    assert result.returncode == 0, result.stderr[-2000:]
    chapter = _hrefs((tmp_path / "html" / "chapter.html").read_text(encoding="utf-8"))
    assert "https://github.com/someone/unet-course" in chapter, "no repository button"
    assert "https://mybinder.org/v2/gh/someone/unet-course/main?urlpath=lab/tree/chapter.ipynb" in chapter, chapter
    assert "https://colab.research.google.com/github/someone/unet-course/blob/main/chapter.ipynb" in chapter, chapter
    assert not any(PLACEHOLDER in h for h in chapter)


def test_a_bad_setting_stops_the_build(tmp_path):
    result = _build(tmp_path, "https://example.org/unet-course")
    assert result.returncode != 0
    assert links.SETTING in result.stderr and "https://github.com/OWNER/NAME" in result.stderr, result.stderr[-2000:]


# --- the same setting names the repository in the notebooks' install cell and the learner's note ----

def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_install_cell_and_learner_note_follow_the_setting(monkeypatch):
    colab, student = _script("add_colab_cell"), _script("make_student")
    monkeypatch.delenv(links.SETTING, raising=False)
    url, branch = colab.repository()
    assert url is None and branch == "main"
    cell = colab.cell_source(url, branch)
    assert "pip install" not in cell.replace("'pip install -e .'", ""), "no repository named: the cell installs nothing"
    assert "raise ImportError" in cell and "github.com" not in cell
    note = student.full_notebook_link(ROOT / "notebooks" / "01_segmentation_basics.ipynb")
    assert note == "`notebooks/01_segmentation_basics.ipynb` in the course repository", note

    monkeypatch.setenv(links.SETTING, "https://github.com/someone/unet-course")
    url, branch = colab.repository()
    assert colab.cell_source(url, branch).count('git+https://github.com/someone/unet-course@main') == 1
    note = student.full_notebook_link(ROOT / "notebooks" / "01_segmentation_basics.ipynb")
    assert "(https://github.com/someone/unet-course/blob/main/notebooks/01_segmentation_basics.ipynb)" in note


def test_committed_notebooks_name_no_repository():
    for path in sorted(ROOT.glob("notebooks/**/*.ipynb")) + sorted(ROOT.glob("learner/**/*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert "unet-course/unet-course" not in text, f"{path.relative_to(ROOT)} names a repository that does not exist"
