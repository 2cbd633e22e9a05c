"""A solution is seen only by choice: in Chromium, each chapter page shows no solution (no code,
output or explanation of a solution, no check verdict) until the reader opens it, and opening it
shows all of it.

Screenshots of one exercise before and after its solution is opened go to
``_build/screenshots/exercise-NN-closed.png`` and ``exercise-NN-open.png``.
"""

from __future__ import annotations

import re
from typing import Any

import matplotlib.image
import pytest
from book_site import PAGE_TIMEOUT_MS, SCREENSHOTS, open_page, page_text, pages, toc_files

PAGES = pages()
CHAPTERS = [
    f"{c}.html" for c in sorted(toc_files()) if c.startswith("notebooks/") and f"{c}.html" in PAGES
]
SOLUTION_PAGES = [p for p in CHAPTERS if 'class="solution' in page_text(p)]
SCREENSHOT_PAGE = "notebooks/10_quiz_review.html"
VERDICT = r"\[\d{2}\.[\w-]+\] (Correct|Not yet|Not answered yet)|\u2705|\u274c"

# What a reader sees: an element counts as seen when it has a box, is not visibility:hidden and
# not transparent (sphinx-togglebutton hides a closed dropdown's body with height 0, opacity 0
# and visibility: hidden).
_SEEN_JS = """
(root) => {
  const seen = (el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true})
    && el.getBoundingClientRect().height > 0;
  const article = document.querySelector("article") || document.body;
  const solutions = Array.from(article.querySelectorAll("div.solution"));
  const bodies = solutions.map((box) => Array.from(box.children).filter((c) => !c.classList.contains("admonition-title")));
  const checks = Array.from(article.querySelectorAll("div.cell")).filter((cell) => {
    const input = cell.querySelector(".cell_input");
    return input && input.textContent.includes("quiz.check(");
  });
  return {
    solutions: solutions.length,
    openBodies: bodies.map((parts, i) => parts.some(seen) ? solutions[i].id : null).filter(Boolean),
    seenSolutionCells: Array.from(article.querySelectorAll(".tag_solution")).filter(seen).map((c) => c.textContent.trim().slice(0, 80)),
    seenCheckOutputs: checks.flatMap((cell) => Array.from(cell.querySelectorAll(".cell_output")).filter(seen))
      .map((o) => o.textContent.trim().slice(0, 80)),
    verdicts: (article.innerText.match(new RegExp(root, "g")) || []),
  };
}
"""

# After a click: every part of the solution's body is seen, and its code (and output) with it.
_OPENED_JS = """
(id) => {
  const box = document.getElementById(id);
  const seen = (el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true})
    && el.getBoundingClientRect().height > 0 && getComputedStyle(el).opacity === "1";
  const parts = Array.from(box.children).filter((c) => !c.classList.contains("admonition-title"));
  const code = Array.from(box.querySelectorAll(".cell_input, .cell_output"));
  return parts.length > 0 && parts.every(seen) && code.every(seen);
}
"""


def _params(selected: list[str], what: str) -> list[Any]:
    if selected:
        return selected
    return [pytest.param(None, marks=pytest.mark.skip(reason=f"no chapter page {what} (is the book built?)"), id="none")]


@pytest.mark.parametrize("page", _params(CHAPTERS, "is built"))
def test_no_solution_is_seen_before_a_click(browser, site, page):
    tab = open_page(browser, site, page)
    try:
        seen = tab.evaluate(_SEEN_JS, VERDICT)
    finally:
        tab.close()
    assert not seen["openBodies"], f"{page}: solutions shown open before any click: {seen['openBodies'][:5]}"
    assert not seen["seenSolutionCells"], f"{page}: solution cells in sight: {seen['seenSolutionCells'][:3]}"
    assert not seen["seenCheckOutputs"], f"{page}: check verdicts in sight: {seen['seenCheckOutputs'][:3]}"
    assert not seen["verdicts"], f"{page}: verdict text in sight: {seen['verdicts'][:3]}"


