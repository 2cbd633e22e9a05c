"""The Korean book (``_build/html/ko``, built by ``make book`` from ``locales/ko``).

Checks of the HTML (no browser): every English page has its Korean counterpart; no Korean page's
prose is mostly English (code cells and their outputs, which stay English, left out); every page
of either book links to the same page of the other. In headless Chromium: the Korean text is drawn
in the Korean font of ``course.css``; the language switch works both ways; the Korean search finds
a Korean word (오버랩 → chapter 06); screenshots of three Korean pages go to
``_build/screenshots/ko-*.png``.

The other tests of this folder run over every page of both books (``book_site.pages()``): pages
load offline with no remote request, images load, math is typeset, Korean text has a Korean
font. The checks of chapters (downloads, solutions folded) and the English searches look at the
English book only.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

import matplotlib.image
import pytest
from bs4 import BeautifulSoup
from book_site import (
    HTML,
    KOREAN_EDITION,
    PAGE_TIMEOUT_MS,
    SCREENSHOTS,
    english_pages,
    hangul_fonts,
    korean_font_families,
    korean_pages,
    open_page,
    page_text,
)

HANGUL = re.compile("[\uac00-\ud7a3]")
LATIN = re.compile("[A-Za-z]")
EN_PAGES = [p for p in english_pages() if p not in ("genindex.html", "search.html")]
KO_PAGES = korean_pages()
KO_ARTICLES = [p for p in KO_PAGES if "<article" in page_text(p) and not p.endswith(("/genindex.html", "/search.html"))]
PREFACE, OVERLAP_TILE, QUIZ = "book/preface", "notebooks/06_overlap_tile", "notebooks/10_quiz_review"
# prose that is not translated: code, its outputs, math, the switch itself; tables hold the
# glossary's and the preface's English columns by design
NOT_PROSE = ".cell_output, .cell_input, pre, code, .math, nav.language-switch, script, style, table"
MIN_LETTERS = 20  # a block shorter than this (a label, a number) says nothing about its language


def _params(selected: list[str], what: str) -> list[Any]:
    if selected:
        return selected
    return [pytest.param(None, marks=pytest.mark.skip(reason=f"no page {what} (is the book built? `make book`)"), id="none")]


def ko(page: str) -> str:
    return f"{KOREAN_EDITION}/{page}"


def prose_blocks(page: str) -> list[str]:
    """The text of the article's paragraphs, headings and captions, without code and outputs."""
    article = BeautifulSoup(page_text(page), "html.parser").find("article")
    if article is None:
        return []
    for element in article.select(NOT_PROSE):
        element.decompose()
    blocks = (e.get_text(" ", strip=True) for e in article.find_all(["p", "h1", "h2", "h3", "h4", "figcaption"]))
    return [b for b in blocks if len(LATIN.findall(b)) + len(HANGUL.findall(b)) >= MIN_LETTERS]


def test_the_korean_book_is_built():
    assert (HTML / "index.html").is_file(), "the book is not built: `make book`"
    assert (HTML / KOREAN_EDITION / "index.html").is_file(), (
        f"_build/html/{KOREAN_EDITION} is missing: `make book` builds the Korean book after the English one")


@pytest.mark.parametrize("page", _params(EN_PAGES, "in the English book"))
def test_every_english_page_has_a_korean_counterpart(page):
    target = HTML / ko(page)
    assert target.is_file(), f"{page} has no Korean counterpart {ko(page)}"
    if "<html" in page_text(ko(page)):  # index.html is a bare redirect to the preface
        assert re.search(r'<html[^>]*\blang="ko"', page_text(ko(page))), f"{ko(page)} is not marked lang=\"ko\""


@pytest.mark.parametrize("page", _params([p for p in KO_ARTICLES if p.endswith(f"{PREFACE}.html")], "preface in the Korean book"))
def test_korean_book_title_is_korean(page):
    """The site's title (in <title>) and the sidebar's title (sphinx-book-theme's logo text) are the
    Korean book's (scripts/build_book.py, TITLES), not _config.yml's English title."""
    soup = BeautifulSoup(page_text(page), "html.parser")
    sidebar = soup.select_one(".logo__title")
    assert sidebar is not None and HANGUL.search(sidebar.get_text()), f"{page}: the sidebar's title is not Korean: {sidebar}"
    assert HANGUL.search(soup.title.get_text().split("—")[-1]), f"{page}: the site title in <title> is not Korean: {soup.title}"
    assert "image segmentation from FCN" not in soup.title.get_text() + sidebar.get_text()


