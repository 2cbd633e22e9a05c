"""The answer boxes as a reader uses them: by keyboard alone, wrong first and then right, in the
English and the Korean chapter 06 page, on a desktop and a 390 px phone viewport; the progress
kept in the browser and shown on the progress page of both books, which forgets it on request;
the same from ``file://``.

Screenshots go to ``_build/screenshots/answer-{en,ko}-{desktop,phone}-{wrong,right}.png`` and
``progress-{en,ko}.png``.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "book" / "_ext"))
from book_site import HTML, SCREENSHOTS, built_html  # noqa: E402

TIMEOUT_MS = 60_000
PREFIX = {"en": "", "ko": "ko/"}
CHAPTER = "notebooks/06_overlap_tile.html"
QUESTION, WRONG = "06.tiles-count", "23"
EXERCISE = "ex-06-tiles-count"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _python_says(qid: str, answer, lang: str) -> list[str]:
    import answer_export

    from unet_course import quiz

    buffer = io.StringIO()
    with answer_export.in_language(lang), contextlib.redirect_stdout(buffer):
        quiz.get(qid).check(answer)
    lines = buffer.getvalue().rstrip("\n").splitlines()
    return [lines[0].split("] ", 1)[1]] + lines[1:]  # the page shows the verdict without the id


def _ready(tab, url: str) -> None:
    tab.goto(url, wait_until="domcontentloaded")
    tab.wait_for_selector("html[data-answer-boxes=ready]", state="attached", timeout=TIMEOUT_MS)


def _answer_by_keyboard(tab, field, text: str) -> list[str]:
    """Focus the field, type, press Enter; the feedback's lines once they change."""
    feedback = field.locator("xpath=ancestor::form[1]").locator(".answer-feedback")
    before = feedback.inner_text()
    field.focus()
    tab.keyboard.press("Control+A")
    tab.keyboard.type(text)
    tab.keyboard.press("Enter")
    tab.wait_for_function("([el, before]) => el.innerText !== before && el.innerText.trim() !== ''",
                          arg=[feedback.element_handle(), before], timeout=TIMEOUT_MS)
    return [line for line in feedback.inner_text().splitlines() if line.strip()]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_an_exercise_answered_wrong_then_right_by_keyboard(browser, site, lang):
    built_html()
    from unet_course import quiz

    right = repr(int(quiz.get(QUESTION).value))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in VIEWPORTS.items():
        tab = browser.new_page()
        try:
            tab.set_viewport_size(viewport)
            _ready(tab, f"{site}/{PREFIX[lang]}{CHAPTER}")
            tab.evaluate("() => window.CourseAnswers.reset()")
            box = tab.locator(f".answer-box[data-exercise={EXERCISE}]")
            field = box.locator("input[type=text]")
            label = box.locator("label.answer-label")
            assert label.inner_text().strip() == {"en": "Your answer", "ko": "여러분의 답"}[lang]
            assert (box.get_attribute("aria-label") or "").strip(), "the box has no accessible name"
            # the box fits the viewport: nothing wider than the page
            width = tab.evaluate("(el) => el.getBoundingClientRect().right", box.element_handle())
            assert width <= viewport["width"], f"the box ends at {width} px in a {viewport['width']} px viewport"
            shown = _answer_by_keyboard(tab, field, WRONG)
            assert shown == _python_says(QUESTION, int(WRONG), lang)
            box.screenshot(path=str(SCREENSHOTS / f"answer-{lang}-{name}-wrong.png"))
            assert tab.evaluate("() => window.CourseAnswers.progress()")[QUESTION] == "wrong"
            shown = _answer_by_keyboard(tab, field, right)
            assert shown == _python_says(QUESTION, int(right), lang)
            box.screenshot(path=str(SCREENSHOTS / f"answer-{lang}-{name}-right.png"))
            assert tab.evaluate("() => window.CourseAnswers.progress()")[QUESTION] == "right"
            state = box.locator(".answer-state").first.inner_text()
            assert state == {"en": "Answered: right", "ko": "답함: 정답"}[lang]
            # a choice by keyboard: Tab to the radio group, arrow to an option, Enter checks it
            choice = tab.locator(".answer-box[data-exercise=ex-06-predict-border] form")
            choice.locator("input[type=radio]").first.focus()
            tab.keyboard.press("ArrowDown")
            tab.keyboard.press("Enter")
            tab.wait_for_function("(el) => el.innerText.trim() !== ''", arg=choice.locator(".answer-feedback").element_handle(),
                                  timeout=TIMEOUT_MS)
            assert choice.locator(".answer-feedback").inner_text().splitlines()[0] == _python_says("06.predict-border-error", 1, lang)[0]
        finally:
            tab.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_progress_page_lists_every_exercise_and_forgets_on_request(browser, site, lang):
    built_html()
    tab = browser.new_page()
    try:
        _ready(tab, f"{site}/{PREFIX[lang]}{CHAPTER}")
        tab.evaluate("() => window.CourseAnswers.reset()")
        tab.evaluate(f"() => {{ window.CourseAnswers.check('{QUESTION}', '1'); }}")  # checking alone stores nothing
        box = tab.locator(f".answer-box[data-exercise={EXERCISE}]")
        box.locator("input[type=text]").fill(WRONG)
        box.locator("button.answer-check").click()
        tab.wait_for_function("() => (window.CourseAnswers.progress() || {})['06.tiles-count'] === 'wrong'", timeout=TIMEOUT_MS)
        _ready(tab, f"{site}/{PREFIX[lang]}book/progress.html")
        data = tab.evaluate("() => window.COURSE_ANSWER_DATA")
        rows = tab.locator("#course-progress tr[data-qid]")
        listed = {row.get_attribute("data-qid"): row.get_attribute("data-state") for row in rows.all()}
        expected = {q for chapter in data["chapters"] for ex in chapter["exercises"] for q in ex["questions"]}
        assert set(listed) == expected and {c["page"][10:12] for c in data["chapters"]} >= {"01", "06", "10"}
        assert listed[QUESTION] == "wrong"
        assert all(state == "code" for qid, state in listed.items() if data["questions"][qid]["kind"] == "code")
        tab.screenshot(path=str(SCREENSHOTS / f"progress-{lang}.png"))
        link = tab.locator(f"#course-progress tr[data-qid='{QUESTION}'] a").get_attribute("href")
        assert link.endswith(f"{CHAPTER}#{EXERCISE}")
        tab.locator("button.progress-reset").click()
        tab.wait_for_function("() => document.querySelector(\"tr[data-qid='06.tiles-count']\").dataset.state === 'none'",
                              timeout=TIMEOUT_MS)
        assert tab.evaluate("() => window.CourseAnswers.progress()") == {}
    finally:
        tab.close()


