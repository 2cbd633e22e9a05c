"""The student edition (`make student`): no solution survives, and the copies still run up to
their first exercise, where the check tells the student the answer is missing."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_student.py"
NOTEBOOKS = ROOT / "notebooks"

_spec = importlib.util.spec_from_file_location("make_student", SCRIPT)
make_student = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_student)


def tiny_notebook() -> nbformat.NotebookNode:
    """A course-shaped notebook: teaching cells, then exercises in the course's conventions (a
    gated solution-start/solution-end block, a check cell ``assert q.check(...)`` tagged
    ``remove-output``) and one in the older single ``{solution}`` block style."""
    check = {"tags": ["remove-output"]}
    cells = [
        nbformat.v4.new_markdown_cell("# Tiny chapter"),
        nbformat.v4.new_code_cell(
            "from unet_course import quiz\n"
            "q_double = quiz.Numeric('99.double', 'Double x.', 42, atol=0.5)\n"
            "q_fn = quiz.CodeExercise('99.fn', 'Triple.', lambda v: 3 * v, [(1,), (2,)])\n"
            "x = 21\nprint(x)"
        ),
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-99-double\n\nDouble `x`.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-99-double\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell(
            "def double(v: int) -> int:\n    return v * 2 + 0  # secret-solution-line\n\nanswer = double(x)",
            metadata={"tags": ["solution", "nbval-check-output"]},
        ),
        nbformat.v4.new_markdown_cell("Multiply by two (secret-explanation).", metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell("Untagged, but inside the gate (secret-gated)."),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("assert q_double.check(answer)", metadata=check),
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-99-fn\n\nTriple `v`.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-99-fn\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell("def triple(v):\n    return 3 * v  # secret-triple", metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("assert q_fn.check(triple), 'see the hint'", metadata=check),
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-99-half\n\nHalve `x`.\n```"),
        nbformat.v4.new_code_cell("half = x / 2  # secret-half", metadata={"tags": ["solution", "hide-input"]}),
        nbformat.v4.new_markdown_cell("```{solution} ex-99-half\nDivide by two (secret-markdown).\n```"),
        nbformat.v4.new_code_cell("print('after the exercises')"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=120, kernel_name="python3")
    client.execute()  # the full edition runs and has outputs
    return nb


def solution_statements(nb: nbformat.NotebookNode) -> set[str]:
    """Each statement of every solution cell, normalised by ``ast.unparse``; statements that
    also occur in a cell the student may see (e.g. a shared import) are not secrets."""
    def statements(source: str) -> set[str]:
        tree = make_student._parse(source)
        found = set()
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, ast.stmt) and not isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass, ast.Expr)):
                found.add(ast.unparse(node))
        return found

    secret, public = set(), set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            (secret if make_student.is_solution(cell) else public).update(statements(cell.source))
    return secret - public


def assert_no_solution(teacher: nbformat.NotebookNode, student: nbformat.NotebookNode) -> None:
    assert not any(make_student.is_solution(cell) for cell in student.cells), "a solution cell survived"
    student_statements = set()
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "outputs were not cleared"
            tree = make_student._parse(cell.source)
            student_statements |= {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.stmt)} if tree else set()
    leaked = solution_statements(teacher) & student_statements
    assert not leaked, f"solution code in the student copy: {sorted(leaked)[:3]}"
    assert "widgets" not in student.metadata


def run_to_first_exercise(student: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Execute the student copy up to and including its first answer cell and the check after
    it; the check may fail (the answer is ``...``) but nothing before it may."""
    first = next(i for i, c in enumerate(student.cells) if make_student.ANSWER_TAG in c.metadata.get("tags", []))
    check = next(i for i in range(first + 1, len(student.cells)) if student.cells[i].cell_type == "code")
    nb = nbformat.from_dict(student)
    nb.cells = nb.cells[: check + 1]
    nb.cells[check].metadata.setdefault("tags", []).append("raises-exception")
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def test_tiny_notebook(tmp_path):
    source, dest = tmp_path / "src", tmp_path / "student"
    source.mkdir()
    teacher = tiny_notebook()
    nbformat.write(teacher, source / "99_tiny.ipynb")
    result = subprocess.run([sys.executable, str(SCRIPT), str(source), str(dest)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    student = nbformat.read(dest / "99_tiny.ipynb", as_version=4)
    text = nbformat.writes(student)
    assert "secret" not in text and "v * 2" not in text and "solution-start" not in text and "solution-end" not in text
    assert "def double(v: int) -> int:" in text and "answer = ..." in text and "half = ..." in text
    # 4 gate markers, 2 solution Markdown cells and the single {solution} block go
    assert len(student.cells) == len(teacher.cells) - 7
    checks = [c for c in student.cells if ".check(" in c.source]
    assert [c.source for c in checks] == ["q_double.check(answer)", "q_fn.check(triple)"]
    assert all("remove-output" not in c.metadata.get("tags", []) for c in checks), "the learner must see the verdict"
    assert_no_solution(teacher, student)
    # "Run All" on the learner's copy goes from top to bottom: the checks say "not answered yet"
    ran = nbformat.from_dict(student)
    NotebookClient(ran, timeout=120, kernel_name="python3").execute()
    printed = ["".join(o.get("text", "") for o in c.outputs) for c in ran.cells if c.cell_type == "code"]
    verdicts = [t for t in printed if "Not answered yet." in t]
    assert len(verdicts) == 2 and "[99.double]" in verdicts[0] and "`triple`" in verdicts[1], printed
    assert printed[-1] == "after the exercises\n"


def test_unclosed_gate_is_an_error(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("```{solution-start} ex-99-a\n:class: dropdown\n```")])
    with pytest.raises(ValueError, match="no ```{solution-end}"):
        make_student.student_notebook(nb)


def test_plain_checks_keeps_everything_else():
    source = 'x = 1\nassert quiz.check("01.a", answer)\nif x:\n    assert quiz.check(\n        "01.b", f), "msg"  # c\n%time y\nassert x\n'
    assert make_student.plain_checks(source) == (
        'x = 1\nquiz.check("01.a", answer)\nif x:\n    quiz.check(\n        "01.b", f)  # c\n%time y\nassert x\n'
    )


def test_refuses_to_overwrite_the_notebooks(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode != 0 and "must differ" in result.stderr
    result = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), str(tmp_path / "s")], capture_output=True, text=True)
    assert result.returncode != 0 and "no notebooks" in result.stderr


