"""Write the learner's edition: copies of the notebooks without solutions, outputs cleared.

    python scripts/make_student.py notebooks learner      # what `make student` runs

Each code cell tagged ``solution`` (and every code cell inside a gated ``{solution-start}`` ...
``{solution-end}`` block) becomes an answer cell that binds the same names to ``...``
(functions keep their signature with an empty body). Each ``assert quiz.check(...)`` becomes a
plain ``quiz.check(...)``: with the answer still ``...`` it prints "Not answered yet." and the
notebook runs on, so "Run All" goes from top to bottom. Markdown cells tagged ``solution``,
sphinx-exercise ``{solution}`` blocks and every Markdown cell of a gated block (its
``solution-start`` and ``solution-end`` markers included) are dropped. The check cells lose
``remove-output`` (the learner must see the verdict). All outputs, execution counts and stored
widget states go.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
ANSWER_TAG = "student-answer"
ANSWER_COMMENT = "# Your answer: replace each ... below, then run the check in the next cell."


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


def answer_stub(source: str) -> str:
    """The student's version of a solution cell: its top-level names bound to ``...``.

    ``def f(a, b): ...`` keeps the signature (the body becomes ``...``), classes become
    ``class C: ...``, assignments ``name = ...``; imports and expressions go. A cell that binds
    nothing yields ``answer = ...``.
    """
    tree = _parse(source)
    lines: list[str] = []
    seen: set[str] = set()

    def bind(name: str) -> None:
        if name not in seen:
            seen.add(name)
            lines.append(f"{name} = ...")

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in seen:
                seen.add(node.name)
                prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
                returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
                lines.append(f"{prefix} {node.name}({ast.unparse(node.args)}){returns}:\n    ...")
            elif isinstance(node, ast.ClassDef) and node.name not in seen:
                seen.add(node.name)
                lines.append(f"class {node.name}:\n    ...")
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    for name in _target_names(target):
                        bind(name)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                for name in _target_names(node.target):
                    bind(name)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        for name in _target_names(item.optional_vars):
                            bind(name)
            # names bound in branches and try blocks are visible after the cell too; loop
            # variables and names local to a loop body are scaffolding, not the answer
            if isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith)):
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []) or [])
            for handler in getattr(node, "handlers", []) or []:
                visit(handler.body)

    visit(tree.body if tree else [])
    if not lines:
        lines.append("answer = ...")
    return ANSWER_COMMENT + "\n" + "\n".join(lines) + "\n"


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
        head = lines[first][: node.col_offset]
        tail = lines[last][node.end_col_offset :]
        lines[first : last + 1] = [head + call + tail]
    return "".join(lines)


def _clear(cell: dict) -> None:
    if cell.get("cell_type") == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    cell.get("metadata", {}).pop("execution", None)


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solutions and outputs (see the module docstring)."""
    out = nbformat.from_dict(nb)
    cells = []
    gated = False
    for cell in out.cells:
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
            cell = nbformat.v4.new_code_cell(answer_stub(cell.source), metadata={"tags": tags + [ANSWER_TAG]})
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
    out.cells = cells
    out.metadata.pop("widgets", None)
    return out


def write_student_edition(source: Path, destination: Path) -> list[Path]:
    """Write the student copy of every ``*.ipynb`` in ``source`` to ``destination``; return
    the paths written."""
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {source}; pass the course's notebooks/ folder")
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        target = destination / path.name
        try:
            learner = student_notebook(nbformat.read(path, as_version=4))
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        nbformat.write(learner, target)
        written.append(target)
    return written


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
