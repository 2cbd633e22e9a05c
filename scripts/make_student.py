"""Write the learner's edition: copies of the notebooks without solutions, outputs cleared.

    python scripts/make_student.py notebooks learner      # what `make student` runs
    python scripts/make_student.py notebooks/ko learner/ko   # the Korean learner's edition

The course commits the result (``learner/``): the book's Binder and Colab buttons open it, and
``tests/test_student_edition.py`` fails when it is stale. The book's download button serves
the same transformation, made during the build (``book/_ext/learner_edition.py``).

Each code cell tagged ``solution`` (and every code cell inside a gated ``{solution-start}`` ...
``{solution-end}`` block) becomes an answer cell that binds the same names to ``...``
(functions keep their signature with an empty body). Each ``assert quiz.check(...)`` becomes a
plain ``quiz.check(...)``: with the answer still ``...`` it prints "Not answered yet." and the
notebook runs on, so "Run All" goes from top to bottom. Markdown cells tagged ``solution``,
sphinx-exercise ``{solution}`` blocks and every Markdown cell of a gated block (its
``solution-start`` and ``solution-end`` markers included) are dropped. The check cells lose
``remove-output`` (the learner must see the verdict). All outputs, execution counts and stored
widget states go.

A Korean notebook (``scripts/make_korean.py`` marks it with ``unet_course_language: ko``) gets
the note and the answer cells' comment in Korean; everything else is the same transformation.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def repository(config: Path) -> tuple[str | None, str]:
    """(url or None, branch) of the course repository (scripts/add_colab_cell.py: ``UNET_COURSE_REPOSITORY``)."""
    spec = importlib.util.spec_from_file_location("add_colab_cell", Path(__file__).resolve().parent / "add_colab_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.repository(config)


SOLUTION_TAG = "solution"
NOTE_TAG = "learner-note"
EDITION_KEY = "unet_course_edition"
ANSWER_TAG = "student-answer"
ANSWER_COMMENT = "# Your answer: replace each ... below, then run the check in the next cell."
LANGUAGE_KEY = "unet_course_language"  # set by scripts/make_korean.py on the Korean notebooks
ANSWER_COMMENTS = {"ko": "# 여러분의 답: 아래의 ...를 모두 바꾸고, 다음 셀의 확인을 실행하세요."}


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell: dict) -> bool:
    """A cell the student must not see: tagged ``solution``, or a Markdown ``{solution}`` block."""
    if SOLUTION_TAG in _tags(cell):
        return True
    return cell.get("cell_type") == "markdown" and any(
        line.lstrip().startswith(("```{solution", ":::{solution", "````{solution"))
        for line in cell.get("source", "").splitlines()
    )


def _parse(source: str) -> ast.Module | None:
    # IPython magics and shell escapes are not Python; blank them before parsing (blank, not
    # removed, so that line numbers still point into ``source``).
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _class_stub(node: ast.ClassDef) -> str:
    """``class C(Base):`` with each method's signature and the body ``...``: the learner sees what
    to write (a network's ``__init__`` and ``forward``), and ``quiz`` knows it is unanswered."""
    bases = ", ".join(ast.unparse(b) for b in node.bases + node.keywords) if node.bases or node.keywords else ""
    head = f"class {node.name}({bases}):" if bases else f"class {node.name}:"
    methods = []
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            prefix = "async def" if isinstance(item, ast.AsyncFunctionDef) else "def"
            returns = f" -> {ast.unparse(item.returns)}" if item.returns else ""
            methods.append(f"    {prefix} {item.name}({ast.unparse(item.args)}){returns}:\n        ...")
    return head + "\n" + ("\n\n".join(methods) if methods else "    ...")


def read_names(source: str) -> set[str]:
    """Every name that ``source`` (a code cell) reads: the names its answer cell must bind."""
    tree = _parse(source)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def answer_stub(source: str, language: str = "en", read_later: set[str] | None = None) -> str:
    """The student's version of a solution cell: its top-level names bound to ``...``.

    ``def f(a, b): ...`` keeps the signature (the body becomes ``...``), classes keep their bases
    and their methods' signatures, assignments become ``name = ...``; imports and expressions go.
    With ``read_later`` (the names that the cells after it, outside solutions, read), only the
    assigned names in it are bound (all of them when none is read later): the learner fills what the check reads, not the solution's
    scaffolding. A cell that binds nothing yields ``answer = ...``.
    """
    tree = _parse(source)
    lines: list[str] = []
    seen: set[str] = set()

    def bind(name: str) -> None:
        if name not in seen:
            seen.add(name)
            lines.append(f"{name} = ...")

    def bind_if_read(name: str) -> None:
        if read_later is None or name in read_later:
            bind(name)

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in seen:
                seen.add(node.name)
                prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
                returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
                lines.append(f"{prefix} {node.name}({ast.unparse(node.args)}){returns}:\n    ...")
            elif isinstance(node, ast.ClassDef) and node.name not in seen:
                seen.add(node.name)
                lines.append(_class_stub(node))
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    for name in _target_names(target):
                        bind_if_read(name)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                for name in _target_names(node.target):
                    bind_if_read(name)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        for name in _target_names(item.optional_vars):
                            bind_if_read(name)
            # names bound in branches and try blocks are visible after the cell too; loop
            # variables and names local to a loop body are scaffolding, not the answer
            if isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith)):
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []) or [])
            for handler in getattr(node, "handlers", []) or []:
                visit(handler.body)

    visit(tree.body if tree else [])
    if not lines and read_later is not None:  # nothing of it is read later: bind all it binds
        return answer_stub(source, language)
    if not lines:
        lines.append("answer = ...")
    return ANSWER_COMMENTS.get(language, ANSWER_COMMENT) + "\n" + "\n".join(lines) + "\n"