def test_stub_binds_what_the_solution_binds():
    stub = make_student.answer_stub(
        "import numpy as np\nfrom x import y\na, (b, *c) = 1, (2, 3)\nif a:\n    d = 4\nelse:\n    e: int = 5\n"
        "for i in range(3):\n    tmp = i\nasync def f(p, q=2, *r, s, **t) -> int:\n    return p\nclass K(Base):\n    z = 1\n%time g = 1\n"
    )
    body = stub.split("\n", 1)[1]
    assert body == (
        "a = ...\nb = ...\nc = ...\nd = ...\ne = ...\nasync def f(p, q=2, *r, s, **t) -> int:\n    ...\nclass K:\n    ...\n"
    )
    compile(stub, "stub", "exec")
    assert make_student.answer_stub("print(1)").endswith("answer = ...\n")


def course_notebooks_with_exercises() -> list[Path]:
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if any(make_student.is_solution(c) and c.cell_type == "code" for c in nb.cells):
            found.append(path)
    return found


# Executing a student copy re-runs its chapter up to the first exercise; nbval already runs every
# chapter in full, so two quick chapters are enough to show that the stubs run and say "Not answered yet.".
EXECUTED = ("01_segmentation_basics", "10_quiz_review")


@pytest.fixture(scope="module")
def student_edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    make_student.write_student_edition(NOTEBOOKS, out)  # as `make student` does, all at once
    return out


@pytest.mark.parametrize("path", course_notebooks_with_exercises(), ids=lambda p: p.stem)
def test_course_notebook_has_no_solution(path, student_edition):
    teacher = nbformat.read(path, as_version=4)
    student = nbformat.read(student_edition / path.name, as_version=4)
    assert_no_solution(teacher, student)


@pytest.mark.parametrize("stem", EXECUTED)
def test_student_copy_runs_to_the_first_exercise(stem, student_edition):
    student = nbformat.read(student_edition / f"{stem}.ipynb", as_version=4)
    ran = run_to_first_exercise(student, NOTEBOOKS)
    last = ran.cells[-1]
    # the check after the empty answer says so in words (quiz prints "Not yet"), not only a traceback
    text = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    assert "quiz.check" not in last.source or "Not answered yet." in text, text
