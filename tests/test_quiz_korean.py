"""The quiz's feedback in Korean (UNET_COURSE_LANG=ko): verdicts, hints, explanations, messages.

The Korean texts are keyed to the English ones in the package's gettext catalog
(``unet_course/locale/ko/LC_MESSAGES/unet_course.po``, read by ``unet_course.quiz.catalog``; hints
and explanations under their own contexts): an English text that changes without its Korean
version fails here, naming the question or the message, and in ``tests/test_translation.py`` with
the book's pages.
"""

from __future__ import annotations

import ast
import html
import re
import string
from pathlib import Path

import numpy as np
import pytest

from unet_course import quiz
from unet_course.quiz import catalog

ROOT = Path(__file__).resolve().parents[1]
HINTS_KO = catalog.table("hint")
EXPLANATIONS_KO = catalog.table("explanation")
MESSAGES_KO = catalog.table()

HANGUL = re.compile(r"[\uac00-\ud7a3]")
BANK = quiz.questions()


@pytest.fixture
def korean(monkeypatch):
    monkeypatch.setenv("UNET_COURSE_LANG", "ko")


# --- the tables are complete and current --------------------------------------------------------

@pytest.mark.parametrize("question", BANK, ids=[q.id for q in BANK])
def test_every_hint_and_explanation_has_its_korean_version(question):
    if question.hint:
        assert question.hint in HINTS_KO, (
            f"{question.id}: its English hint has no Korean version in the package's catalog; run "
            f"`make translations`, then translate it in unet_course/locale/ko/LC_MESSAGES/unet_course.po:\n{question.hint}"
        )
        korean = HINTS_KO[question.hint]
        assert HANGUL.search(korean) and korean != question.hint, f"{question.id}: the Korean hint is not Korean"
    explanation = getattr(question, "explanation", "")
    if explanation:
        assert explanation in EXPLANATIONS_KO, (
            f"{question.id}: its English explanation has no Korean version in the package's catalog "
            f"(`make translations`, then unet_course/locale/ko/LC_MESSAGES/unet_course.po):\n{explanation}"
        )
        assert HANGUL.search(EXPLANATIONS_KO[explanation])


def _script(name: str):
    """``scripts/<name>.py`` as a module (loaded once; the scripts are not a package)."""
    import importlib.util
    import sys

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_the_package_catalog_is_current():
    """The catalog holds exactly the English the package has (the ``_t`` and ``N_`` texts, the
    bank's hints and explanations), and its ``.mo`` is compiled from it: what ``make translations``
    would write is what is committed."""
    problems = _script("package_catalog").problems("ko")
    assert not problems, (
        "the package's Korean catalog is not current; run `make translations` (it merges the English "
        "into unet_course/locale/ko/LC_MESSAGES/unet_course.po and compiles the .mo), translate what it "
        "marks, and commit both files:\n" + "\n".join(problems[:20]))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_keeps_its_fields():
    assert len(MESSAGES_KO) > 100, "the quiz and the compare functions have their messages in the catalog"
    for english, korean in MESSAGES_KO.items():
        assert _fields(english) == _fields(korean), f"the Korean of {english!r} has other fields: {korean!r}"
        assert HANGUL.search(korean), f"the Korean of {english!r} is not Korean: {korean!r}"


# --- what a reader sees -----------------------------------------------------------------------

def test_english_stays_the_default(monkeypatch, capsys):
    monkeypatch.delenv("UNET_COURSE_LANG", raising=False)
    assert quiz.language() == "en"
    assert quiz.check("01.iou-by-hand", -1.0) is False
    out = capsys.readouterr().out
    assert out.startswith("[01.iou-by-hand] Not yet.\n") and "Hint: Count the pixels" in out
    assert not HANGUL.search(out)


def test_korean_verdicts_hints_and_messages(korean, capsys):
    question = quiz.get("01.iou-by-hand")
    assert quiz.check("01.iou-by-hand", -1.0) is False
    out = capsys.readouterr().out
    assert out == (
        "[01.iou-by-hand] 아직 아닙니다.\n답 -1은 너무 작습니다.\n"
        f"힌트: {HINTS_KO[question.hint]}\n"
    )
    assert quiz.check("01.iou-by-hand", question.value) is True
    assert capsys.readouterr().out == "[01.iou-by-hand] 정답입니다.\n"
    assert quiz.check("01.iou-by-hand", ...) is False
    assert capsys.readouterr().out.startswith("[01.iou-by-hand] 아직 답하지 않았습니다. 위 답 셀의 `...`를")


