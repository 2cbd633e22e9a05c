"""Tests of the exercise checker ``unet_course.quiz``: every kind, right and wrong answers, bad
inputs, unknown ids (an error naming the nearest ids), the bank loader, and that no message
reveals the answer."""

from __future__ import annotations

import ast
import difflib
import textwrap

import numpy as np
import pytest
import torch

from unet_course import quiz


def run_check(question: quiz.Question, answer, capsys) -> tuple[bool, str]:
    result = question.check(answer)
    return result, capsys.readouterr().out


# --- Numeric ----------------------------------------------------------------------------------

def test_numeric_right_and_wrong(capsys):
    q = quiz.Numeric("99.iou", "IoU?", 0.6251, rtol=1e-3, hint="intersection over union")
    ok, out = run_check(q, 0.6252, capsys)
    assert ok is True and "Correct" in out and "Hint" not in out
    ok, out = run_check(q, 0.7, capsys)
    assert ok is False and "too large" in out and "Hint: intersection over union" in out
    assert "0.6251" not in out
    ok, out = run_check(q, 0.5, capsys)
    assert ok is False and "too small" in out


@pytest.mark.parametrize("answer", [np.float32(7.0), np.array(7), torch.tensor(7.0), torch.tensor([7]), 7])
def test_numeric_accepts_numpy_and_torch_scalars(answer, capsys):
    assert quiz.Numeric("99.seven", "Seven?", 7).check(answer) is True


def test_numeric_callable_answer_is_evaluated_once():
    calls = []

    def answer():
        calls.append(1)
        return 23

    q = quiz.Numeric("99.count", "How many?", answer, atol=0.5)
    assert q.check(23) and q.check(23.2) and not q.check(24)
    assert len(calls) == 1


@pytest.mark.parametrize("bad", ["23", None, [1, 2], np.zeros(3), True, 1 + 2j, {"a": 1}])
def test_numeric_wrong_type_is_a_message(bad, capsys):
    ok, out = run_check(quiz.Numeric("99.n", "n?", 23), bad, capsys)
    assert ok is False
    assert "one number" in out


def test_numeric_nan_is_a_message(capsys):
    ok, out = run_check(quiz.Numeric("99.n", "n?", 1.5), float("nan"), capsys)
    assert ok is False and "NaN" in out and "1.5" not in out


# --- Choice -----------------------------------------------------------------------------------

def make_choice() -> quiz.Choice:
    return quiz.Choice("99.pad", "Which padding keeps sizes?", ["valid", "same", "full"], 1, hint="3x3, padding 1")


def test_choice_by_index_and_text(capsys):
    q = make_choice()
    assert q.check(1) is True
    assert q.check(np.int64(1)) is True
    assert q.check("  SAME ") is True
    ok, out = run_check(q, 0, capsys)
    assert ok is False and "'valid'" in out and "Hint: 3x3, padding 1" in out


@pytest.mark.parametrize("bad, words", [(7, "no option 7"), (-1, "no option -1"), ("zero", "not one of the options"),
                                        (True, "index of an option"), (1.0, "index of an option"), (None, "index")])
def test_choice_bad_inputs(bad, words, capsys):
    ok, out = run_check(make_choice(), bad, capsys)
    assert ok is False and words in out


def test_choice_wrong_answer_never_names_the_right_option(capsys):
    q = make_choice()
    for wrong in (0, 2):
        _, out = run_check(q, wrong, capsys)
        assert "'same'" not in out and "1:" not in out


def test_choice_construction_errors():
    with pytest.raises(ValueError, match="at least two"):
        quiz.Choice("99.c", "?", ["only"], 0)
    with pytest.raises(ValueError, match="index 0..1"):
        quiz.Choice("99.c", "?", ["a", "b"], 2)
    with pytest.raises(ValueError, match="same text"):
        quiz.Choice("99.c", "?", ["a", "A "], 0)


# --- TrueFalse --------------------------------------------------------------------------------

