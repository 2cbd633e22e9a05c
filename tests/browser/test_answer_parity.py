"""The page's checker gives what ``quiz.check`` prints, for every answer of the bank, in both books.

For every question the page can answer (a number, a formula of numbers, a choice, true or false:
``book/_ext/answer_export.py``), its reference answer and each of its plausible wrong answers
(``question.wrong``: off by one, the other convention, the wrong rounding ...), written as a
reader gives them in the page (``answer_cases.py``), are checked

- in Python: ``question.check(answer)`` under ``UNET_COURSE_LANG=en`` and ``ko``, its printed
  verdict, message and hint;
- in the page: ``CourseAnswers.check(id, answer, lang)`` of ``book/_assets/answer-boxes.js``,
  in the English book's chapter 01 page for English and the Korean book's for Korean (one
  browser session, one tab per book, every answer in one call);

and the two texts must be equal, line for line. The reference answer must be right in both, each
wrong answer wrong in both. The built book must be built from the bank as it is now: a question
the page does not know, or one whose data differ, fails here too.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
sys.path.insert(0, str(HERE))

import answer_export  # noqa: E402
from answer_cases import parity_cases  # noqa: E402
from book_site import built_html  # noqa: E402

PAGES = {"en": "notebooks/01_segmentation_basics.html", "ko": "ko/notebooks/01_segmentation_basics.html"}
TIMEOUT_MS = 60_000


def _python_says(qid: str, answer, lang: str) -> str:
    from unet_course import quiz

    buffer = io.StringIO()
    with answer_export.in_language(lang), contextlib.redirect_stdout(buffer):
        quiz.get(qid).check(answer)
    return buffer.getvalue().rstrip("\n")


def _page_says(browser, site: str, lang: str, cases: list) -> tuple[dict, list]:
    """The page's data file and its checker's text for each case, from one tab of the book."""
    tab = browser.new_page()
    try:
        tab.goto(f"{site}/{PAGES[lang]}", wait_until="domcontentloaded")
        tab.wait_for_selector("html[data-answer-boxes=ready]", state="attached", timeout=TIMEOUT_MS)
        data = tab.evaluate("() => window.COURSE_ANSWER_DATA")
        said = tab.evaluate(
            """([cases, lang]) => cases.map(([qid, answer]) => {
                   try {
                       const result = window.CourseAnswers.check(qid, answer, lang);
                       return result.unreadable !== undefined ? "UNREADABLE " + result.unreadable : result.text;
                   } catch (error) { return "ERROR " + error.message; }
               })""",
            [[[case.qid, case.page] for case in cases], lang],
        )
        return data, said
    finally:
        tab.close()


def test_the_page_checks_every_answer_as_quiz_check_does(browser, site):
    built_html()
    export = answer_export.export_bank()
    cases, skipped = parity_cases(export)
    assert not skipped, "answers of the bank the page cannot take:\n" + "\n".join(map(str, skipped))
    mismatches, counted = [], 0
    for lang in ("en", "ko"):
        data, said = _page_says(browser, site, lang, cases)
        assert data["language"] == lang
        fresh = json.loads(json.dumps(export["questions"]))
        stale = sorted(q for q in set(fresh) | set(data["questions"]) if fresh.get(q) != data["questions"].get(q))
        assert not stale, f"the {lang} book was built from another state of the bank (rebuild it: make book): {stale}"
        for case, page_text in zip(cases, said):
            python_text = _python_says(case.qid, case.python, lang)
            counted += 1
            right = python_text.splitlines()[0].endswith(("Correct.", "정답입니다."))
            if (case.what == "reference") != right:
                mismatches.append(f"{lang} {case.qid} {case.what}: Python says {python_text!r}")
            if page_text != python_text:
                mismatches.append(f"{lang} {case.qid} {case.what} ({json.dumps(case.page, ensure_ascii=False)}):\n"
                                  f"  Python: {python_text!r}\n  page:   {page_text!r}")
    questions = len({case.qid for case in cases})
    print(f"parity: {questions} questions, {len(cases)} answers x 2 languages = {counted} checks")
    assert not mismatches, f"{len(mismatches)} of {counted} differ:\n" + "\n".join(mismatches[:20])


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_page_reads_what_a_reader_types(browser, site, lang):
    """Arithmetic, Python's integer division and rounding, a tuple; and text that is no expression
    gets a message in the page's language, not a verdict."""
    built_html()
    tab = browser.new_page()
    try:
        tab.goto(f"{site}/{PAGES[lang]}", wait_until="domcontentloaded")
        tab.wait_for_selector("html[data-answer-boxes=ready]", state="attached", timeout=TIMEOUT_MS)
        values = tab.evaluate("""() => {
            const read = (text) => { const r = window.CourseAnswers.check("01.iou-by-hand", text); return r.unreadable || r.message; };
            return [read("3/4"), read("0.75"), read("1 - 1/4"), read("7 // 2"), read("-7 % 3"), read("2**-1"),
                    read("round(2.5)"), read("math.ceil(0.1)"), read("1/0"), read("3 +"), read("x"), read("(1, 2)")];
        }""")
    finally:
        tab.close()
    assert values[:3] == ["", "", ""]  # right: no message
    too_large = {"en": "Your answer 3 is too large.", "ko": "답 3은 너무 큽니다."}[lang]
    assert values[3] == too_large and values[4] == {"en": "Your answer 2 is too large.", "ko": "답 2는 너무 큽니다."}[lang]
    assert values[5] == {"en": "Your answer 0.5 is too small.", "ko": "답 0.5는 너무 작습니다."}[lang]
    assert values[6] == {"en": "Your answer 2 is too large.", "ko": "답 2는 너무 큽니다."}[lang]  # round half to even
    assert values[7] == {"en": "Your answer 1 is too large.", "ko": "답 1은 너무 큽니다."}[lang]
    unreadable = {"en": "could not be read", "ko": "읽을 수 없습니다"}[lang]
    assert all(unreadable in v for v in values[8:11]), values[8:11]
    assert "ZeroDivisionError" in values[8] and "NameError" in values[10]
    assert values[11] == _python_says("01.iou-by-hand", (1, 2), lang).splitlines()[1]