def test_korean_explanation_once_right(korean, capsys):
    question = quiz.get("05.conv-23")
    assert quiz.check("05.conv-23", question._answer) is True
    assert capsys.readouterr().out == f"[05.conv-23] 정답입니다.\n{EXPLANATIONS_KO[question.explanation]}\n"


def test_korean_messages_of_each_kind(korean, capsys):
    choice = quiz.get("01.which-segmentation")
    quiz.check(choice.id, 99)
    assert "99번 보기는 없습니다" in capsys.readouterr().out
    formula = quiz.get("02.heatmap-size")
    quiz.check(formula.id, "not a function")
    assert "이 문제의 답은 함수" in capsys.readouterr().out
    code = quiz.get("03.bilinear-kernel")
    quiz.check(code.id, lambda k: np.zeros((1, 2)))
    assert "출력의 모양이 (1, 2)입니다" in capsys.readouterr().out
    with pytest.raises(quiz.UnknownQuestionError, match="^id가 '01.no-such-question'인 문제가 없습니다."):
        quiz.check("01.no-such-question", 1)
    assert capsys.readouterr().out == ""
    with pytest.raises(KeyError, match="문제가 없습니다"):
        quiz.get("01.no-such-question")


# Every function that takes an id, called with one.
BY_ID = {
    "check": lambda qid: quiz.check(qid, 1.0),
    "get": quiz.get,
    "show": quiz.show,
    "widget": quiz.widget,
}


@pytest.mark.parametrize("function", BY_ID)
def test_unknown_id_in_korean_names_the_nearest_ids(function, korean, capsys):
    with pytest.raises(quiz.UnknownQuestionError) as error:
        BY_ID[function]("01.iou-byhand")
    message = str(error.value)
    assert message.startswith("id가 '01.iou-byhand'인 문제가 없습니다. '01.iou-by-hand'"), message
    assert re.search(r"'\S+'를 찾으셨나요\?", message), message
    assert "모든 문제의 id는 quiz.questions()로, 1장의 문제는 quiz.questions(1)로 볼 수 있습니다." in message, message
    assert "Not yet" not in message and "아직 아닙니다" not in message
    assert capsys.readouterr().out == "", f"quiz.{function} printed something (a verdict?) for an unknown id"
    with pytest.raises(quiz.UnknownQuestionError, match="^id가 'zz'인 문제가 없습니다. 가장 가까운 id는 '.+'입니다. "):
        BY_ID[function]("zz")
    with pytest.raises(TypeError, match=f"^quiz.{function}의 첫 번째 인자는 '05.conv-count' 같은 문제 id입니다. int가 아닙니다."):
        BY_ID[function](1)


def test_unknown_id_in_english_has_no_korean(monkeypatch):
    monkeypatch.delenv("UNET_COURSE_LANG", raising=False)
    with pytest.raises(quiz.UnknownQuestionError) as error:
        quiz.check("01.iou-byhand", 1.0)
    assert str(error.value).startswith("There is no question with id '01.iou-byhand'. Did you mean '01.iou-by-hand'")
    assert not HANGUL.search(str(error.value))


def test_language_is_read_at_check_time(monkeypatch, capsys):
    monkeypatch.setenv("UNET_COURSE_LANG", "ko")
    quiz.check("01.iou-by-hand", -1.0)
    monkeypatch.setenv("UNET_COURSE_LANG", "en")
    quiz.check("01.iou-by-hand", -1.0)
    out = capsys.readouterr().out
    assert "아직 아닙니다." in out and "Not yet." in out


@pytest.mark.parametrize("value", ["fr", "korean", "kr"])
def test_unknown_language_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("UNET_COURSE_LANG", value)
    with pytest.raises(ValueError) as error:
        quiz.check("01.iou-by-hand", 1.0)
    message = str(error.value)
    assert "UNET_COURSE_LANG" in message and repr(value) in message, message
    assert re.search(r"\ben\b", message) and re.search(r"\bko\b", message), f"the valid languages are not named: {message}"


