"""python -m unet_course grade: learners' notebooks run in fresh kernels, their checks tabulated.

The learners' notebooks are made from the learner's edition of chapter 01 (the shortest to run)
by filling answer cells with the full notebook's solutions (the cell of the same id) or with
answers known to be wrong; the expected verdicts follow from what was filled in, not from the
grader. The notebooks are graded once (module fixture, two at a time).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import re
import time
from pathlib import Path

import nbformat
import pytest

from unet_course import quiz
from unet_course.cli import main
from unet_course.grading import command, csv_text, grade_notebooks, html_text, learner_names, read_course_notebook
from unet_course.grading.notebooks import CourseNotebook, exercise_at
from unet_course.grading.run import combine

ROOT = Path(__file__).resolve().parents[1]
LEARNER_01 = ROOT / "learner" / "01_segmentation_basics.ipynb"
FULL_01 = ROOT / "notebooks" / "01_segmentation_basics.ipynb"
CH01 = ["01.predict-all-background", "01.iou-by-hand", "01.which-segmentation", "01.iou-function", "01.touching-pairs"]


def _answer_cell(nb, qid: str):
    """The answer cell of exercise ``qid``: the last ``student-answer`` cell before its check."""
    check = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and f'quiz.check("{qid}"' in c.source)
    return next(c for c in reversed(nb.cells[:check]) if "student-answer" in c.metadata.get("tags", []))


def _learner_01(answers: dict[str, str | None]) -> nbformat.NotebookNode:
    """The learner's edition of chapter 01 with answers: a source, or None for the full notebook's solution."""
    nb = nbformat.read(LEARNER_01, as_version=4)
    solutions = {c.get("id"): c.source for c in nbformat.read(FULL_01, as_version=4).cells}
    for qid, source in answers.items():
        cell = _answer_cell(nb, qid)
        cell.source = solutions[cell.id] if source is None else source
    return nb


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Six notebooks of six learners graded by the command line; (folder, out, tree before, stdout)."""
    root = tmp_path_factory.mktemp("group")
    subs = root / "submissions"
    notebooks = {
        "alice/01_segmentation_basics.ipynb": _learner_01({}),  # as shipped: nothing answered
        "bob/01_segmentation_basics.ipynb": _learner_01({      # partly right
            "01.predict-all-background": None, "01.which-segmentation": "answer = 1  # instance\n",
            "01.iou-function": None}),
        "carol/01_segmentation_basics.ipynb": _learner_01({    # her second answer cell raises
            "01.predict-all-background": None, "01.iou-by-hand": "answer = intersection_over_union(EXAMPLE_PRED)\n"}),
    }
    erin = nbformat.v4.new_notebook(metadata={"unet_course_edition": "learner"})  # chapter 10, stops outside a check
    erin.cells = [nbformat.v4.new_code_cell(s) for s in (
        "from unet_course import quiz",
        'quiz.check("10.mirror-why", 1)\nquiz.check("10.dense-loss", True)',
        'quiz.check("10.conv-23", False)  # the paper counts 23',
        'raise RuntimeError("my own experiment went wrong")',
        'quiz.check("10.cropping", True)')]
    notebooks["erin/10_quiz_review.ipynb"] = erin
    notebooks["dave/notes.ipynb"] = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1 + 1)")])
    for name, nb in notebooks.items():
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, subs / name)
    (subs / "frank").mkdir()
    (subs / "frank" / "broken.ipynb").write_text("this is not JSON", encoding="utf-8")
    before = _tree(subs)
    out = root / "report"
    captured = []

    def keep(*args, **kwargs):  # the command's grades, to render them again in Korean
        captured.extend(grade_notebooks(*args, **kwargs))
        return captured

    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout):
        patch.setattr(command, "grade_notebooks", keep)
        status = main(["grade", str(subs), "--out", str(out), "--workers", "2", "--timeout", "240", "--quiet",
                       "--lang", "en"])
    assert status == 0, f"grade exited with {status}: {stdout.getvalue()}"
    return subs, out, before, stdout.getvalue(), captured