def test_true_false(capsys):
    q = quiz.TrueFalse("99.tf", "U-Net is trained on whole images.", False, hint="tiles", explanation="It uses tiles.")
    ok, out = run_check(q, False, capsys)
    assert ok and "It uses tiles." in out
    ok, out = run_check(q, True, capsys)
    assert not ok and "Hint: tiles" in out and "It uses tiles" not in out
    assert q.check(np.bool_(False)) and q.check(torch.tensor(False)) and q.check("false") and q.check("X")
    assert q.check("거짓") and not q.check("O")


@pytest.mark.parametrize("bad", [0, 1, "maybe", None, [True]])
def test_true_false_wrong_type(bad, capsys):
    ok, out = run_check(quiz.TrueFalse("99.tf", "?", True), bad, capsys)
    assert ok is False and "True or False" in out


# --- Formula ----------------------------------------------------------------------------------

def compose(k, s, k2, s2):
    return k2 + (k - 1) * s2, s * s2


SAMPLES = [(3, 1, 3, 1), (2, 2, 3, 1), (3, 2, 2, 2), (5, 1, 1, 4)]


def make_formula() -> quiz.Formula:
    return quiz.Formula("99.compose", "f_ks after g_k's'", compose, SAMPLES, hint="count input pixels")


def test_formula_right(capsys):
    ok, out = run_check(make_formula(), lambda k, s, k2, s2: (k2 + (k - 1) * s2, s * s2), capsys)
    assert ok and "all 4 samples" in out


def test_formula_wrong_component_is_named_but_not_revealed(capsys):
    ok, out = run_check(make_formula(), lambda k, s, k2, s2: (k + (k2 - 1) * s, s * s2), capsys)
    assert not ok
    assert "1st value (" in out and "2nd value is right" in out
    assert "Hint: count input pixels" in out
    # the failing sample is (2, 2, 3, 1): the reference (4, 2) must not be printed
    assert "k=2, s=2, k2=3, s2=1" in out and "(4, 2)" not in out and "is too" in out


def test_formula_samples_may_be_a_callable(capsys):
    q = quiz.Formula("99.sq", "x squared", lambda x: x * x, lambda: [(x,) for x in range(-3, 4)])
    assert q.check(lambda x: x**2)
    ok, out = run_check(q, lambda x: 2 * x, capsys)
    assert not ok and "x=-3" in out and "too small" in out


@pytest.mark.parametrize(
    "bad, words",
    [
        ((7, 4), "wants a function(k, s, k2, s2)"),
        (lambda k, s: k, "must take 4 argument"),
        (lambda k, s, k2, s2: 1 / 0, "raised ZeroDivisionError"),
        (lambda k, s, k2, s2: k, "should return 2 values"),
        (lambda k, s, k2, s2: (1, 2, 3), "returns 3 values"),
        (lambda k, s, k2, s2: None, "forget `return`"),
        (lambda k, s, k2, s2: ("a", 1), "should be a number"),
    ],
)
def test_formula_bad_inputs(bad, words, capsys):
    ok, out = run_check(make_formula(), bad, capsys)
    assert ok is False and words in out and "Traceback" not in out


# --- CodeExercise -----------------------------------------------------------------------------

def center_crop(x: np.ndarray, size: int) -> np.ndarray:
    top = (x.shape[0] - size) // 2
    left = (x.shape[1] - size) // 2
    return x[top : top + size, left : left + size]


def crop_cases():
    rng = np.random.default_rng(0)
    return [(rng.random((8, 8)), 4), (rng.random((9, 9)), 5), (rng.random((6, 6)), 6)]


def make_code() -> quiz.CodeExercise:
    return quiz.CodeExercise("99.crop", "Center crop", center_crop, crop_cases, hint="remove (n - size) // 2")


def test_code_exercise_right(capsys):
    def mine(x, size):
        d = (len(x) - size) // 2
        return torch.from_numpy(x)[d : d + size, d : d + size]

    ok, out = run_check(make_code(), mine, capsys)
    assert ok and "all 3 test cases" in out


def test_code_exercise_shape_mismatch(capsys):
    ok, out = run_check(make_code(), lambda x, size: x[1:-1, 1:-1], capsys)
    assert not ok
    assert "shape (6, 6), it should have shape (4, 4)" in out
    assert "x=array of shape (8, 8), float64, size=4" in out