@pytest.mark.parametrize("page", _params(KO_ARTICLES, "in the Korean book"))
def test_no_korean_page_is_mostly_english(page):
    blocks = prose_blocks(page)
    english = [b for b in blocks if not HANGUL.search(b)]
    assert len(english) * 2 <= len(blocks), (
        f"{page}: {len(english)} of {len(blocks)} paragraphs have no Korean (untranslated or stale "
        f"catalog entries? `python scripts/translation_status.py --list`); the first: {english[0][:120]!r}")


# an emphasis marker that Markdown did not turn into <em>/<strong> (a list item started inside an
# italic paragraph, "**굵게**" closed after punctuation and before Hangul, which CommonMark does
# not close): a star beside a letter; "1*1" and "2*2" (notes' quotations) have digits on both sides
STRAY_STAR = re.compile(r"(?:^|[\s(“\"])\*+[^\s*\d]|[^\s*\d]\*+(?:$|[\s.,;:)”\"]|[\uac00-\ud7a3])")


@pytest.mark.parametrize("page", _params([p for p in EN_PAGES + KO_ARTICLES if "<article" in page_text(p)], "built"))
def test_no_markdown_emphasis_is_left_as_stars(page):
    article = BeautifulSoup(page_text(page), "html.parser").find("article")
    for element in article.select(NOT_PROSE.replace(", table", "") + ", .answer-box"):
        element.decompose()
    found = [m.group(0) for block in article.find_all(["p", "li", "h1", "h2", "h3", "td", "figcaption"])
             for m in STRAY_STAR.finditer(block.get_text(""))]
    assert not found, (f"{page}: Markdown emphasis left as literal stars {found[:5]}: a line of the paragraph "
                       "starts like a list item, or bold closes after punctuation right before Hangul "
                       "(write **굵게**(English), not **굵게(English)**)")


@pytest.mark.parametrize("page", _params([p for p in KO_ARTICLES if "answer-box" in page_text(p)], "with answer boxes"))
def test_korean_answer_boxes_ask_in_korean(page):
    soup = BeautifulSoup(page_text(page), "html.parser")
    english = [e.get_text(" ", strip=True) for e in soup.select(".answer-prompt, .answer-box label")
               if len(LATIN.findall(e.get_text())) >= 5 and not HANGUL.search(e.get_text())]
    assert not english, (f"{page}: answer boxes ask in English: {english[:3]} (the package's catalog, contexts "
                         "prompt and option: `make translations`)")


def _switch_href(page: str) -> str | None:
    link = BeautifulSoup(page_text(page), "html.parser").select_one("nav.language-switch a[href]")
    return link["href"] if link else None


@pytest.mark.parametrize("page", _params([p for p in EN_PAGES + KO_ARTICLES if "<article" in page_text(p)], "built"))
def test_every_page_links_to_the_same_page_in_the_other_language(page):
    href = _switch_href(page)
    assert href, f"{page}: no language switch (nav.language-switch, book/_ext/language_switch.py)"
    target = PurePosixPath(page).parent / href
    resolved = PurePosixPath(*[part for part in _normalise(target.parts)])
    other = page.removeprefix(f"{KOREAN_EDITION}/") if page.startswith(f"{KOREAN_EDITION}/") else ko(page)
    assert resolved.as_posix() == other, f"{page}: the switch leads to {resolved}, not {other}"
    assert (HTML / other).is_file(), f"{page}: the switch leads to the missing page {other}"


