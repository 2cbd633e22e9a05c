"""The answers that the parity test gives both to ``quiz.check`` and to the page's checker.

For every question the page can answer (``book/_ext/answer_export.py``: a number, a choice,
true or false, a formula of numbers), its reference answer and each of its plausible wrong
answers (``question.wrong``), written as a reader would give them in the page:

- a number as its ``repr`` (typed into the box, read by the page's expression parser);
- a choice as its index (a radio button), or its text;
- true or false as a bool (a radio button);
- a formula as a Python expression of the reference's parameters (``(n - 34) // 4 + 1``),
  taken from the function's source: a lambda, or a ``def`` whose body is assignments,
  ``for _ in range(K)`` loops and a ``return``, unrolled into one expression. The reference
  answer's expression comes from the chapter's worked solution (the ``def`` that the check cell
  passes to ``quiz.check``). Python grades the same expression, compiled as a lambda.

An answer that cannot be written in the page (a formula whose source is no expression) is
returned in ``skipped`` with the reason, never silently dropped.
"""

from __future__ import annotations

import ast
import copy
import inspect
import json
import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHECK = re.compile(r"""quiz\.check\(\s*["'](\d{2}\.[\w-]+)["']\s*,\s*([A-Za-z_]\w*)\s*\)""")


@dataclass
class Case:
    qid: str
    what: str          # "reference" or "wrong 2"
    python: Any        # the answer quiz.check grades
    page: Any          # what the page's checker gets (a string, an index or a bool)


def _unroll(body: list[ast.stmt], env: dict[str, ast.expr]) -> ast.expr | None:
    """One expression equal to a function body of assignments, range loops and a return."""

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return copy.deepcopy(env[node.id]) if isinstance(node.ctx, ast.Load) and node.id in env else node

    def sub(expr: ast.expr) -> ast.expr:
        return Substitute().visit(copy.deepcopy(expr))

    for statement in body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            env[statement.targets[0].id] = sub(statement.value)
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
            env[statement.target.id] = ast.BinOp(left=sub(ast.Name(statement.target.id, ast.Load())), op=statement.op,
                                                 right=sub(statement.value))
        elif (isinstance(statement, ast.For) and isinstance(statement.target, ast.Name)
              and isinstance(statement.iter, ast.Call) and getattr(statement.iter.func, "id", "") == "range"
              and len(statement.iter.args) == 1 and isinstance(statement.iter.args[0], ast.Constant)
              and not statement.orelse):
            for i in range(statement.iter.args[0].value):
                env[statement.target.id] = ast.Constant(i)
                for inner in statement.body:
                    if _unroll([inner], env) is not None:
                        return None  # a return inside a loop
                    if not isinstance(inner, (ast.Assign, ast.AugAssign, ast.Expr)):
                        return None
        elif isinstance(statement, ast.Return) and statement.value is not None:
            return sub(statement.value)
        else:
            return None
    return None


def _expression(node: ast.AST, params: list[str]) -> str | None:
    """The expression of a lambda or def node, its parameters renamed to ``params`` by position."""
    names = [a.arg for a in node.args.args]
    if len(names) != len(params) or node.args.vararg or node.args.kwonlyargs:
        return None
    env: dict[str, ast.expr] = {name: ast.Name(param, ast.Load()) for name, param in zip(names, params)}
    body = [ast.Return(node.body)] if isinstance(node, ast.Lambda) else node.body
    expr = _unroll(body, env)
    return None if expr is None else ast.unparse(ast.fix_missing_locations(expr))


