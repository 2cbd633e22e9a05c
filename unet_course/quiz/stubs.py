"""The learner's edition's stubs: answers still ``...``, which the quiz does not grade.

``scripts/make_student.py`` replaces each solution with ``...`` (a function keeps its signature
with the body ``...``); :func:`unanswered` recognises such a value so that the check prints
"Not answered yet." instead of a wrong verdict, and "Run All" goes on.

Serves: the exercises of every chapter (chapters 01-11), in the learner's edition.
"""

from __future__ import annotations

import ast
import dis
import inspect
import textwrap
from typing import Any

from .messages import _t


def _is_stub_function(value: Any) -> bool:
    """True for a function whose whole body is ``...`` (after an optional docstring): the stub
    the learner's edition leaves where the solution defined a function. Read from the source
    when it can be found (it can in a notebook), else from the bytecode (a body that only
    returns None)."""
    if not inspect.isfunction(value):
        return False
    value = inspect.unwrap(value)
    code = value.__code__
    if code.co_name == "<lambda>":
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(value)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        tree = None
    if tree is not None and tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        body = tree.body[0].body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str) and len(body) > 1:
            body = body[1:]  # the docstring
        return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and body[0].value.value is Ellipsis
    ops = [
        (ins.opname, ins.argval)
        for ins in dis.get_instructions(code)
        if ins.opname not in {"RESUME", "NOP", "CACHE", "EXTENDED_ARG"}
    ]
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


_CLASS_BOOKKEEPING = {"__module__", "__qualname__", "__dict__", "__weakref__", "__doc__", "__firstlineno__",
                      "__static_attributes__", "__annotations__", "__orig_bases__", "__parameters__"}


def _is_stub_class(value: Any) -> bool:
    """True for the stub of a solution that defined a class: ``class C: ...``, or ``class C(Base):``
    whose own methods all have the body ``...`` (the learner's edition keeps their signatures)."""
    if not inspect.isclass(value):
        return False
    own = {k: v for k, v in vars(value).items() if k not in _CLASS_BOOKKEEPING}
    if not own:
        return value.__bases__ == (object,)
    return all(_is_stub_function(v) for v in own.values())


def unanswered(answer: Any) -> bool:
    """True when ``answer`` is still the learner's edition's stub: ``...`` (Ellipsis), a function
    whose body is ``...``, a class whose body is ``...``, or a tuple, list or dict holding one.

    Serves: the exercises of every chapter (chapters 01-11), in the learner's edition.
    """
    if answer is Ellipsis or _is_stub_function(answer) or _is_stub_class(answer):
        return True
    items = answer.values() if isinstance(answer, dict) else answer if isinstance(answer, (tuple, list)) else ()
    return any(item is Ellipsis or _is_stub_function(item) for item in items)


def _unanswered_message(answer: Any) -> str:
    """What to do with a stub: write the function, or replace each ``...``."""
    if inspect.isfunction(answer) or inspect.isclass(answer):
        name = getattr(answer, "__name__", "your function")
        return _t("`{name}` still has the empty body `...`: write it in the cell above, run that cell, then run this check again.", name=name)
    return _t("Replace each `...` in the answer cell above with your answer, run that cell, then run this check again.")

