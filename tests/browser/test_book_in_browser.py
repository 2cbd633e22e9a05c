"""The built book as a reader sees it: headless Chromium on the HTML served from 127.0.0.1.

Run with ``make test-browser`` (installs Chromium, a Korean font and Playwright, builds the book,
then runs this folder). Each page is loaded once (see ``conftest.visit``) and the tests below
assert on what that load showed. Screenshots of three key pages go to ``_build/screenshots/``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import matplotlib.image
import pytest
from book_site import (
    PAGE_TIMEOUT_MS,
    SCREENSHOTS,
    WIDGET_STATE,
    built_html,
    korean_font_families,
    open_page,
    page_text,
    pages,
    toc_files,
    wait_until_ready,
)

PAGES = pages()
MATH_PAGES = [p for p in PAGES if 'class="math' in page_text(p)]
IMAGE_PAGES = [p for p in PAGES if "<img" in page_text(p)]
WIDGET_PAGES = [p for p in PAGES if WIDGET_STATE in page_text(p)]
KOREAN_PAGES = [p for p in PAGES if re.search("[\uac00-\ud7a3]", page_text(p))]
SLIDER_MODEL = re.compile(r"(Int|Float|FloatLog|IntRange|FloatRange|Selection|SelectionRange)SliderModel$")

OVERLAP_TILE = "notebooks/06_overlap_tile"


def _params(selected: list[str], what: str) -> list[Any]:
    """Parametrize over ``selected``; one skipping case when the list is empty, with the reason."""
    if selected:
        return selected
    reason = f"no page of the built book {what} (is the book built? `make book`)"
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="none")]


def test_the_book_is_built():
    built_html()
    assert PAGES, "_build/html holds no page"
    assert "book/preface.html" in PAGES


@pytest.mark.parametrize("page", _params(PAGES, "exists"))
def test_page_loads_without_errors_or_remote_requests(visits, page):
    seen = visits[page]
    assert not seen.page_errors, f"{page}: uncaught JavaScript errors: {seen.page_errors}"
    assert not seen.console_errors, f"{page}: console errors: {seen.console_errors}"
    assert not seen.remote_requests, f"{page}: requests to other hosts: {seen.remote_requests}"
    assert not seen.failed_requests, f"{page}: failed requests: {seen.failed_requests}"


@pytest.mark.parametrize("page", _params(IMAGE_PAGES, "has an image"))
def test_every_image_loads(visits, page):
    seen = visits[page]
    assert seen.images, f"{page}: the HTML has <img> but the browser found none"
    broken = [img["src"] for img in seen.images if img["naturalWidth"] <= 0]
    assert not broken, f"{page}: images that did not load: {broken}"


def test_chapter_one_has_math():
    """Keeps the MathJax test below from passing on a book without math."""
    assert "notebooks/01_segmentation_basics.html" in MATH_PAGES


@pytest.mark.parametrize("page", _params(MATH_PAGES, "has math"))
def test_math_is_typeset_by_mathjax(visits, page):
    math = visits[page].math
    assert math["elements"] > 0, f"{page}: the HTML has math but the browser found no .math element"
    assert math["typeset"] == math["elements"], (
        f"{page}: MathJax typeset {math['typeset']} of {math['elements']} math elements "
        "(is book/_vendor/mathjax served? `make vendor`)"
    )
    assert math["containers"] >= math["elements"]
    assert not math["errors"], f"{page}: TeX errors: {math['errors']}"


def _slider_models(page: str) -> int:
    states = re.findall(
        r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', page_text(page), re.S
    )
    models = [m for s in states for m in json.loads(s).get("state", {}).values()]
    return sum(bool(SLIDER_MODEL.search(m.get("model_name", ""))) for m in models)


@pytest.mark.parametrize(
    "page",
    WIDGET_PAGES
    or [pytest.param(None, marks=pytest.mark.skip(reason="no page embeds widget state yet"), id="none")],
)
def test_embedded_widgets_render_sliders(visits, page):
    widgets = visits[page].widgets
    assert widgets["views"] > 0, f"{page}: widget state is embedded but no widget view is placed on the page"
    assert widgets["rendered"] == widgets["views"], (
        f"{page}: the widget manager rendered {widgets['rendered']} of {widgets['views']} widget views "
        "(is book/_vendor/widgets/embed.js served?)"
    )
    if _slider_models(page):
        assert widgets["visibleSliders"] > 0, f"{page}: the state holds sliders but none is drawn"


SEARCHES = [
    # (query, the chapter that must be found once it is in the toc)
    ("overlap-tile", OVERLAP_TILE),
    ("segmentation", "notebooks/01_segmentation_basics"),
]


@pytest.mark.parametrize(("query", "chapter"), SEARCHES, ids=[q for q, _ in SEARCHES])
def test_search_page_finds(browser, site, query, chapter):
    tab = browser.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        tab.goto(f"{site}/search.html?q={query}", wait_until="load", timeout=PAGE_TIMEOUT_MS)
        tab.wait_for_function(
            """() => {
              const s = document.querySelector("#search-results .search-summary");
              return s && /finished|did not match/.test(s.textContent);
            }""",
            timeout=PAGE_TIMEOUT_MS,
        )
        hits = tab.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.getAttribute('href'))")
    finally:
        tab.close()
    pages_found = {h.split("?")[0].split("#")[0].removesuffix(".html") for h in hits}
    assert pages_found, f"searching {query!r} found nothing"
    if chapter in toc_files():
        assert chapter in pages_found, f"searching {query!r} found {sorted(pages_found)}, not {chapter}"
    missing = [found for found in pages_found if found + ".html" not in PAGES]
    assert not missing, f"searching {query!r} links to pages the book does not have: {missing}"


@pytest.mark.parametrize("page", _params(KOREAN_PAGES, "has Korean text"))
def test_korean_text_renders_with_a_korean_font(visits, page):
    families = korean_font_families()
    assert families, "no font that covers Korean is installed (fontconfig's fc-list :lang=ko): `make browser-deps`"
    probe = visits[page].hangul
    assert probe is not None, f"{page}: the HTML has Hangul but no visible element shows it"
    # Chromium reports, per platform font, how many glyphs it drew for the element's text
    korean_glyphs = sum(f["glyphCount"] for f in probe["fonts"] if f["familyName"] in families)
    assert korean_glyphs >= probe["letters"], (
        f"{page}: {probe['letters']} Hangul letters in {probe['text']!r} but only {korean_glyphs} glyphs "
        f"from a Korean font; fonts used: {probe['fonts']}"
    )


def _screenshot_pages() -> list[tuple[str, str]]:
    third = OVERLAP_TILE if OVERLAP_TILE in toc_files() else "book/glossary"
    return [
        ("book/preface", "preface"),
        ("notebooks/01_segmentation_basics", "01_segmentation_basics"),
        (third, Path(third).name),
    ]


@pytest.mark.parametrize(("page", "name"), _screenshot_pages(), ids=[n for _, n in _screenshot_pages()])
def test_screenshot_of_key_page(browser, site, page, name):
    """Saves _build/screenshots/NAME.png: the top of the page, 1280 px wide, math typeset."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    target.unlink(missing_ok=True)
    tab = open_page(browser, site, f"{page}.html")
    try:
        title = tab.title()
        # A full-page capture resizes the viewport and catches the sidebars mid-transition (the page
        # came out shifted left); a tall viewport with animations finished draws the layout a reader sees.
        tab.set_viewport_size({"width": 1280, "height": 1800})
        tab.screenshot(path=str(target), animations="disabled")
    finally:
        tab.close()
    assert target.is_file() and target.stat().st_size > 20_000, f"{target} is missing or nearly empty"
    pixels = matplotlib.image.imread(target)
    assert pixels.shape[:2] == (1800, 1280)
    assert pixels[..., :3].std() > 0.05, f"{target} is blank"
    expected = re.search(r"<title>(.*?)</title>", page_text(page + ".html"), re.S).group(1)
    assert title == html.unescape(expected.strip()), f"{target} shows {title!r}, not {page}"