def _normalise(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            assert out, f"a link climbs above the site's root: {'/'.join(parts)}"
            out.pop()
        elif part not in (".", ""):
            out.append(part)
    return out


# --- in the browser -----------------------------------------------------------------------------

@pytest.mark.parametrize("page", [PREFACE, OVERLAP_TILE, QUIZ])
def test_korean_pages_use_the_korean_font(browser, site, page):
    families = korean_font_families()
    assert families, "no font that covers Korean is installed (fc-list :lang=ko): `make browser-deps`"
    if not (HTML / ko(page + ".html")).is_file():
        pytest.skip(f"{ko(page)} is not built")
    tab = open_page(browser, site, ko(page + ".html"))
    try:
        probe = hangul_fonts(browser, tab)
        assert probe is not None, f"{ko(page)}: no visible text with Korean letters"
    finally:
        tab.close()
    assert probe["lang"] == "ko", f"{ko(page)}: <html lang={probe['lang']!r}>, not ko"
    first = probe["fontFamily"].split(",")[0].strip().strip('"')
    assert first == "NanumGothic", (
        f"{ko(page)}: the Korean text's font-family is {probe['fontFamily']!r}; book/_assets/course.css "
        "puts NanumGothic first for :lang(ko)")
    drawn = {f["familyName"]: f["glyphCount"] for f in probe["fonts"]}
    korean = sum(count for family, count in drawn.items() if family in families)
    assert korean > sum(drawn.values()) / 2, f"{ko(page)}: {probe['text']!r} drawn mostly by non-Korean fonts: {drawn}"


def test_language_switch_works_both_ways(browser, site):
    if not (HTML / ko(OVERLAP_TILE + ".html")).is_file():
        pytest.skip("the Korean book is not built")
    tab = open_page(browser, site, OVERLAP_TILE + ".html")
    try:
        assert tab.evaluate("document.documentElement.lang") == "en"
        tab.click("nav.language-switch a")
        tab.wait_for_url(f"**/{ko(OVERLAP_TILE)}.html", wait_until="load")
        assert tab.evaluate("document.documentElement.lang") == "ko"
        assert HANGUL.search(tab.inner_text("article h1")), "the Korean chapter 06 has no Korean title"
        tab.click("nav.language-switch a")
        tab.wait_for_url(re.compile(rf"/{re.escape(OVERLAP_TILE)}\.html$"), wait_until="load")
        assert tab.evaluate("document.documentElement.lang") == "en"
        assert f"/{KOREAN_EDITION}/" not in tab.url
    finally:
        tab.close()


def test_korean_search_finds_a_korean_word(browser, site):
    """Searching 오버랩 (overlap) finds the overlap-tile chapter (book/_ext/korean_search.py)."""
    if not (HTML / KOREAN_EDITION / "search.html").is_file():
        pytest.skip("the Korean book is not built")
    tab = browser.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        tab.goto(f"{site}/{KOREAN_EDITION}/search.html?q=오버랩", wait_until="load", timeout=PAGE_TIMEOUT_MS)
        tab.wait_for_function(
            """() => {
              const s = document.querySelector("#search-results .search-summary");
              const items = document.querySelectorAll("#search-results ul.search li");
              return s && (items.length > 0 || s.textContent.trim().length > 0)
                && !document.querySelector("#search-progress:not(:empty)");
            }""",
            timeout=PAGE_TIMEOUT_MS,
        )
        hits = tab.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.getAttribute('href'))")
    finally:
        tab.close()
    found = {h.split("?")[0].split("#")[0].removesuffix(".html") for h in hits}
    assert OVERLAP_TILE in found, f"searching 오버랩 in the Korean book found {sorted(found)}, not {OVERLAP_TILE}"


@pytest.mark.parametrize(("page", "name"), [(PREFACE, "ko-preface"), (OVERLAP_TILE, "ko-06_overlap_tile"), (QUIZ, "ko-10_quiz_review")])
def test_screenshot_of_korean_page(browser, site, page, name):
    """Saves _build/screenshots/ko-*.png: the top of the Korean page, 1280 px wide."""
    if not (HTML / ko(page + ".html")).is_file():
        pytest.skip(f"{ko(page)} is not built")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    target.unlink(missing_ok=True)
    tab = open_page(browser, site, ko(page + ".html"))
    try:
        tab.set_viewport_size({"width": 1280, "height": 1800})
        tab.screenshot(path=str(target), animations="disabled")
        title = tab.inner_text("article h1")
    finally:
        tab.close()
    assert HANGUL.search(title), f"{target}: the page's title {title!r} is not Korean"
    pixels = matplotlib.image.imread(target)
    assert pixels.shape[:2] == (1800, 1280) and pixels[..., :3].std() > 0.05, f"{target} is blank"