def test_code_exercise_first_differing_index(capsys):
    ok, out = run_check(make_code(), lambda x, size: x[:size, :size], capsys)
    assert not ok and "first is index (0, 0)" in out and "yours is" in out


def test_code_exercise_reader_raises(capsys):
    def broken(x, size):
        raise IndexError("bad slice")

    ok, out = run_check(make_code(), broken, capsys)
    assert not ok and "Your function raised IndexError: bad slice on input (x=array of shape (8, 8)" in out


def test_code_exercise_does_not_let_the_reader_mutate_the_cases(capsys):
    def mutating(x, size):
        out = center_crop(x, size).copy()
        x[:] = 0  # a reader's function that scribbles on its input after computing the answer
        return out

    # the reference runs on its own copy, so a mutating answer is still compared fairly
    assert make_code().check(mutating) is True


def test_code_exercise_custom_compare(capsys):
    def compare(yours, expected, args):
        removed = (args[0].shape[1] - yours.shape[1]) // 2
        should = (args[0].shape[1] - expected.shape[1]) // 2
        return None if removed == should else f"your crop removes {removed} pixels on the left, it should remove {should}"

    q = quiz.CodeExercise("99.crop2", "crop", center_crop, crop_cases, compare=compare)
    ok, out = run_check(q, lambda x, size: x[1:-1, 1:-1], capsys)
    assert not ok and "your crop removes 1 pixels on the left, it should remove 2" in out


@pytest.mark.parametrize("bad, words", [(np.zeros(3), "wants a function"), (lambda x: x, "must take 2 argument"),
                                        (lambda x, size: None, "forget `return`"), (lambda x, s: "x", "should be an array")])
def test_code_exercise_bad_inputs(bad, words, capsys):
    ok, out = run_check(make_code(), bad, capsys)
    assert ok is False and words in out


def test_default_compare_tuples_and_scalars():
    a = np.arange(4.0)
    assert quiz.default_compare((a, 3), (a.copy(), 3), ()) is None
    assert "2nd returned value" in quiz.default_compare((a, 4), (a, 3), ())
    assert "too large" in quiz.default_compare(4, 3, ())
    assert quiz.default_compare(np.array([True, False]), np.array([1, 0]), ()) is None


# --- construction, ids, the bank --------------------------------------------------------------

@pytest.mark.parametrize("bad_id", ["5.x", "05-x", "05.", "05.Bad", "ab.x", 5, "05.x y"])
def test_bad_ids_are_refused(bad_id):
    with pytest.raises(ValueError, match="NN.short-name"):
        quiz.Numeric(bad_id, "?", 1)


@pytest.fixture
def small_bank(monkeypatch):
    bank = {q.id: q for q in (make_choice(), make_formula(), quiz.Numeric("98.n", "n?", 1))}
    monkeypatch.setattr(quiz.bank, "load_bank", lambda package=quiz.BANK_PACKAGE: bank)
    return bank


def test_check_known_id_through_the_bank(small_bank, capsys):
    assert quiz.check("99.pad", 1) is True
    assert quiz.check("99.pad", 0) is False and "Not yet." in capsys.readouterr().out


# Every function that takes an id, called with one: an unknown id must not read as a wrong answer.
BY_ID = {
    "check": lambda qid: quiz.check(qid, lambda *a: 0),
    "get": quiz.get,
    "show": quiz.show,
    "widget": quiz.widget,
}


@pytest.mark.parametrize("function", BY_ID)
def test_unknown_id_is_an_error_that_names_the_nearest_ids(function, small_bank, capsys):
    with pytest.raises(quiz.UnknownQuestionError) as error:
        BY_ID[function]("99.compse")
    message = str(error.value)
    assert message.startswith("There is no question with id '99.compse'. Did you mean '99.compose'?"), message
    assert "quiz.questions() lists every question by its id; quiz.questions(99) lists those of chapter 99." in message
    assert isinstance(error.value, KeyError), "callers that catch KeyError (quiz.get's old error) still catch it"
    assert capsys.readouterr().out == "", f"quiz.{function} printed something (a verdict?) for an unknown id"


