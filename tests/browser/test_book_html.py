"""Checks of the built HTML that need no browser: figures described, headings in order, the
download and launch buttons on every chapter, links to a repository only when one is named. They run in ``make test`` and ``make test-browser``.

A figure is described when its ``<img>`` has alt text (not just the image's file name, which is
what myst-nb writes by default) or when it sits in a ``<figure>`` with a caption. CONTRIBUTING.md
("Figures: alt text and captions") says how a notebook cell gives its output image either.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest
import yaml
from bs4 import BeautifulSoup
from book_site import HTML, KOREAN_EDITION, ROOT, built_html, page_text, pages, toc_files

PAGES = pages()
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
CHAPTERS = sorted(f for f in toc_files() if f.startswith("notebooks/") and (ROOT / f"{f}.ipynb").is_file())


def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup(page_text(page), "html.parser")


def _undescribed(img) -> bool:
    alt = (img.get("alt") or "").strip()
    src = img.get("src") or ""
    figure = img.find_parent("figure")
    if figure is not None:
        caption = figure.find("figcaption")
        if caption is not None and caption.get_text(strip=True):
            return False
    if not alt:
        return True
    # myst-nb and the figure directive fall back to the image's path as its alt text
    return alt == src or PurePosixPath(alt).name == PurePosixPath(src).name or alt.lower().endswith(IMAGE_SUFFIXES)


def test_pages_are_built():
    built_html()
    assert PAGES


@pytest.mark.parametrize("page", PAGES or [pytest.param(None, marks=pytest.mark.skip(reason="book not built"))])
def test_every_image_has_alt_text_or_a_caption(page):
    missing = [img.get("src") for img in soup(page).find_all("img") if _undescribed(img)]
    assert not missing, (
        f"{page}: {len(missing)} image(s) without alt text or caption: {missing[:5]}; give the cell "
        "metadata mystnb.image.alt or mystnb.figure.caption (CONTRIBUTING.md, Figures)"
    )


def heading_levels(page: str) -> list[tuple[int, str]] | None:
    article = soup(page).find("article")
    if article is None:
        return None
    return [
        (int(h.name[1]), h.get_text(" ", strip=True).rstrip("#").strip())
        for h in article.find_all(re.compile(r"^h[1-6]$"))
    ]


@pytest.mark.parametrize("page", PAGES or [pytest.param(None, marks=pytest.mark.skip(reason="book not built"))])
def test_headings_are_in_order(page):
    levels = heading_levels(page)
    if levels is None:
        pytest.skip(f"{page} has no article (a redirect or the search page)")
    assert levels, f"{page}: no heading"
    assert levels[0][0] == 1, f"{page}: the first heading is h{levels[0][0]} ({levels[0][1]!r}), not h1"
    titles = [text for level, text in levels if level == 1]
    assert len(titles) == 1, f"{page}: {len(titles)} top-level headings {titles}; a page has one title"
    for (before, _), (level, text) in zip(levels, levels[1:]):
        assert level <= before + 1, f"{page}: h{before} is followed by h{level} ({text!r}); a level is skipped"


def book_repository() -> str | None:
    """The repository the book was built to link to: UNET_COURSE_REPOSITORY, read as the build
    reads it (book/_ext/repository_links.py); None when unset. Build and test with the same value."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("repository_links", ROOT / "book" / "_ext" / "repository_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.repository_from_environment()


def launch_config() -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository = book_repository()
    owner_repo = re.sub(r"^https://github\.com/", "", repository) if repository else None
    return {"owner_repo": owner_repo, "branch": config["repository"].get("branch", "main"), **config["launch_buttons"]}


# The repository the book once named does not exist: no page may link to it, and
# without UNET_COURSE_REPOSITORY no page links to a repository, Binder or Colab at all
PLACEHOLDER_REPOSITORY = "unet-course/unet-course"
LAUNCH_HOSTS = ("mybinder.org", "colab.research.google.com")


def test_pages_link_to_a_repository_only_when_one_is_named():
    built_html()
    repository = book_repository()
    bad: dict[str, list[str]] = {}
    for page in PAGES:
        hrefs = [a.get("href", "") for a in soup(page).find_all("a")]
        wrong = [h for h in hrefs if PLACEHOLDER_REPOSITORY in h and not (repository and repository in h)]
        if repository is None:
            wrong += [h for h in hrefs if "github.com" in h or any(host in h for host in LAUNCH_HOSTS)]
        if wrong:
            bad[page] = sorted(set(wrong))[:3]
    assert not bad, (
        f"{len(bad)} page(s) link to a repository the book was not given "
        f"(UNET_COURSE_REPOSITORY={repository!r}; rebuild with the same value): {dict(list(bad.items())[:5])}")


CHAPTER_PARAMS = CHAPTERS or [pytest.param(None, marks=pytest.mark.skip(reason="no chapter yet"))]
VERDICT = re.compile(r"\[\d{2}\.[\w-]+\] (?:Correct|Not yet|Not answered yet)|\u2705|\u274c")