def _rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))


def test_each_learner_gets_the_verdicts_of_what_they_wrote(graded):
    subs, out, _, _, _ = graded
    rows = _rows(out)
    assert list(rows[0]) == ["learner", "notebook", "chapter", "question", "verdict", "status"]
    got = {(r["learner"], r["question"]): r["verdict"] for r in rows}
    expected = {
        "alice": ["not answered"] * 5,
        "bob": ["right", "not answered", "not yet", "right", "not answered"],
        "carol": ["right", "error", "not reached", "not reached", "not reached"],
    }
    for learner, verdicts in expected.items():
        assert [got[(learner, q)] for q in CH01] == verdicts, f"{learner}: {[got[(learner, q)] for q in CH01]}"
        assert [r["question"] for r in rows if r["learner"] == learner] == CH01, \
            "one row per exercise, in the notebook's order"
    status = {r["learner"]: r["status"] for r in rows}
    assert status["alice"] == status["bob"] == "ran"
    assert re.fullmatch(r"failed: cell \d+ raised NameError: name 'intersection_over_union' is not defined",
                        status["carol"]), status["carol"]
    # chapter 10: every question of the bank listed, the three checks before the failure graded, no 'error':
    # the notebook stopped in a cell of no exercise
    erin = [r for r in rows if r["learner"] == "erin"]
    assert [r["question"] for r in erin][:3] == ["10.mirror-why", "10.dense-loss", "10.conv-23"]
    assert sorted(r["question"] for r in erin) == sorted(q.id for q in quiz.questions(10))
    assert [r["verdict"] for r in erin] == ["right", "right", "not yet"] + ["not reached"] * (len(erin) - 3)
    assert {r["chapter"] for r in erin} == {"10"} and {r["chapter"] for r in rows if r["learner"] == "bob"} == {"01"}
    assert erin[0]["status"] == "failed: cell 4 raised RuntimeError: my own experiment went wrong"
    others = {r["learner"]: r for r in rows if r["chapter"] == ""}
    assert set(others) == {"dave", "frank"} and all(r["question"] == r["verdict"] == "" for r in others.values())
    assert others["dave"]["status"] == "not a course notebook: no mark of the course's editions and no quiz.check call"
    assert others["frank"]["status"].startswith("not a course notebook: not readable as a notebook")
    assert others["dave"]["notebook"] == str(subs / "dave" / "notes.ipynb")


def test_the_learners_files_are_only_read(graded):
    subs, _, before, _, _ = graded
    assert _tree(subs) == before, "grading changed, added or removed files in the learners' folders"


def test_html_totals_status_and_escaping(graded):
    _, out, _, stdout, _ = graded
    text = (out / "grades.html").read_text(encoding="utf-8")
    assert "<script" not in text and not re.search(r"(src|href)=", text) and "<link" not in text, \
        "the report must be self-contained"
    chapter_01 = text[text.index("Chapter 01"):text.index("Chapter 10")]
    totals = re.search(r"<tfoot>(.*?)</tfoot>", chapter_01, re.S).group(1)
    # right, of 3 notebooks: predict (bob, carol), iou-by-hand (none), which (none), iou-function (bob), pairs (none)
    assert re.findall(r"<td[^>]*>(\d+ / \d+)</td>", totals) == ["2 / 3", "0 / 3", "0 / 3", "1 / 3", "0 / 3"]
    assert re.findall(r'<td class="missed">(\d+ / 3)</td>', totals) == ["0 / 3", "0 / 3", "1 / 3", "0 / 3"]
    assert "right, of 3 notebook(s)" in totals
    assert "failed: cell" in chapter_01 and ">ran<" in chapter_01
    assert "Not course notebooks" in text and "not a course notebook: no mark" in text
    assert "my own experiment went wrong" in text
    assert "6 notebook(s): 2 ran, 2 failed, 2 not a course notebook" in stdout
    assert "0 error" not in stdout and "1 error" in stdout