def function_expression(fn: Any, params: list[str]) -> str | None:
    """The expression a reader would type for ``fn`` (a lambda or a simple def), or ``None``."""
    try:
        source = Path(inspect.getsourcefile(fn)).read_text(encoding="utf-8")
    except (TypeError, OSError):
        return None
    code = fn.__code__
    for node in ast.walk(ast.parse(source)):
        if getattr(node, "lineno", None) != code.co_firstlineno:
            continue
        if isinstance(node, ast.FunctionDef) and node.name == fn.__name__:
            return _expression(node, params)
        if isinstance(node, ast.Lambda) and fn.__name__ == "<lambda>":
            compiled = compile(ast.fix_missing_locations(ast.Expression(node)), inspect.getsourcefile(fn), "eval")
            inner = next(c for c in compiled.co_consts if inspect.iscode(c))
            if inner.co_code == code.co_code and inner.co_consts == code.co_consts and inner.co_names == code.co_names:
                return _expression(node, params)
    return None


def solution_expressions(params_of: dict[str, list[str]]) -> dict[str, str]:
    """The worked solutions' expressions of the formula questions, from the chapters' notebooks:
    the ``def`` that a check cell ``quiz.check("NN.id", name)`` passes, found in the cells above."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            source = "".join(cell["source"])
            for qid, name in CHECK.findall(source):
                if qid not in params_of or qid in found:
                    continue
                for earlier in reversed(cells[:index]):
                    if earlier["cell_type"] != "code":
                        continue
                    try:
                        tree = ast.parse(textwrap.dedent("".join(earlier["source"])))
                    except SyntaxError:
                        continue
                    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
                    if defs:
                        expression = _expression(defs[-1], params_of[qid])
                        if expression:
                            found[qid] = expression
                        break
    return found


def as_lambda(expression: str, params: list[str]) -> Any:
    """The expression as Python grades it: ``lambda params: expression`` (``math`` in scope)."""
    return eval(f"lambda {', '.join(params)}: {expression}", {"math": math, "__builtins__": __builtins__})  # noqa: S307


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or type(value).__name__.startswith("int"):
        return str(int(value))
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return None


def parity_cases(export: dict) -> tuple[list[Case], list[tuple[str, str, str]]]:
    """Every (question, answer) the page can take, and the answers it cannot (id, what, why)."""
    from unet_course import quiz

    bank = quiz.load_bank()
    formulas = {qid: q["params"] for qid, q in export["questions"].items() if q["kind"] == "formula"}
    solutions = solution_expressions(formulas)
    cases: list[Case] = []
    skipped: list[tuple[str, str, str]] = []
    for qid, data in sorted(export["questions"].items()):
        question, kind = bank[qid], data["kind"]
        if kind == "code":
            continue
        answers: list[tuple[str, Any]] = []
        if kind == "number":
            answers.append(("reference", question.value))
        elif kind in ("choice", "truefalse"):
            answers.append(("reference", question._answer))
        answers += [(f"wrong {i}", w) for i, w in enumerate(question.wrong, start=1)]
        if kind == "formula":
            params = data["params"]
            if qid in solutions:
                answers.insert(0, ("reference", solutions[qid]))
            else:
                skipped.append((qid, "reference", "the worked solution is no single expression"))
        for what, answer in answers:
            if kind == "number":
                text = _number_text(answer)
                if text is None:
                    skipped.append((qid, what, f"{type(answer).__name__} is not a number the box can take"))
                    continue
                cases.append(Case(qid, what, answer, text))
            elif kind == "choice":
                if isinstance(answer, (bool, str)) or not isinstance(answer, int):
                    if isinstance(answer, str):
                        cases.append(Case(qid, what, answer, answer))
                        continue
                    skipped.append((qid, what, f"{answer!r} is no option a radio button gives"))
                    continue
                cases.append(Case(qid, what, answer, int(answer)))
            elif kind == "truefalse":
                cases.append(Case(qid, what, answer, answer if isinstance(answer, (bool, str)) else bool(answer)))
            else:
                expression = answer if isinstance(answer, str) else function_expression(answer, data["params"])
                if expression is None:
                    skipped.append((qid, what, "its source is no expression a reader could type"))
                    continue
                cases.append(Case(qid, what, as_lambda(expression, data["params"]), expression))
    return cases, skipped