@pytest.mark.parametrize("chapter", CHAPTER_PARAMS)
def test_chapter_downloads_and_launches_the_learners_notebook(chapter):
    """The download button serves the learner's notebook (made during the build), the full one is
    one labelled link away, and Binder and Colab (shown only with UNET_COURSE_REPOSITORY) open the
    committed learner/ copy."""
    import nbformat

    built_html()
    page = f"{chapter}.html"
    assert (HTML / page).is_file(), f"{chapter} is in _toc.yml but not in the built book: rebuild it (make book)"
    anchors = soup(page).find_all("a")
    links = {a.get("href", "") for a in anchors}
    stem = chapter.split("/", 1)[1]
    source = f"_sources/{chapter}.ipynb"
    full = f"_sources/{chapter}.with-solutions.ipynb"
    assert any(link.endswith(source) for link in links), f"{page}: no download link to {source}"
    assert (HTML / source).is_file(), f"the download link of {page} points to a missing {source}"
    learner = nbformat.read(HTML / source, as_version=4)
    assert learner.metadata.get("unet_course_edition") == "learner", (
        f"{source} (the download button) is not the learner's edition: is book/_ext/learner_edition.py in _config.yml?"
    )
    assert not any("solution" in c.metadata.get("tags", []) for c in learner.cells), f"{source} holds a solution cell"
    full_links = [a for a in anchors if (a.get("href") or "").endswith(full)]
    assert full_links and (HTML / full).is_file(), f"{page}: no working link to the full notebook {full}"
    assert "solutions" in full_links[0].get_text(" ", strip=True).lower(), f"{page}: the full notebook's link does not say so"
    cfg = launch_config()
    notebook = f"learner/{stem}.ipynb"
    if cfg["owner_repo"] is None:  # no UNET_COURSE_REPOSITORY: no launch buttons (the downloads stay)
        launches = [link for link in links if any(host in link for host in LAUNCH_HOSTS)]
        assert not launches, f"{page}: launch buttons without UNET_COURSE_REPOSITORY: {launches}"
        return
    binder = f"{cfg['binderhub_url'].rstrip('/')}/v2/gh/{cfg['owner_repo']}/{cfg['branch']}?urlpath=lab/tree/{notebook}"
    colab = f"{cfg['colab_url'].rstrip('/')}/github/{cfg['owner_repo']}/blob/{cfg['branch']}/{notebook}"
    assert cfg["binderhub_url"] and binder in links, f"{page}: no Binder button to the learner's notebook {binder}"
    assert cfg["colab_url"] and colab in links, f"{page}: no Colab button to the learner's notebook {colab}"
    assert (ROOT / notebook).is_file(), f"Binder and Colab open {notebook}, which is not in the repository: make student"
    assert not any(f"/{chapter}.ipynb" in link for link in links if link.startswith("http")), (
        f"{page}: a launch link still opens the full notebook {chapter}.ipynb"
    )


def solution_leaks(page: str) -> dict[str, list[str]]:
    """What the HTML of ``page`` shows of its solutions outside a collapsed dropdown.

    ``outputs``: outputs of solution cells outside a ``solution dropdown``; ``cells``: solution
    cells outside one; ``verdicts``: stored check verdicts anywhere on the page; ``open``:
    solution admonitions that are not dropdowns (shown open)."""
    tree = soup(page)
    article = tree.find("article") or tree
    leaks: dict[str, list[str]] = {"outputs": [], "cells": [], "verdicts": [], "open": []}
    for cell in article.select("div.cell.tag_solution"):
        gate = cell.find_parent("div", class_="solution")
        if gate is None or "dropdown" not in gate.get("class", []):
            leaks["cells"].append(cell.get_text(" ", strip=True)[:80])
            leaks["outputs"] += [o.get_text(" ", strip=True)[:80] for o in cell.select("div.cell_output")]
    for box in article.select("div.solution"):
        if "dropdown" not in box.get("class", []):
            leaks["open"].append(box.get("id", "?"))
    for cell in article.select("div.cell"):
        source = cell.select_one("div.cell_input")
        if source is not None and "quiz.check(" in source.get_text():
            leaks["verdicts"] += [o.get_text(" ", strip=True)[:80] for o in cell.select("div.cell_output")]
    leaks["verdicts"] += VERDICT.findall(article.get_text(" "))
    return leaks


@pytest.mark.parametrize("edition", ["", f"{KOREAN_EDITION}/"], ids=["en", "ko"])
@pytest.mark.parametrize("chapter", CHAPTER_PARAMS)
def test_chapter_shows_no_solution_and_no_verdict(chapter, edition):
    """Solutions (code, output, explanation) only inside a collapsed dropdown; checks show their
    code and no verdict: in the English book and in the Korean one built from the same sources."""
    built_html()
    if not (HTML / f"{edition}{chapter}.html").is_file():
        pytest.skip(f"{edition}{chapter}.html is not built")
    chapter = f"{edition}{chapter}"
    leaks = solution_leaks(f"{chapter}.html")
    assert not leaks["cells"], f"{chapter}: solution cells outside a solution dropdown: {leaks['cells'][:3]}"
    assert not leaks["outputs"], f"{chapter}: solution outputs on the page: {leaks['outputs'][:3]}"
    assert not leaks["open"], f"{chapter}: solutions shown open (give them `:class: dropdown`): {leaks['open'][:3]}"
    assert not leaks["verdicts"], (
        f"{chapter}: check verdicts on the page (tag the check cell `remove-output`): {leaks['verdicts'][:3]}"
    )