@pytest.mark.parametrize("function", BY_ID)
def test_unknown_id_with_no_close_one_still_names_the_nearest(function, small_bank):
    # difflib finds no id of the bank within its default cutoff (0.6) of '07.padding-rule'
    assert not difflib.get_close_matches("07.padding-rule", list(small_bank))
    with pytest.raises(quiz.UnknownQuestionError, match=r"The nearest id is '99\.pad'\. quiz\.questions\(\) lists"):
        BY_ID[function]("07.padding-rule")


@pytest.mark.parametrize("function", BY_ID)
def test_an_id_that_is_not_a_string_is_a_type_error(function, small_bank, capsys):
    with pytest.raises(TypeError, match=f"The first argument of quiz.{function} is a question id like '05.conv-count', not int"):
        BY_ID[function](99)
    assert capsys.readouterr().out == ""


def write_package(root, name, modules):
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for module, body in modules.items():
        (pkg / f"{module}.py").write_text(textwrap.dedent(body))


def test_load_bank_detects_duplicates(tmp_path, monkeypatch):
    body = "from unet_course import quiz\nQUESTIONS = [quiz.Numeric('07.angle', 'a?', 1)]\n"
    write_package(tmp_path, "dupbank", {"ch07_a": body, "ch07_b": body})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(quiz.DuplicateIdError, match=r"'07.angle' is defined twice: in dupbank.ch07_a and in dupbank.ch07_b"):
        quiz.load_bank("dupbank")