def test_localize_feedback_matches_what_check_prints_in_korean(monkeypatch, capsys):
    """The stored English outputs put into Korean (scripts/make_korean.py) equal what the check
    prints in a Korean notebook."""
    cases = [
        ("02.compose-rule", quiz.get("02.compose-rule").reference),
        ("01.iou-by-hand", -1.0),
        ("05.crop-same", quiz.get("05.crop-same")._answer),
        ("01.which-segmentation", 99),
        ("03.bilinear-kernel", lambda k: np.zeros((1, 2))),
        ("01.iou-by-hand", ...),
        ("02.compose-rule", lambda k, s, k2, s2: (k2 + (k - 1) * s2, 1)),  # verdicts on each value of a tuple
        ("01.which-segmentation", 1),  # the option as the Korean book writes it
        ("10.mirror-pad", lambda image, margin: image),  # a question's own compare message
    ]
    for qid, answer in cases:
        monkeypatch.setenv("UNET_COURSE_LANG", "en")
        quiz.check(qid, answer)
        english = capsys.readouterr().out
        monkeypatch.setenv("UNET_COURSE_LANG", "ko")
        quiz.check(qid, answer)
        korean = capsys.readouterr().out
        assert quiz.localize_feedback(english, "ko") == korean, qid
    assert quiz.localize_feedback("plain text\n[x] Correct-ish", "ko") == "plain text\n[x] Correct-ish"
    with pytest.raises(ValueError, match="en, ko"):
        quiz.localize_feedback("x", "de")


# --- the exercise prompts that the chapters show (quiz.show, quiz.widget) ----------------------


def _shown() -> list[tuple[str, Path]]:
    """(question id, chapter catalog) of every ``quiz.show("NN.id")`` in the chapters."""
    import nbformat

    make_korean = _script("make_korean")
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                found += [(m.group(1), make_korean.catalog_for(path, ROOT / "locales")) for m in make_korean.SHOW_CALL.finditer(cell.source)]
    return found


SHOWN = _shown()


def test_the_chapters_show_prompts():
    assert len(SHOWN) >= 10, f"expected the chapters to show their exercise prompts with quiz.show, found {SHOWN}"


@pytest.mark.parametrize("qid, po", SHOWN, ids=[q for q, _ in SHOWN])
def test_korean_show_is_the_catalogs_translation(qid, po, monkeypatch):
    """quiz.show in Korean prints the prompt as the chapter's catalog translates it (the message
    of every block, as the Korean book shows the stored output); English stays the default."""
    make_korean = _script("make_korean")
    english = quiz.get(qid).to_markdown()
    monkeypatch.delenv("UNET_COURSE_LANG", raising=False)
    assert quiz.show(qid).data == english
    counts = make_korean.Counts()
    expected = make_korean.translate_markdown(english, make_korean.Catalog(po), counts)
    assert counts.not_translated == 0, (
        f"{qid}: {po.name} has no Korean for {counts.untranslated + counts.missing}: translate it (make translations)"
    )
    monkeypatch.setenv("UNET_COURSE_LANG", "ko")
    korean = quiz.show(qid).data
    assert korean == expected, f"{qid}: quiz.show in Korean is not the catalog's translation: run `make korean`"
    assert HANGUL.search(korean) and korean.startswith(f"**{qid}**")


def test_prompt_table_is_current():
    """unet_course/questions/_ko_prompts.py is what scripts/make_korean.py writes from the
    catalogs today (it is generated, never edited)."""
    make_korean = _script("make_korean")
    expected = make_korean.prompt_module(make_korean.prompt_table(ROOT / "notebooks", ROOT / "locales"))
    assert make_korean.PROMPTS_FILE.read_text(encoding="utf-8") == expected, (
        "unet_course/questions/_ko_prompts.py is stale (a prompt or its catalog changed): run `make korean` and commit it"
    )


def test_shown_prompts_and_options_read_the_same_in_both_catalogs():
    """A question that a chapter shows with ``quiz.show`` has its prompt and options translated in
    the chapter's catalog (the page) and in the package's (the widget, the answer boxes): the two
    must agree, or the learner reads one question two ways."""
    table = _script("make_korean").prompt_table(ROOT / "notebooks", ROOT / "locales")
    prompts, options = catalog.table("prompt"), catalog.table("option")
    differ = []
    for qid, (_, _, messages) in sorted(table.items()):
        for english, korean in messages.items():
            ours = prompts.get(english) if english == quiz.get(qid).prompt else options.get(english)
            if ours != korean:
                differ.append(f"{qid}: {english[:60]!r}: chapter {korean!r}, package {ours!r}")
    assert len(table) >= 10, "the chapters show their questions with quiz.show"
    assert not differ, ("the package's catalog (unet_course/locale/ko/LC_MESSAGES/unet_course.po, contexts "
                        "prompt and option) and the chapter's catalog translate a shown prompt differently:\n"
                        + "\n".join(differ))


