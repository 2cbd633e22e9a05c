"""The learner's edition (`make student`, committed in learner/): no solution survives, the
committed copy is current, and every learner's notebook runs top to bottom with every exercise
unanswered, each check saying "Not answered yet."."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch
from nbclient import NotebookClient

from unet_course import quiz

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
    # 4 gate markers, 2 solution Markdown cells and the single {solution} block go; a note comes
    assert len(student.cells) == len(teacher.cells) - 7 + 1
    note = student.cells[1]
    assert note.cell_type == "markdown" and "Learner's edition" in note.source and "99_tiny.ipynb" in note.source
    assert student.metadata[make_student.EDITION_KEY] == "learner"
    # the same input gives the same file, byte for byte (cell ids kept): the committed edition can be compared
    again = tmp_path / "again"
    make_student.write_student_edition(source, again)
    assert (again / "99_tiny.ipynb").read_text() == (dest / "99_tiny.ipynb").read_text()
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


def test_plain_checks_counts_characters_not_bytes():
    source = 'assert quiz.check("01.a", "경로")  # 수축 경로\n'
    assert make_student.plain_checks(source) == 'quiz.check("01.a", "경로")  # 수축 경로\n'


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
        "a = ...\nb = ...\nc = ...\nd = ...\ne = ...\nasync def f(p, q=2, *r, s, **t) -> int:\n    ...\nclass K(Base):\n    ...\n"
    )
    compile(stub, "stub", "exec")
    assert make_student.answer_stub("print(1)").endswith("answer = ...\n")


def test_stub_binds_only_what_later_cells_read():
    source = "score = 3\nscores = score * 2\nanswer = scores - 1\ndef helper(x):\n    return x\n"
    body = make_student.answer_stub(source, read_later={"answer", "print"}).split("\n", 1)[1]
    assert body == "answer = ...\ndef helper(x):\n    ...\n", (
        "an answer cell binds only the names the cells after it read (and keeps every function to write)"
    )


def test_a_class_keeps_its_bases_and_method_signatures():
    source = (
        'class Net(nn.Module):\n    """doc"""\n    def __init__(self, depth: int = 4) -> None:\n'
        "        super().__init__()\n        self.depth = depth\n\n    def forward(self, x):\n        return x\n"
    )
    body = make_student.answer_stub(source).split("\n", 1)[1]
    assert body == (
        "class Net(nn.Module):\n    def __init__(self, depth: int=4) -> None:\n        ...\n\n"
        "    def forward(self, x):\n        ...\n"
    )
    namespace = {"nn": torch.nn}
    exec(compile(body, "stub", "exec"), namespace)
    assert quiz.unanswered(namespace["Net"]), "the stub of a network class counts as not answered"

    class Written(torch.nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            return x

    assert not quiz.unanswered(Written)


def course_notebooks_with_exercises() -> list[Path]:
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if any(make_student.is_solution(c) and c.cell_type == "code" for c in nb.cells):
            found.append(path)
    return found


LEARNER = ROOT / "learner"


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


# --- the committed learner's edition (learner/): what Binder and Colab open -------------------

@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_committed_learner_edition_is_current(path):
    committed = LEARNER / path.name
    assert committed.is_file(), f"learner/{path.name} is missing: run `make student` and commit learner/"
    expected = json.loads(nbformat.writes(make_student.learner_edition_of(path)))
    assert json.loads(committed.read_text()) == expected, (
        f"learner/{path.name} is stale (notebooks/{path.name} changed since): run `make student` and commit learner/"
    )


def test_learner_edition_has_no_extra_chapter():
    extra = sorted({p.name for p in LEARNER.glob("*.ipynb")} - {p.name for p in NOTEBOOKS.glob("*.ipynb")})
    assert not extra, f"learner/ holds {extra}, which notebooks/ no longer has: run `make student` and commit learner/"


# --- "Run All" on every learner's notebook, every exercise unanswered ------------------------
# Each learner's notebook runs top to bottom in its own folder (as Binder opens it) with every
# answer still `...`: no cell may raise, and every check says "Not answered yet.". This runs each
# chapter once more (the quick profile: about the notebooks' own total time, see book/_timings.md).

def _check_ids(source: str) -> list[str]:
    return re.findall(r"\.check\(\s*[\"']([\w.-]+)[\"']", source)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_learner_notebook_runs_unanswered(path):
    committed = LEARNER / path.name
    learner = nbformat.read(committed, as_version=4) if committed.is_file() else make_student.learner_edition_of(path)
    client = NotebookClient(learner, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(LEARNER)}})
    try:
        client.execute()
    except Exception as error:  # noqa: BLE001 - name the cell for the author
        cell = next((c for c in learner.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        where = f"\n--- the cell ---\n{cell.source[:400]}" if cell is not None else ""
        pytest.fail(
            f"learner/{path.name} stops with every exercise unanswered ({type(error).__name__}); a cell outside the "
            f"solutions may use a name only a solution defines (it is `...` here){where}\n"
            + re.sub(r"\x1b\[[0-9;]*m", "", str(error))[-1500:]
        )
    for cell in learner.cells:
        ids = _check_ids(cell.source) if cell.cell_type == "code" else []
        if not ids:
            continue
        printed = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        for qid in ids:
            assert f"[{qid}] Not answered yet." in printed, (
                f"learner/{path.name}: the check of {qid} did not say 'Not answered yet.' with its answer unanswered; "
                f"it printed:\n{printed[:400]}"
            )