def _gate(cell: dict) -> str | None:
    """``"start"`` or ``"end"`` for a Markdown cell that opens or closes a gated solution block
    (```` ```{solution-start} ex-... ```` / ```` ```{solution-end} ````), else ``None``."""
    if cell.get("cell_type") != "markdown":
        return None
    text = cell.get("source", "").lstrip()
    for marker in ("start", "end"):
        if re.match(r"(`{3,}|:{3,})\{solution-" + marker + r"\}", text):
            return marker
    return None


def _is_quiz_check(node: ast.expr) -> bool:
    """``quiz.check(...)`` (or ``<question>.check(...)``): a call of an attribute named check."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "check"


def plain_checks(source: str) -> str:
    """``source`` with every top-level ``assert quiz.check(...)`` (message or not) turned into a
    plain ``quiz.check(...)`` call; everything else stays as written."""
    tree = _parse(source)
    if tree is None:
        return source
    lines = source.splitlines(keepends=True)
    asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert) and _is_quiz_check(n.test)]
    for node in sorted(asserts, key=lambda n: n.lineno, reverse=True):
        call = ast.get_source_segment("\n".join(l.rstrip("\n") for l in lines), node.test)
        if call is None:
            continue
        first, last = node.lineno - 1, node.end_lineno - 1
        # ast's column offsets count UTF-8 bytes (a Korean comment or string shifts them)
        head = lines[first].encode()[: node.col_offset].decode()
        tail = lines[last].encode()[node.end_col_offset :].decode()
        lines[first : last + 1] = [head + call + tail]
    return "".join(lines)


def _clear(cell: dict) -> None:
    if cell.get("cell_type") == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    cell.get("metadata", {}).pop("execution", None)


def student_notebook(nb: nbformat.NotebookNode, full_notebook: str | None = None) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solutions and outputs (see the module docstring).

    With ``full_notebook`` (Markdown naming where the full notebook is), a note under the title
    says that this is the learner's edition and where the solutions are."""
    out = nbformat.from_dict(nb)
    language = out.metadata.get(LANGUAGE_KEY, "en")
    cells = []
    gated = False
    # the names read by the code cells outside solutions from each cell on (the answer cells bind those)
    read_from: list[set[str]] = []
    in_block = False
    for cell in out.cells:
        gate = _gate(cell)
        in_block = gate == "start" if gate is not None else in_block
        if gate is None and cell.cell_type == "code" and not (in_block or is_solution(cell)):
            read_from.append(read_names(cell.source))
        else:
            read_from.append(set())
    for i in range(len(read_from) - 2, -1, -1):
        read_from[i] = read_from[i] | read_from[i + 1]
    for index, cell in enumerate(out.cells):
        gate = _gate(cell)
        if gate is not None:
            gated = gate == "start"
            continue
        if gated or is_solution(cell):
            if cell.cell_type != "code":
                continue
            hidden = (SOLUTION_TAG, "hide-input", "hide-cell", "hide-output", "remove-input", "remove-cell",
                      "remove-output", "nbval-check-output")
            tags = [t for t in _tags(cell) if t not in hidden]
            later = read_from[index + 1] if index + 1 < len(read_from) else set()
            stub = nbformat.v4.new_code_cell(answer_stub(cell.source, language, later), metadata={"tags": tags + [ANSWER_TAG]})
            if "id" in cell:
                stub["id"] = cell["id"]  # the same id: the edition is reproducible, byte for byte
            else:
                stub.pop("id", None)
            cell = stub
        elif cell.cell_type == "code":
            source = plain_checks(cell.source)
            if source != cell.source:
                cell.source = source
                # the learner must see the verdict; the book hides it in the full edition
                tags = [t for t in _tags(cell) if t not in ("remove-output", "hide-output")]
                cell.metadata["tags"] = tags
                if not tags:
                    del cell.metadata["tags"]
        _clear(cell)
        cells.append(cell)
    if gated:
        raise ValueError("a ```{solution-start} block has no ```{solution-end}: the rest of the notebook would be dropped")
    if full_notebook:
        note = nbformat.v4.new_markdown_cell(learner_note(full_notebook, language), metadata={"tags": [NOTE_TAG]})
        if (out.nbformat, out.nbformat_minor) >= (4, 5):
            note["id"] = NOTE_TAG
        else:
            note.pop("id", None)
        title = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
        cells.insert(title + 1, note)
    out.cells = cells
    out.metadata.pop("widgets", None)
    out.metadata[EDITION_KEY] = "learner"
    return out