def test_korean_report_words(graded):
    grades = graded[-1]
    text = html_text(grades, "ko")
    assert '<html lang="ko">' in text
    for word in ("맞음", "아직", "답 없음", "오류", "도달하지 못함", "실행됨", "실패", "과정 노트북이 아님", "01장", "학습자"):
        assert word in text, f"{word!r} missing from the Korean report"
    assert "셀 " in text and "오류가 일어났습니다" in text
    assert ">not yet<" not in text and ">right<" not in text


def test_csv_text_and_escaping(graded):
    grade = next(g for g in graded[-1] if g.chapter == 1)
    renamed = dataclasses.replace(grade, learner='김민수 <b>"', verdicts=dict(grade.verdicts))
    rows = list(csv.reader(io.StringIO(csv_text([renamed]))))
    assert rows[1][0] == '김민수 <b>"' and len(rows) == 1 + len(grade.verdicts)
    assert "김민수 &lt;b&gt;&quot;" in html_text([renamed], "ko"), "names are escaped in the HTML"


def test_learner_names(tmp_path):
    flat = [tmp_path / "alice.ipynb", tmp_path / "bob.ipynb"]
    assert learner_names(flat) == ["alice", "bob"]
    nested = [tmp_path / "alice" / "05_unet.ipynb", tmp_path / "bob" / "05_unet.ipynb", tmp_path / "bob" / "01_x.ipynb"]
    assert learner_names(nested) == ["alice", "bob", "bob"]
    assert learner_names(nested[2:], "folder") == ["bob"]
    one_learner = [tmp_path / "alice" / "05_unet.ipynb", tmp_path / "alice" / "06_tiles.ipynb"]
    assert learner_names(one_learner) == ["alice", "alice"], "the course's file names name no learner"
    one_folder = [tmp_path / "05_alice.ipynb", tmp_path / "05_bob.ipynb"]
    assert learner_names(one_folder) == ["05_alice", "05_bob"], "one folder with two notebooks of one chapter"
    assert learner_names(one_folder, "folder") == [tmp_path.name] * 2
    twice = [tmp_path / "a" / "x" / "n.ipynb", tmp_path / "b" / "x" / "n.ipynb"]
    assert learner_names(twice) == ["a/x", "b/x"]
    with pytest.raises(ValueError, match="--names folder"):
        learner_names(nested, "file")


def test_chapter_from_file_name_or_checks(tmp_path):
    bank = quiz.questions()
    chapters, ids = {q.chapter for q in bank}, {q.id for q in bank}

    def read(name, cells, metadata=None):
        nb = nbformat.v4.new_notebook(metadata=metadata or {}, cells=[nbformat.v4.new_code_cell(c) for c in cells])
        nbformat.write(nb, tmp_path / name)
        return read_course_notebook(tmp_path / name, chapters, ids)

    mark = {"unet_course_edition": "learner"}
    assert read("05_unet.ipynb", ["x = 1"], mark).chapter == 5
    assert read("alice.ipynb", ['quiz.check("07.grid-spacing", 1)']).chapter == 7
    assert read("03_copy.ipynb", ['quiz.check("07.grid-spacing", 1)']).chapter == 7, "the checks outweigh the name"
    assert read("alice.ipynb", ["x = 1"], mark).key == "chapter"
    assert read("99_extra.ipynb", ["x = 1"], mark).key == "chapter"
    assert read("01_plain.ipynb", ["x = 1"]).key == "unmarked"


def test_an_error_belongs_to_the_exercise_of_its_check_or_answer_cell():
    course = CourseNotebook(None, 1, [(3, "01.a"), (6, "01.b")], {2, 5})
    assert [exercise_at(course, cell) for cell in range(8)] == [None, None, "01.a", "01.a", None, "01.b", "01.b", None]


def test_combine_keeps_the_last_verdict_and_adds_unexpected_ids():
    course = CourseNotebook(None, 1, [(3, CH01[2]), (5, CH01[0])], set())
    verdicts = combine(course, {CH01[0]: "not yet", "05.other": "right"}, failed_cell=3)
    assert list(verdicts) == [CH01[2], CH01[0], *sorted(set(CH01) - {CH01[0], CH01[2]}), "05.other"]
    assert verdicts[CH01[2]] == "error" and verdicts[CH01[0]] == "not yet" and verdicts["05.other"] == "right"