PHONE = {"width": 390, "height": 844}
ARTICLE_PAGES = [p for p in PAGES if "<article" in page_text(p)]
# what may be wider than the phone: it scrolls inside its own box (a code cell, a wide table)
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
    if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  const wide = Array.from(document.querySelectorAll("article *")).filter((el) => {
    const box = el.getBoundingClientRect(); return box.width > 0 && box.right > width + 1 && !scrolls(el); });
  return {page: document.documentElement.scrollWidth, width,
          what: wide.slice(0, 3).map((el) => el.tagName.toLowerCase() + " " + (el.textContent || "").trim().slice(0, 50))};
}"""


@pytest.mark.parametrize("page", _params(ARTICLE_PAGES, "has an article"))
def test_page_fits_a_phone_without_sideways_scrolling(browser, site, page):
    """At 390 px the page scrolls down only: a long inline name or heading wraps (course.css)."""
    tab = browser.new_page()
    try:
        tab.set_default_timeout(PAGE_TIMEOUT_MS)
        tab.set_viewport_size(PHONE)
        tab.goto(f"{site}/{page}", wait_until="load")
        wait_until_ready(tab, page_text(page))
        found = tab.evaluate(OVERFLOW_JS)
    finally:
        tab.close()
    assert found["page"] <= found["width"] + 1 and not found["what"], (
        f"{page}: on a {PHONE['width']} px phone the page is {found['page']} px wide; too wide: {found['what']}")