@pytest.mark.parametrize("question", BANK, ids=[q.id for q in BANK])
def test_every_prompt_and_option_has_its_korean_version(question):
    prompts, options = catalog.table("prompt"), catalog.table("option")
    assert HANGUL.search(prompts.get(question.prompt, "")), (
        f"{question.id}: its prompt has no Korean version in the package's catalog (context prompt): the "
        f"answer box of the Korean book would show it in English:\n{question.prompt}")
    for option in getattr(question, "options", ()):
        assert option in options, f"{question.id}: option {option!r} has no Korean version (context option)"


def test_korean_widget_title_and_options(monkeypatch):
    pytest.importorskip("ipywidgets")

    qid = next(q for q, _ in SHOWN if isinstance(quiz.get(q), quiz.Choice))
    question = quiz.get(qid)
    monkeypatch.setenv("UNET_COURSE_LANG", "ko")
    title, radio = quiz.widget(qid).children[:2]
    assert html.escape(catalog.table("prompt")[question.prompt]) in title.value and HANGUL.search(title.value)
    assert [label for label, _ in radio.options] == [
        f"{i}: {catalog.table('option')[o]}" for i, o in enumerate(question.options)
    ]
    monkeypatch.delenv("UNET_COURSE_LANG")
    title, radio = quiz.widget(qid).children[:2]
    assert question.options[0] in radio.options[0][0] and not HANGUL.search(title.value)


# --- Korean that reads as Korean: particles, ordinals, one register ----------------------------

from unet_course.quiz import korean as korean_grammar  # noqa: E402


@pytest.mark.parametrize("word, particle, expected", [
    ("사과", "을", "사과를"), ("책", "을", "책을"), ("텐서(tensor)", "을", "텐서(tensor)를"), ("배열(array)", "이", "배열(array)이"),
    ("3", "은", "3은"), ("2", "은", "2는"), ("-1", "은", "-1은"), ("10", "이", "10이"), ("0.5", "을", "0.5를"),
    ("(4, 4)", "이어야", "(4, 4)여야"), ("(4, 6)", "이어야", "(4, 6)이어야"), ("5", "으로", "5로"), ("3", "으로", "3으로"),
    ("7", "으로", "7로"), ("길", "으로", "길로"), ("집", "으로", "집으로"), ("True", "가", "True가"), ("None", "가", "None이"),
    ("nan", "을", "nan을"), ("int", "이", "int가"), ("tuple", "은", "tuple은"), ("bool", "로", "bool로"), ("map", "를", "map을"),
    ("'05.crop-same'", "은", "'05.crop-same'은"), ("'01.iou-by-hand'", "을", "'01.iou-by-hand'를"), ("L", "로", "L로"),
    ("x", "을", "x를"), ("NoneType", "이", "NoneType이"), ("σ", "을", "σ을(를)"), ("", "은", "은(는)"),
])
def test_particles_follow_how_the_word_before_them_ends(word, particle, expected):
    assert korean_grammar.with_particle(word, particle) == expected


def test_hangul_final_consonant_is_read_from_the_syllable():
    # an independent reference: the final consonant of every Hangul syllable from its decomposition
    import unicodedata
    for code in range(0xAC00, 0xD7A4, 97):
        syllable = chr(code)
        jamo = unicodedata.normalize("NFD", syllable)
        expected = "vowel" if len(jamo) == 2 else "ㄹ" if jamo[2] == "\u11af" else "consonant"
        assert korean_grammar.final_sound(syllable) == expected, syllable
    with pytest.raises(ValueError, match="unknown Korean particle"):
        korean_grammar.with_particle("사과", "도")


def test_korean_ordinals():
    assert [korean_grammar.korean_ordinal(i) for i in range(4)] == ["첫 번째", "두 번째", "세 번째", "네 번째"]
    assert korean_grammar.korean_ordinal(10) == "열한 번째" and korean_grammar.korean_ordinal(24) == "25번째"


