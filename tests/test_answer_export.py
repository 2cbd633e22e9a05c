"""The question bank exported for the book's answer boxes (book/_ext/answer_export.py), without a
browser: every question is there with the kind the page answers it as, both languages of every
text the page shows, and no box's HTML gives the right answer away.

The verdicts themselves are compared with ``quiz.check`` in headless Chromium by
``tests/browser/test_answer_parity.py``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import answer_boxes  # noqa: E402
import answer_export  # noqa: E402

from unet_course import quiz  # noqa: E402

KINDS = {quiz.Numeric: "number", quiz.Choice: "choice", quiz.TrueFalse: "truefalse", quiz.CodeExercise: "code"}


@pytest.fixture(scope="module")
def export() -> dict:
    return answer_export.export_bank()


def test_every_question_of_the_bank_is_exported(export):
    bank = quiz.load_bank()
    assert sorted(export["questions"]) == sorted(bank)
    for qid, data in export["questions"].items():
        question = bank[qid]
        assert "reason" not in data, f"{qid}: exported as code because {data.get('reason')}"
        if isinstance(question, quiz.Formula):
            assert data["kind"] in ("formula", "code"), qid
        else:
            expected = next(kind for cls, kind in KINDS.items() if isinstance(question, cls))
            assert data["kind"] == expected, f"{qid}: exported as {data['kind']}, a {type(question).__name__}"


def test_formulas_of_numbers_are_answered_in_the_page(export):
    """A formula on numbers is typed as an expression; each sample carries what check needs."""
    formulas = [d for d in export["questions"].values() if d["kind"] == "formula"]
    assert formulas, "no formula of numbers is exported"
    for data in formulas:
        assert data["params"] and data["samples"], data["id"]
        for sample in data["samples"]:
            assert len(sample["args"]) == len(data["params"])
            assert set(sample["describe"]) == {"en", "ko"}
            assert sample["ref"]["t"] in ("int", "float", "tuple")


def test_texts_in_both_languages(export):
    for qid, data in export["questions"].items():
        assert set(data["hint"]) == {"en", "ko"}, qid
        if data["hint"]["en"]:
            assert data["hint"]["ko"] != data["hint"]["en"], f"{qid}: the hint has no Korean"
        if data["kind"] == "choice":
            assert len(data["options"]["ko"]) == len(data["options"]["en"]), qid
    for key, texts in answer_export.UI.items():
        assert set(texts) == {"en", "ko"}, key
        assert re.findall(r"\{\w+\}", texts["en"]) == re.findall(r"\{\w+\}", texts["ko"]) or \
            sorted(re.findall(r"\{\w+\}", texts["en"])) == sorted(re.findall(r"\{\w+\}", texts["ko"])), key
        assert "십시오" not in texts["ko"] and "습니까" not in texts["ko"], key
    for english in ("Correct.", "Not yet.", "Hint: {hint}", "Your answer {given} is too large."):
        assert english in export["messages_ko"]


def test_the_data_file_is_a_script_with_the_json(export):
    script = answer_export.as_script(export)
    prefix = "window.COURSE_ANSWER_DATA = "
    assert script.startswith(prefix) and script.rstrip().endswith(";")
    assert "</" not in script
    assert json.loads(script[len(prefix):].rstrip().rstrip(";").replace("<\\/", "</")) == json.loads(json.dumps(export))


def test_typed_values_keep_pythons_types():
    assert answer_export.typed(3) == {"t": "int", "v": 3}
    assert answer_export.typed(2.5) == {"t": "float", "v": 2.5}
    assert answer_export.typed((1, 2.0)) == {"t": "tuple", "v": [{"t": "int", "v": 1}, {"t": "float", "v": 2.0}]}
    assert answer_export.typed(True) is None and answer_export.typed("x") is None and answer_export.typed(float("nan")) is None


def test_a_box_never_shows_the_answer(export):
    """The page shows the options and a field, never which option is right or the value."""
    for qid, data in export["questions"].items():
        if data["kind"] == "code":
            continue
        for lang in ("en", "ko"):
            form = answer_boxes.question_form(data, lang, with_prompt=True)
            assert "checked" not in form and "data-answer" not in form, qid
            assert form.count('type="radio"') == (len(data["options"][lang]) if data["kind"] == "choice"
                                                  else 2 if data["kind"] == "truefalse" else 0), qid
            if data["kind"] == "number":
                value = data["ref"]
                for text in {repr(value), f"{value:g}", str(int(value)) if float(value).is_integer() else repr(value)}:
                    if len(text) >= 3:  # short numbers (an option's index, a count) occur in any prose
                        assert text not in re.sub(r"<[^>]+>", " ", form), f"{qid}: the box shows {text}"
            if lang == "ko":
                assert "여러분의 답" in form


def test_each_field_is_labelled(export):
    for data in export["questions"].values():
        if data["kind"] in ("number", "formula"):
            form = answer_boxes.question_form(data, "en", with_prompt=False)
            field = re.search(r'<input type="text"[^>]* id="([^"]+)"', form).group(1)
            assert f'for="{field}"' in form and "aria-describedby" in form


def test_a_code_exercise_links_the_learners_notebook(monkeypatch):
    """Download always; Binder and Colab only when UNET_COURSE_REPOSITORY names the repository."""
    from types import SimpleNamespace

    import repository_links

    options = repository_links.repository_theme_options(
        {"launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org",
                            "colab_url": "https://colab.research.google.com"}, "repository_branch": "main"}, None)
    app = SimpleNamespace(config=SimpleNamespace(html_theme_options=options, course_learner_dir="learner"))
    monkeypatch.delenv("UNET_COURSE_REPOSITORY", raising=False)
    note = answer_boxes.code_note(app, "notebooks/06_overlap_tile", "en")
    assert 'href="../_sources/notebooks/06_overlap_tile.ipynb" download' in note
    assert "mybinder" not in note and "colab" not in note

    monkeypatch.setenv("UNET_COURSE_REPOSITORY", "https://github.com/owner/course")
    app.config.html_theme_options = repository_links.repository_theme_options(
        {"launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org",
                            "colab_url": "https://colab.research.google.com"}, "repository_branch": "main"},
        "https://github.com/owner/course")
    note = answer_boxes.code_note(app, "notebooks/06_overlap_tile", "ko")
    assert "https://mybinder.org/v2/gh/owner/course/main?urlpath=lab/tree/learner/ko/06_overlap_tile.ipynb" in note
    assert "https://colab.research.google.com/github/owner/course/blob/main/learner/ko/06_overlap_tile.ipynb" in note
    assert "학습자용 노트북 내려받기" in note
    assert "/learner/06_overlap_tile.ipynb" not in note, "a Korean page opens the Korean learner's notebook"