def test_load_bank_checks_module_contents(tmp_path, monkeypatch):
    write_package(tmp_path, "badbank1", {"ch03_x": "QUESTIONS = [1]\n"})
    write_package(tmp_path, "badbank2", {"ch03_x": "X = 1\n"})
    write_package(tmp_path, "badbank3", {"ch03_x": "from unet_course import quiz\nQUESTIONS = [quiz.Numeric('04.a', 'a', 1)]\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TypeError, match="not a quiz question"):
        quiz.load_bank("badbank1")
    with pytest.raises(TypeError, match="must define QUESTIONS"):
        quiz.load_bank("badbank2")
    with pytest.raises(ValueError, match="must start with '03.'"):
        quiz.load_bank("badbank3")


def test_the_real_bank_loads_and_lists_by_chapter():
    everything = quiz.questions()
    ids = [q.id for q in everything]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for q in everything:
        assert isinstance(q, quiz.Question)
        assert [p.id for p in quiz.questions(q.chapter)] == [i for i in ids if i.startswith(q.id[:3])]
    with pytest.raises(ValueError, match="chapter number"):
        quiz.questions("five")


# --- display ----------------------------------------------------------------------------------

def test_show_renders_markdown_with_options_but_not_the_answer():
    md = quiz.show(make_choice())._repr_markdown_()
    assert "Which padding keeps sizes?" in md and "- **0**: valid" in md and "- **2**: full" in md
    tf = quiz.show(quiz.TrueFalse("99.tf", "Cropping is necessary.", True, explanation="secret"))._repr_markdown_()
    assert "- True" in tf and "secret" not in tf


def test_widget_checks_choice_and_refuses_other_kinds():
    pytest.importorskip("ipywidgets")
    box = quiz.widget(make_choice())
    title, radio, button, verdict = box.children
    button.click()
    assert "Pick an option" in verdict.value
    radio.value = 0
    button.click()
    assert "Not yet" in verdict.value
    radio.value = 1
    button.click()
    assert "Correct" in verdict.value
    tf = quiz.widget(quiz.TrueFalse("99.tf", "?", False))
    tf.children[1].value = False
    tf.children[2].click()
    assert "Correct" in tf.children[3].value
    with pytest.raises(TypeError, match="quiz.check"):
        quiz.widget(make_formula())


def test_messages_never_contain_the_answer(capsys):
    """A sweep: for every kind, wrong answers print nothing that reveals the reference."""
    q = quiz.Numeric("99.params", "?", 31030658)
    for wrong in (31030659 * 2, 0, "many"):
        _, out = run_check(q, wrong, capsys)
        assert "31030658" not in out and "3.10307e+07" not in out
    f = quiz.Formula("99.out", "?", lambda n: (n - 4) // 2, [(284,), (572,)])
    _, out = run_check(f, lambda n: n // 2, capsys)
    assert "n=284" in out and "(142) is too large" in out  # the sample and the reader's value ...
    assert "140" not in out  # ... but not the reference's
    c = quiz.CodeExercise("99.code", "?", lambda n: n * 3, [(5,)])
    _, out = run_check(c, lambda n: n * 2, capsys)
    assert "10 is too small" in out and "15" not in out


# --- the learner's edition: unanswered stubs ------------------------------------------------

def _stub(v, w):
    ...


def _stub_with_docstring(v):
    """Write me."""
    ...


class _StubClass:
    ...


def _answered(v, w):
    return None


@pytest.mark.parametrize(
    "question",
    [make_choice(), quiz.Numeric("99.n", "n?", 23), quiz.TrueFalse("99.tf", "?", True), make_formula(), make_code()],
    ids=lambda q: q.kind,
)
@pytest.mark.parametrize("stub", [..., _stub, _stub_with_docstring, _StubClass, (1, ...), [..., ...], {"a": ...}],
                         ids=["ellipsis", "function", "docstring", "class", "tuple", "list", "dict"])
def test_unanswered_stub_is_a_friendly_not_yet(question, stub, capsys):
    ok, out = run_check(question, stub, capsys)
    assert ok is False
    assert out.startswith(f"[{question.id}] Not answered yet.") and "..." in out
    assert "Hint" not in out and "Traceback" not in out


def test_unanswered_through_the_bank(capsys, monkeypatch):
    monkeypatch.setattr(quiz.bank, "load_bank", lambda package=quiz.BANK_PACKAGE: {"99.n": quiz.Numeric("99.n", "n?", 23)})
    assert quiz.check("99.n", ...) is False
    assert "Not answered yet." in capsys.readouterr().out


def test_a_function_that_does_something_is_graded_not_skipped(capsys):
    assert not quiz.unanswered(_answered) and not quiz.unanswered(lambda v, w: None)
    assert not quiz.unanswered(0) and not quiz.unanswered(None) and not quiz.unanswered((1, 2))
    ok, out = run_check(make_formula(), lambda k, s, k2, s2: (k, s), capsys)
    assert ok is False and "Not answered" not in out


def test_verdicts_use_characters_every_font_has(capsys):
    for text in (quiz.RIGHT, quiz.WRONG, quiz.UNANSWERED):
        assert all(ord(ch) < 0x100 for ch in text), f"{text!r} needs a font beyond Latin-1"
    make_choice().check(0)
    make_choice().check(1)
    quiz.Numeric("99.n", "n?", 23).check(...)
    out = capsys.readouterr().out
    assert all(ord(ch) < 0x100 for ch in out), [ch for ch in out if ord(ch) >= 0x100]


def test_a_value_that_breaks_the_grader_is_a_message_not_a_traceback(capsys):
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("no comparison")

    q = quiz.CodeExercise("99.w", "?", lambda: object(), [()])
    ok, out = run_check(q, lambda: Weird(), capsys)
    assert ok is False and "could not be graded" in out


# --- the package's layout ----------------------------------------------------------------------

def test_each_quiz_module_is_small_and_says_what_it_serves():
    from pathlib import Path

    for path in sorted(Path(quiz.__file__).parent.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) <= 250, f"quiz/{path.name} has {len(lines)} lines; split it by job"
        doc = ast.get_docstring(ast.parse("\n".join(lines))) or ""
        last = doc.strip().splitlines()[-1] if doc.strip() else ""
        assert last.startswith("Serves: ") and doc.count("Serves:") == 1, (
            f"quiz/{path.name}: its docstring should end with one line 'Serves: <section>; <chapters>.'"
        )


def test_english_tuple_verdicts_keep_english_ordinals(monkeypatch, capsys):
    """The Korean grammar (ordinals, particles, one sentence a verdict) leaves English as it was."""
    monkeypatch.delenv("UNET_COURSE_LANG", raising=False)
    quiz.check("02.compose-rule", lambda k, s, k2, s2: (k2 + (k - 1) * s2, 1))
    out = capsys.readouterr().out
    assert "the 1st value is right; the 2nd value (1) is too small." in out, out