def test_tuple_verdicts_in_korean_count_in_korean(korean, capsys):
    """The tuple of 02.compose-rule: one verdict per value, Korean ordinals, no English ones."""
    quiz.check("02.compose-rule", lambda k, s, k2, s2: (k2 + (k - 1) * s2, 1))
    out = capsys.readouterr().out
    assert "첫 번째 값은 맞습니다. 두 번째 값은 1로 너무 작습니다." in out, out
    assert not re.search(r"\d(st|nd|rd|th)\b", out), f"an English ordinal in the Korean feedback: {out}"


KOREAN_TEXTS = {
    **{f"message {k!r}": v for k, v in MESSAGES_KO.items()},
    **{f"hint {k!r}": v for k, v in HINTS_KO.items()},
    **{f"explanation {k!r}": v for k, v in EXPLANATIONS_KO.items()},
}
# a particle written after a field instead of chosen for its value ({value:을}); the copula
# (입니다, 이고, 일 때, 인) fits every word and stays
FIXED_PARTICLE = re.compile(r"\}(을\(를\)|은\(는\)|이\(가\)|과\(와\)|\(으\)로|[을를은는가와과]|이(?![고다])|으?로)")


def test_no_particle_after_a_field_is_hard_coded():
    fixed = [f"{name}: {text}" for name, text in KOREAN_TEXTS.items() if FIXED_PARTICLE.search(text)]
    assert not fixed, "write the particle as the field's format spec ({value:을}), not after it:\n" + "\n".join(fixed)


def test_korean_speaks_to_the_learner_in_one_register():
    """Requests in 해요체 (~세요) and questions as the prompts ask them (~까요?, ~나요?); never the
    하십시오체 request (~십시오) or question (~습니까?, ~ㅂ니까?). Statements stay 합니다체."""
    other = re.compile(r"십시오|시오\.|니까[?,]")
    found = [f"{name}: {text}" for name, text in KOREAN_TEXTS.items() if other.search(text)]
    assert not found, "Korean in the other register (CONTRIBUTING.md, Korean register):\n" + "\n".join(found)


def _unmarked_returns() -> list[str]:
    """Every ``return`` of a literal string or an f-string in a question's compare function: such a
    message escapes the catalog (``make translations`` extracts only texts marked ``N_(...)``)."""
    found = []
    for path in sorted((ROOT / "unet_course" / "questions").glob("ch*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not (isinstance(function, ast.FunctionDef) and function.name.startswith("_compare")):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Return) and (
                        isinstance(node.value, ast.JoinedStr)
                        or (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))):
                    found.append(f"{path.name}:{node.lineno} ({function.name})")
    return found


def test_every_compare_message_is_marked_for_the_catalog():
    unmarked = _unmarked_returns()
    assert not unmarked, (
        "a compare function returns a message the catalog cannot hold; write it as "
        "N_(\"... {field} ...\").format(field=...) (unet_course.quiz.catalog.N_) and run `make translations`: "
        + ", ".join(unmarked))


def test_a_compare_message_reaches_the_learner_in_korean(korean, capsys):
    quiz.check("10.mirror-pad", lambda image, margin: image)
    out = capsys.readouterr().out
    assert "패딩한 이미지의 모양이 (6, 7)입니다. 6x7 이미지의 네 변에 2씩 패딩하면 (10, 11)이 됩니다." in out, out
    assert "your padded image" not in out


def test_widget_words_are_korean(monkeypatch):
    pytest.importorskip("ipywidgets")
    qid = next(q.id for q in BANK if isinstance(q, quiz.TrueFalse))
    monkeypatch.setenv("UNET_COURSE_LANG", "ko")
    _, radio, button, _ = quiz.widget(qid).children
    assert [label for label, _ in radio.options] == ["참", "거짓"] and [v for _, v in radio.options] == [True, False]
    assert button.description == "확인"
    monkeypatch.delenv("UNET_COURSE_LANG")
    _, radio, button, _ = quiz.widget(qid).children
    assert [label for label, _ in radio.options] == ["True", "False"] and button.description == "Check"


def test_korean_option_text_is_an_answer(korean, capsys):
    question = quiz.get("01.which-segmentation")
    assert quiz.check(question.id, catalog.table("option")[question.options[question._answer]]) is True
    capsys.readouterr()
