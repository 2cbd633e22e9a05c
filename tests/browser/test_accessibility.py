"""axe-core on every page of both books: no serious or critical violation, except those named here.

axe-core comes from npm (package.json), copied by ``make vendor`` to ``book/_vendor/axe/`` and so
served with the book (``_static/axe/axe.min.js``); the test injects it into each page after the
page's own scripts (the answer boxes included) have run, and checks WCAG 2.1 A and AA. Each page is
loaded once, in one tab per book (one test per book: two test workers share them); the figures
per book are printed (``pytest -s``).

``ACCEPTED`` names each remaining violation (rule, and the part of the page it is in) with the
reason it stays; a violation not named there fails the test, naming the page, the rule and the
elements.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from book_site import HTML, ROOT, built_html, english_pages, korean_pages  # noqa: E402

SERIOUS = ("serious", "critical")
TIMEOUT_MS = 60_000

# rule id -> (the elements it may be on: fragments of axe's CSS selector, one of which each element's
# selector contains), and the reason it stays. Nothing here is the course's own markup.
ACCEPTED: dict[str, tuple[tuple[str, ...], str]] = {
    "label-content-name-mismatch": (
        (".search-button", ".theme-switch-button", ".nav-link", ".btn"),
        "sphinx-book-theme's header: the search button shows 'Search' and a keyboard shortcut, the theme "
        "switch an icon, and its navigation links carry tooltips as names; the theme's own markup",
    ),
    "aria-input-field-name": (
        (".noUi-handle", "aria-valuem"),
        "the handles of ipywidgets' sliders (noUiSlider, in @jupyter-widgets/html-manager's embed.js) have no "
        "name; every widget has a static figure beside it with what the slider shows (CONTRIBUTING.md)",
    ),
}


def _axe_script() -> Path:
    for path in (HTML / "_static" / "axe" / "axe.min.js", ROOT / "node_modules" / "axe-core" / "axe.min.js"):
        if path.is_file():
            return path
    pytest.fail("axe-core is missing: `make vendor` copies it to book/_vendor/axe/ (npm install axe-core)")


def _accepted(rule: str, targets: list[str]) -> bool:
    if rule not in ACCEPTED:
        return False
    fragments = ACCEPTED[rule][0]
    return all(any(fragment in target for fragment in fragments) for target in targets)


@pytest.mark.parametrize("book", ["en", "ko"])
def test_every_page_of_the_book_has_no_serious_violation(browser, site, book):
    """One test per book, so that two test workers share the pages."""
    built_html()
    script = _axe_script().read_text(encoding="utf-8")
    failures: list[str] = []
    figures: dict[str, Counter] = {book: Counter()}
    tab = browser.new_page()
    try:
        for page in english_pages() if book == "en" else korean_pages():
            if True:
                tab.goto(f"{site}/{page}", wait_until="domcontentloaded")
                tab.wait_for_function("() => document.readyState === 'complete'", timeout=TIMEOUT_MS)
                if tab.evaluate("() => !!window.COURSE_ANSWER_DATA"):
                    tab.wait_for_selector("html[data-answer-boxes=ready]", state="attached", timeout=TIMEOUT_MS)
                tab.add_script_tag(content=script)
                violations = tab.evaluate(
                    """async () => {
                        const result = await axe.run(document, {
                            resultTypes: ["violations"],
                            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
                        });
                        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                            targets: v.nodes.map(n => n.target.join(" "))}));
                    }"""
                )
                figures[book]["pages"] += 1
                for violation in violations:
                    figures[book][f"{violation['impact']}: {violation['id']}"] += len(violation["targets"])
                    if violation["impact"] in SERIOUS and not _accepted(violation["id"], violation["targets"]):
                        failures.append(f"{page}: {violation['id']} ({violation['impact']}): {violation['help']}; "
                                        f"{', '.join(violation['targets'][:3])}")
    finally:
        tab.close()
    for name, counts in figures.items():
        print(f"axe-core, {name} book: {dict(counts)}")
        (HTML.parent / f"axe-{name}.json").write_text(json.dumps({"counts": dict(counts), "failures": failures}, indent=1))
    assert not failures, f"{len(failures)} serious or critical violations:\n" + "\n".join(failures[:30])
