"""The built book's pages, and one browser visit of a page, for the tests in this folder.

``visit`` loads a page once in headless Chromium and records what the tests assert on: console
errors, requests, images, MathJax output, widgets, and which fonts drew the Korean text.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# UNET_COURSE_BOOK_HTML points the tests at a book built elsewhere (jupyter-book --path-output)
HTML = Path(os.environ.get("UNET_COURSE_BOOK_HTML") or ROOT / "_build" / "html").resolve()
SCREENSHOTS = HTML.parent / "screenshots"
HANGUL = re.compile("[\uac00-\ud7a3]")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def built_html() -> Path:
    """_build/html; skips (fails in CI) when the book is not built."""
    if not (HTML / "index.html").is_file():
        if in_ci():
            pytest.fail("_build/html is missing: `make test-browser` builds the book first")
        pytest.skip("the book is not built; run `make book` (or `make test-browser`)")
    return HTML


def pages() -> list[str]:
    """Every HTML page of the built book, relative to _build/html (``book/preface.html``)."""
    if not HTML.is_dir():
        return []
    return sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        # _static/, _sources/ and the like, also inside the Korean book (ko/_static/)
        if not any(part.startswith(("_", ".")) for part in p.relative_to(HTML).parts)
    )


# The Korean book: the same pages under ko/ (make book); KOREAN_EDITION is its folder in HTML
KOREAN_EDITION = "ko"


def english_pages() -> list[str]:
    """The pages of the English book (``pages()`` without the Korean book's)."""
    return [page for page in pages() if not page.startswith(f"{KOREAN_EDITION}/")]


def korean_pages() -> list[str]:
    """The pages of the Korean book, relative to _build/html (``ko/book/preface.html``)."""
    return [page for page in pages() if page.startswith(f"{KOREAN_EDITION}/")]


@functools.lru_cache(maxsize=None)
def page_text(page: str) -> str:
    return (HTML / page).read_text(encoding="utf-8", errors="replace")


def toc_files() -> set[str]:
    """The documents listed in _toc.yml, without suffix (``notebooks/01_segmentation_basics``)."""
    return set(re.findall(r"(?:file|root):\s*([\w./-]+)", (ROOT / "_toc.yml").read_text()))


@functools.lru_cache(maxsize=None)
def korean_font_families() -> frozenset[str]:
    """Family names (every alias) of the installed fonts that cover Korean, from fontconfig."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return frozenset()
    out = subprocess.run([fc_list, ":lang=ko", "family"], capture_output=True, text=True, check=False).stdout
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(",") if name.strip())


@dataclass
class Visit:
    """What one load of a page showed."""

    page: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    remote_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    widgets: dict = field(default_factory=dict)
    hangul: dict | None = None


# How long one page may take to show everything: a cold headless Chromium on a loaded 2-core
# machine needs several seconds for MathJax on a long chapter; the waits below return as soon as
# their signal comes, so a generous limit costs nothing on a fast machine.
PAGE_TIMEOUT_MS = 120_000

# The explicit signals a page is ready, instead of "network idle" (which a slow machine or a
# late font request can push past any fixed limit): MathJax's typesetting promise, every image's
# ``complete`` flag (images made eager first), the fonts, and the widget manager's render.
MATHJAX_READY_JS = """
() => {
  if (!document.querySelector(".math, mjx-container, script[type^='math/tex']")) return true;
  return Boolean(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise);
}
"""

WAIT_FOR_MATHJAX_JS = """
async () => {
  const mathjax = window.MathJax;
  if (mathjax && mathjax.startup && mathjax.startup.promise) {
    await mathjax.startup.promise;
    if (typeof mathjax.typesetPromise === "function") await mathjax.typesetPromise();
  }
  await document.fonts.ready;
}
"""

IMAGES_EAGER_JS = "() => { for (const img of document.images) img.loading = 'eager'; }"
IMAGES_COMPLETE_JS = "() => Array.from(document.images).every((img) => img.complete)"


def wait_until_ready(tab: Any, page_html: str) -> None:
    """Wait for the explicit signals that ``tab`` shows all it will (see ``MATHJAX_READY_JS``)."""
    tab.evaluate(IMAGES_EAGER_JS)
    tab.wait_for_function(IMAGES_COMPLETE_JS, timeout=PAGE_TIMEOUT_MS)  # a broken image is complete too
    # MathJax that never starts, and widget views still empty after the limit, are reported by
    # their own tests (typeset 0 of n, rendered 0 of n) rather than as a timeout here
    if _waited(tab, MATHJAX_READY_JS):
        tab.evaluate(WAIT_FOR_MATHJAX_JS)
    else:
        tab.evaluate("async () => { await document.fonts.ready; }")
    if WIDGET_VIEW in page_html:
        _waited(tab, _WIDGETS_DONE_JS)


def _waited(tab: Any, condition_js: str) -> bool:
    """Wait up to the page limit for ``condition_js``; False if it timed out."""
    try:
        tab.wait_for_function(condition_js, timeout=PAGE_TIMEOUT_MS)
    except Exception as exc:  # playwright's TimeoutError
        if "Timeout" not in type(exc).__name__:
            raise
        return False
    return True


def open_page(context: Any, base: str, page: str) -> Any:
    """A new tab of ``context`` showing ``base/page``, loaded and ready (the caller closes it)."""
    tab = context.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    tab.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    try:
        tab.goto(f"{base}/{page}", wait_until="load")
        wait_until_ready(tab, page_text(page))
    except Exception:
        tab.close()
        raise
    return tab

_WIDGETS_DONE_JS = f"""
() => {{
  const views = document.querySelectorAll('script[type="{WIDGET_VIEW}"]').length;
  const done = Array.from(document.querySelectorAll(".widget-subarea")).filter((d) => d.children.length).length;
  return done >= views;
}}
"""

_COLLECT_JS = f"""
async () => {{
  const images = Array.from(document.images);
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  const article = document.querySelector("article") || document.body;
  const maths = Array.from(article.querySelectorAll(".math"));
  const sliders = Array.from(document.querySelectorAll(".widget-slider"));
  return {{
    images: images.map((img) => ({{src: img.currentSrc || img.src, naturalWidth: img.naturalWidth}})),
    math: {{
      elements: maths.length,
      typeset: maths.filter((m) => m.querySelector("mjx-container")).length,
      containers: document.querySelectorAll("mjx-container").length,
      errors: Array.from(document.querySelectorAll("mjx-merror")).map((e) => e.textContent),
    }},
    widgets: {{
      views: document.querySelectorAll('script[type="{WIDGET_VIEW}"]').length,
      rendered: Array.from(document.querySelectorAll(".widget-subarea")).filter((d) => d.children.length).length,
      sliders: sliders.length,
      visibleSliders: sliders.filter((s) => s.getBoundingClientRect().width > 0).length,
    }},
  }};
}}
"""

# Marks the first visible element whose own text holds Hangul (in the article, else anywhere on
# the page, e.g. the navigation) and counts its Hangul letters.
_HANGUL_PROBE_JS = """
() => {
  const hangul = /[\\uac00-\\ud7a3]/g;
  for (const root of [document.querySelector("article"), document.body].filter(Boolean)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (!node.data.match(hangul) || !element || element.closest("mjx-container, script, style")) continue;
      if (element.getBoundingClientRect().width === 0) continue;
      let letters = 0;
      for (const child of element.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) letters += (child.data.match(hangul) || []).length;
      }
      element.setAttribute("data-hangul-probe", "1");
      return {text: element.textContent.trim().slice(0, 80), letters: letters,
              fontFamily: getComputedStyle(element).fontFamily, lang: document.documentElement.lang};
    }
  }
  return null;
}
"""


def visit(context: Any, base: str, page: str) -> Visit:
    """Load ``base/page`` in a new tab of ``context`` and collect everything the tests check."""
    result = Visit(page)
    tab = context.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    tab.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    local = base + "/"

    def on_request(request: Any) -> None:
        if not request.url.startswith((local, "data:", "blob:", "about:")):
            result.remote_requests.append(request.url)

    def on_response(response: Any) -> None:
        if response.status >= 400:
            result.failed_requests.append(f"{response.status} {response.url}")

    tab.on("request", on_request)
    tab.on("response", on_response)
    tab.on("requestfailed", lambda r: result.failed_requests.append(f"{r.failure} {r.url}"))
    tab.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: result.page_errors.append(str(e)))
    try:
        tab.goto(f"{base}/{page}", wait_until="load")
        redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', page_text(page), re.I)
        if redirect:  # index.html forwards to the preface
            tab.wait_for_url(f"**/{redirect.group(1)}", wait_until="load")
            target = redirect.group(1)
        else:
            target = page
        wait_until_ready(tab, page_text(target) if (HTML / target).is_file() else "")
        collected = tab.evaluate(_COLLECT_JS)
        result.images, result.math, result.widgets = collected["images"], collected["math"], collected["widgets"]
        if HANGUL.search(page_text(page)):
            result.hangul = hangul_fonts(context, tab)
    finally:
        tab.close()
    return result


def hangul_fonts(context: Any, tab: Any) -> dict | None:
    """The Hangul probe plus Chromium's platform fonts for it (name and glyphs drawn, per font)."""
    probe = tab.evaluate(_HANGUL_PROBE_JS)
    if probe is None:
        return None
    cdp = context.new_cdp_session(tab)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-hangul-probe]"})["nodeId"]
        probe["fonts"] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return probe