def learner_note(full_notebook: str, language: str = "en") -> str:
    """The Markdown cell under the title of every learner's notebook."""
    if language == "ko":
        return (
            "**학습용 판** (learner's edition): 풀이를 뺀 연습 문제입니다. 각 답을 `...` 자리에 쓰고 그 셀을 "
            "실행한 다음, 아래의 확인 셀을 실행하세요. 답하지 않은 확인은 \"아직 답하지 않았습니다.\"라고 "
            f"알려 주고 노트북은 계속 실행됩니다. 모든 풀이가 담긴 전체 노트북은 {full_notebook}입니다."
        )
    return (
        "**Learner's edition** (학습용): the exercises without their solutions. Write each answer in "
        "place of `...`, run its cell, then run the check below it; an unanswered check says "
        '"Not answered yet." and the notebook runs on. The full notebook, with every solution, is '
        f"{full_notebook}."
    )


def full_notebook_link(path: Path, language: str = "en") -> str:
    """Where the full notebook of ``path`` is: its place in the course repository, as a Markdown
    link when ``UNET_COURSE_REPOSITORY`` names the repository, else its path."""
    where = "과정 저장소의 {link}" if language == "ko" else "{link} in the course repository"
    try:
        relative = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        relative = f"notebooks/{path.name}"
    try:
        url, branch = repository(ROOT / "_config.yml")
    except (SystemExit, OSError):
        url = None
    if url is None:  # no repository named (UNET_COURSE_REPOSITORY): the path, without a link
        return where.format(link=f"`{relative}`")
    return where.format(link=f"[`{relative}`]({url}/blob/{branch}/{relative})")


def learner_edition_of(path: Path) -> nbformat.NotebookNode:
    """The learner's edition of the notebook at ``path``, with the note that links to it."""
    try:
        nb = nbformat.read(path, as_version=4)
        return student_notebook(nb, full_notebook_link(path, nb.metadata.get(LANGUAGE_KEY, "en")))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def write_student_edition(source: Path, destination: Path) -> list[Path]:
    """Write the learner's copy of every ``*.ipynb`` in ``source`` to ``destination``; return
    the paths written. Learner's notebooks in ``destination`` whose chapter is gone from
    ``source`` are removed (only files this script wrote: they carry its metadata mark)."""
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {source}; pass the course's notebooks/ folder")
    editions = [learner_edition_of(path) for path in notebooks]  # all or nothing: errors first
    destination.mkdir(parents=True, exist_ok=True)
    names = {path.name for path in notebooks}
    for old in sorted(destination.glob("*.ipynb")):
        if old.name not in names and _is_learner_edition(old):
            old.unlink()
    written = []
    for path, learner in zip(notebooks, editions):
        target = destination / path.name
        nbformat.write(learner, target)
        written.append(target)
    return written


def _is_learner_edition(path: Path) -> bool:
    try:
        return nbformat.read(path, as_version=4).metadata.get(EDITION_KEY) == "learner"
    except Exception:  # noqa: BLE001 - not a notebook this script wrote
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of the course notebooks")
    parser.add_argument("destination", type=Path, help="folder for the student copies")
    args = parser.parse_args(argv)
    if args.source.resolve() == args.destination.resolve():
        parser.error("the destination must differ from the source: it would overwrite the solutions")
    for path in write_student_edition(args.source, args.destination):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
