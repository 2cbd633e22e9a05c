"""Checks of the built HTML that need no browser: figures described, headings in order, the
download and launch buttons on every chapter. They run in ``make test`` and ``make test-browser``.

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
from book_site import HTML, ROOT, built_html, page_text, pages, toc_files

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


def launch_config() -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]
    owner_repo = re.sub(r"^https://github\.com/|/$|\.git$", "", repo["url"])
    return {"owner_repo": owner_repo, "branch": repo.get("branch", "main"), **config["launch_buttons"]}


@pytest.mark.parametrize("chapter", CHAPTERS or [pytest.param(None, marks=pytest.mark.skip(reason="no chapter yet"))])
def test_chapter_has_download_and_launch_buttons(chapter):
    built_html()
    page = f"{chapter}.html"
    assert (HTML / page).is_file(), f"{chapter} is in _toc.yml but not in the built book: rebuild it (make book)"
    links = {a.get("href", "") for a in soup(page).find_all("a")}
    notebook = f"{chapter}.ipynb"
    source = f"_sources/{notebook}"
    assert any(link.endswith(source) for link in links), f"{page}: no download link to {source}"
    assert (HTML / source).is_file(), f"the download link of {page} points to a missing {source}"
    cfg = launch_config()
    binder = f"{cfg['binderhub_url'].rstrip('/')}/v2/gh/{cfg['owner_repo']}/{cfg['branch']}?urlpath=lab/tree/{notebook}"
    colab = f"{cfg['colab_url'].rstrip('/')}/github/{cfg['owner_repo']}/blob/{cfg['branch']}/{notebook}"
    assert cfg["binderhub_url"] and binder in links, f"{page}: no Binder button to {binder}"
    assert cfg["colab_url"] and colab in links, f"{page}: no Colab button to {colab}"