def _solution_ids(tab: Any) -> list[str]:
    return tab.eval_on_selector_all("article div.solution", "boxes => boxes.map((b) => b.id)")


def _open(tab: Any, solution_id: str) -> None:
    """Click the solution's toggle button (not its title's link to the exercise) and wait."""
    box = tab.locator(f"[id='{solution_id}']")
    box.locator("button.toggle-button").first.click()
    tab.wait_for_function(_OPENED_JS, arg=solution_id, timeout=PAGE_TIMEOUT_MS)


@pytest.mark.parametrize("page", _params(SOLUTION_PAGES, "has a solution"))
def test_each_solution_opens_on_a_click(browser, site, page):
    tab = open_page(browser, site, page)
    try:
        ids = _solution_ids(tab)
        assert ids, f"{page}: the HTML has solutions but the browser found none"
        for solution_id in ids:
            _open(tab, solution_id)  # raises (times out) if the solution stays hidden
        assert tab.url.split("#")[0].endswith(page), f"{page}: a click on a solution left the page for {tab.url}"
    finally:
        tab.close()


@pytest.mark.skipif(SCREENSHOT_PAGE not in SOLUTION_PAGES, reason=f"{SCREENSHOT_PAGE} has no solution yet")
def test_screenshots_of_an_exercise_closed_and_open(browser, site):
    """_build/screenshots/exercise-NN-closed.png and -open.png: the first exercise of the page with
    its solution, before and after the click."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    number = re.search(r"/(\d{2})_", SCREENSHOT_PAGE).group(1)
    targets = {state: SCREENSHOTS / f"exercise-{number}-{state}.png" for state in ("closed", "open")}
    tab = open_page(browser, site, SCREENSHOT_PAGE)
    try:
        solution_id = _solution_ids(tab)[0]
        exercise = tab.locator("article div.exercise").first
        solution = tab.locator(f"[id='{solution_id}']")

        # hide the skip link (it shows when focused) and take the clip from the top of the page,
        # where the sticky header sits above the exercise instead of over it
        tab.add_style_tag(content=".skip-link { display: none !important; }")

        def shoot(target):
            tab.evaluate("window.scrollTo(0, 0)")
            top = exercise.bounding_box()
            bottom = solution.bounding_box()
            check = solution.locator("xpath=following-sibling::*[1]").bounding_box()
            lowest = max(bottom["y"] + bottom["height"], (check["y"] + check["height"]) if check else 0)
            tab.screenshot(path=str(target), full_page=True, clip={
                "x": 0, "y": max(top["y"] - 16, 0), "width": tab.viewport_size["width"],
                "height": min(lowest - top["y"] + 32, 4000),
            })

        shoot(targets["closed"])
        _open(tab, solution_id)
        tab.wait_for_timeout(400)  # the 0.3 s fade of sphinx-togglebutton, for the picture only
        shoot(targets["open"])
    finally:
        tab.close()
    closed, opened = (matplotlib.image.imread(targets[s]) for s in ("closed", "open"))
    assert opened.shape[0] > closed.shape[0] + 40, "the opened solution does not make the exercise taller"
    assert closed[..., :3].std() > 0.05 and opened[..., :3].std() > 0.05, "a screenshot is blank"


_OVERFLOW_JS = """
() => Array.from(document.querySelectorAll("article .cell_input pre, article .cell_output pre"))
  .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
  .map((pre) => pre.textContent.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), "").slice(0, 100))
"""


@pytest.mark.parametrize("page", _params(CHAPTERS, "is built"))
def test_code_boxes_show_whole_lines(browser, site, page):
    """No code box (or text output) hides part of a line past its right edge: they wrap."""
    tab = open_page(browser, site, page)
    try:
        tab.evaluate("""() => document.querySelectorAll('.toggle-hidden').forEach((e) => e.classList.remove('toggle-hidden'))""")
        cut = tab.evaluate(_OVERFLOW_JS)
    finally:
        tab.close()
    assert not cut, f"{page}: {len(cut)} code boxes cut lines off at the right edge, e.g. {cut[:2]} (book/_assets/course.css)"