def test_the_time_limit_counts_for_the_whole_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"unet_course_edition": "learner"})
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("import time\ntime.sleep(120)")]
    nbformat.write(nb, tmp_path / "01_slow.ipynb")
    start = time.monotonic()
    [grade] = grade_notebooks([tmp_path / "01_slow.ipynb"], ["gina"], timeout=8, progress=False)
    assert time.monotonic() - start < 60, "the kernel was not stopped at the time limit"
    assert grade.status == "failed" and grade.reason.key == "timeout" and grade.reason.fields["cell"] == 2, grade.reason
    assert grade.reason.text() == "the time limit of 8 s ran out in cell 2"
    assert list(grade.verdicts.values()) == ["not reached"] * len(quiz.questions(1))


def test_bad_input_stops_before_any_work(tmp_path, capsys):
    def run(*argv):
        with pytest.raises(SystemExit) as stop:
            main(["grade", *argv])
        return stop.value.code, capsys.readouterr().err

    code, err = run(str(tmp_path / "missing"), "--out", str(tmp_path / "out"))
    assert code == 2 and "no such file or folder" in err and "missing" in err
    (tmp_path / "empty").mkdir()
    code, err = run(str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert code == 2 and "holds no notebook" in err
    (tmp_path / "a.txt").write_text("x")
    code, err = run(str(tmp_path / "a.txt"), "--out", str(tmp_path / "out"))
    assert code == 2 and "not a notebook (.ipynb)" in err
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), plain)
    for argv, words in ([["--timeout", "0"], "--timeout"], [["--timeout", "inf"], "--timeout"],
                        [["--workers", "0"], "--workers"],
                        [["--kernel", "no-such-kernel"], "no Jupyter kernel named 'no-such-kernel'"]):
        code, err = run(str(plain), "--out", str(tmp_path / "out"), *argv)
        assert code == 2 and words in err, err
    assert not (tmp_path / "out").exists(), "nothing written on bad input"


def test_report_files_are_replaced_only_with_overwrite(tmp_path, capsys, monkeypatch):
    plain = tmp_path / "in" / "notes.ipynb"
    plain.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), plain)
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("mine")
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(plain), "--out", str(out), "--quiet"])
    assert stop.value.code == 2 and "already holds grades.csv" in capsys.readouterr().err
    assert (out / "grades.csv").read_text() == "mine"
    monkeypatch.setenv("UNET_COURSE_LANG", "ko")
    assert main(["grade", str(plain), "--out", str(out), "--quiet", "--overwrite"]) == 0
    assert "1 notebook(s): 0 ran, 0 failed, 1 not a course notebook" in capsys.readouterr().out
    assert '<html lang="ko">' in (out / "grades.html").read_text(encoding="utf-8"), "UNET_COURSE_LANG sets the default"
    assert sorted(p.name for p in out.iterdir()) == ["grades.csv", "grades.html"], "no temporary file left"
    monkeypatch.setenv("UNET_COURSE_LANG", "fr")
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(plain), "--out", str(out), "--overwrite"])
    assert stop.value.code == 2 and "UNET_COURSE_LANG is 'fr'" in capsys.readouterr().err


def test_check_records_verdicts_only_when_asked(tmp_path, monkeypatch, capsys):
    record = tmp_path / "record.jsonl"
    monkeypatch.delenv("UNET_COURSE_GRADE_RECORD", raising=False)
    quiz.check("01.which-segmentation", 2)
    assert not record.exists()
    monkeypatch.setenv("UNET_COURSE_GRADE_RECORD", str(record))
    assert quiz.check("01.which-segmentation", 2) and not quiz.check("01.which-segmentation", 0)
    assert not quiz.check("01.which-segmentation", ...)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert lines == [{"id": "01.which-segmentation", "verdict": v} for v in ("right", "wrong", "unanswered")]