def test_the_boxes_work_from_file_urls(browser):
    """Opened from disk, without a server: the data loads, a check works and is kept."""
    built_html()
    tab = browser.new_page()
    try:
        _ready(tab, (HTML / CHAPTER).as_uri())
        assert tab.evaluate("() => window.CourseAnswers.storageWorks")
        box = tab.locator(f".answer-box[data-exercise={EXERCISE}]")
        box.locator("input[type=text]").fill(WRONG)
        box.locator("button.answer-check").click()
        tab.wait_for_function("() => (window.CourseAnswers.progress() || {})['06.tiles-count'] === 'wrong'", timeout=TIMEOUT_MS)
        _ready(tab, (HTML / "book" / "progress.html").as_uri())
        assert tab.locator("#course-progress tr[data-qid='06.tiles-count']").get_attribute("data-state") == "wrong"
        tab.evaluate("() => window.CourseAnswers.reset()")
    finally:
        tab.close()


def test_no_page_shows_a_quiz_show_prompt_twice(browser, site):
    """The output of ``quiz.show`` is not in the pages: the exercise states the question, the box
    shows the options."""
    built_html()
    for page in ("notebooks/06_overlap_tile.html", "ko/notebooks/06_overlap_tile.html"):
        text = (HTML / page).read_text(encoding="utf-8")
        assert "(multiple choice)" not in text and "06.predict-border-error</strong>" not in text, page
        assert text.count('data-qid="06.predict-border-error"') == 1


def test_a_predicted_result_stays_folded_until_answered(browser, site):
    """Predict, then see: a cell tagged ``reveal-after:NN.id`` shows its output once question
    ``NN.id`` is answered in the page, or when the reader chooses to see it."""
    built_html()
    tab = browser.new_page()
    try:
        _ready(tab, f"{site}/notebooks/01_segmentation_basics.html")
        tab.evaluate("() => window.CourseAnswers.reset()")
        _ready(tab, f"{site}/notebooks/01_segmentation_basics.html")
        marker = tab.locator("[data-reveal-after='01.predict-all-background']")
        assert marker.count() >= 1, "no cell of chapter 01 is tagged reveal-after:01.predict-all-background"
        output = marker.first.locator("xpath=ancestor::div[contains(@class, 'cell')][1]").locator(".cell_output")
        assert not output.is_visible()
        box = tab.locator("form[data-qid='01.predict-all-background']")
        box.locator("input[type=radio]").nth(1).check()
        box.locator("button.answer-check").click()
        output.wait_for(state="visible", timeout=TIMEOUT_MS)
        # a reader who would rather not answer: the button shows it
        tab.evaluate("() => window.CourseAnswers.reset()")
        _ready(tab, f"{site}/ko/notebooks/01_segmentation_basics.html")
        output = tab.locator("[data-reveal-after='01.predict-all-background']").first.locator(
            "xpath=ancestor::div[contains(@class, 'cell')][1]").locator(".cell_output")
        assert not output.is_visible()
        show = tab.locator(".reveal-show").first
        assert show.inner_text() == "답하지 않고 출력 보기"
        show.focus()
        tab.keyboard.press("Enter")
        output.wait_for(state="visible", timeout=TIMEOUT_MS)
    finally:
        tab.close()
