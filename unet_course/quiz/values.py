"""Values in the quiz's messages: described briefly, and compared with the reference's.

- :func:`_short_repr`: a value as a message shows it (arrays and tensors by shape and dtype).
- :func:`_as_real`: one real number out of an int, float, NumPy scalar or one-element array or
  tensor, or ``None``.
- :func:`default_compare`: a code exercise's output against the reference's (shape, then the
  first differing index); :func:`_compare_values`: a formula's result (numbers with a
  tolerance, tuples element by element). Neither message reveals the reference's value.

Serves: the exercises of every chapter (chapters 01-11).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .korean import korean_ordinal
from .messages import _t, language


def _type_name(value: Any) -> str:
    return type(value).__name__


def _short_repr(value: Any, limit: int = 60) -> str:
    """A compact description of a value for a message: arrays by shape and dtype."""
    shape = getattr(value, "shape", None)
    if shape is not None and getattr(value, "ndim", 0) > 0:
        kind = _t("tensor") if _is_tensor(value) else _t("array")
        return _t("{kind} of shape {shape}, {dtype}", kind=kind, shape=tuple(shape), dtype=value.dtype)
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


def _to_numpy(value: Any) -> Any:
    """Tensors (any device, with grad or not) to NumPy; everything else unchanged."""
    if _is_tensor(value) and hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value


def _as_real(value: Any) -> float | None:
    """``value`` as a float if it is one real number (int, float, NumPy or 0-d/1-element
    array or tensor), else ``None``. Booleans are not numbers here."""
    value = _to_numpy(value)
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, np.ndarray):
        if value.size != 1 or value.dtype == bool or not np.issubdtype(value.dtype, np.number):
            return None
        if np.iscomplexobj(value):
            return None
        return float(value.reshape(()))
    if isinstance(value, numbers.Real):
        return float(value)
    return None


def _ordinal(i: int) -> str:
    """``0`` -> ``"1st"``, ``1`` -> ``"2nd"``: the ``i``-th item (0-based) as a message counts it
    (in Korean ``"첫 번째"``, ``"두 번째"``)."""
    if language() == "ko":
        return korean_ordinal(i)
    n = i + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _compare_values(yours: Any, ref: Any, rtol: float, atol: float) -> str | None:
    """Compare two results of a formula: numbers with a tolerance, tuples element by element.

    Returns ``None`` when they agree, else a message that does not reveal ``ref``.
    """
    if yours is None and ref is not None:
        return _t("your function returned None: did you forget `return`?")
    if isinstance(ref, (tuple, list)):
        if not isinstance(yours, (tuple, list)):
            return _t("your function returns one value ({value}); it should return {count} values (a tuple)",
                      value=_short_repr(yours), count=len(ref))
        if len(yours) != len(ref):
            return _t("your function returns {given} values; it should return {count}", given=len(yours), count=len(ref))
        verdicts = []
        wrong = False
        for i, (y, r) in enumerate(zip(yours, ref)):
            problem = _compare_values(y, r, rtol, atol)
            wrong = wrong or problem is not None
            verdicts.append(_t("the {ordinal} value is right", ordinal=_ordinal(i)) if problem is None
                            else _t("the {ordinal} value {problem}", ordinal=_ordinal(i), problem=problem))
        # one clause per value in English; in Korean each verdict is a sentence of its own
        return (". " if language() == "ko" else "; ").join(verdicts) if wrong else None
    r = _as_real(ref)
    if r is not None:
        y = _as_real(yours)
        if y is None:
            return _t("should be a number, not {kind} {value}", kind=_type_name(yours), value=_short_repr(yours))
        if math.isclose(y, r, rel_tol=rtol, abs_tol=atol):
            return None
        if y > r:
            return _t("({value}) is too large", value=format(y, "g"))
        return _t("({value}) is too small", value=format(y, "g"))
    ref_np, yours_np = _to_numpy(ref), _to_numpy(yours)
    if isinstance(ref_np, np.ndarray):
        return default_compare(yours_np, ref_np, ())
    return None if yours == ref else _t("({value}) is not right", value=_short_repr(yours))



def default_compare(yours: Any, expected: Any, args: tuple) -> str | None:
    """Compare a reader's output with the reference's: ``None`` if they agree, else a message.

    Arrays and tensors: first the shape ("your output has shape (4, 6), it should have shape
    (4, 4)"), then ``numpy.allclose`` (rtol 1e-5, atol 1e-6), naming the first differing index
    and both values there. Tuples and lists are compared element by element; other values by
    ``==``.

    Serves: the code exercises of chapters 01-11.
    """
    if yours is None and expected is not None:
        return _t("Your function returned None: did you forget `return`?")
    if isinstance(expected, (tuple, list)) and not hasattr(expected, "shape"):
        if not isinstance(yours, (tuple, list)) or len(yours) != len(expected):
            count = len(yours) if isinstance(yours, (tuple, list)) else 1
            return _t("Your function returns {given} value(s); it should return {count}.", given=count, count=len(expected))
        for i, (y, e) in enumerate(zip(yours, expected)):
            problem = default_compare(y, e, args)
            if problem:
                return _t("In the {ordinal} returned value: {problem}", ordinal=_ordinal(i), problem=problem)
        return None
    exp = _to_numpy(expected)
    got = _to_numpy(yours)
    if isinstance(exp, np.ndarray) or isinstance(got, np.ndarray):
        if not isinstance(got, np.ndarray):
            if _as_real(got) is None:
                return _t("Your output is {kind} {value}; it should be an array or tensor.", kind=_type_name(yours), value=_short_repr(yours))
            got = np.asarray(got)
        exp = np.asarray(exp)
        if got.shape != exp.shape:
            return _t("Your output has shape {given}, it should have shape {expected}.", given=tuple(got.shape), expected=tuple(exp.shape))
        try:
            got_f = got.astype(np.float64)
            exp_f = exp.astype(np.float64)
        except (TypeError, ValueError):
            if np.array_equal(got, exp):
                return None
            index = tuple(int(i) for i in np.argwhere(got != exp)[0])
            return _t("Your output differs at index {index}: yours is {given}, expected {expected}.",
                      index=index, given=repr(got[index]), expected=repr(exp[index]))
        close = np.isclose(got_f, exp_f, rtol=1e-5, atol=1e-6, equal_nan=True)
        if close.all():
            return None
        bad = np.argwhere(~close)
        index = tuple(int(i) for i in bad[0])
        where = _t("index {index}", index=index) if index else _t("the single value")
        return _t(
            "Your output differs from the reference at {count} of {size} positions; the first is {where}: yours is {given}, expected {expected}.",
            count=len(bad), size=close.size, where=where, given=format(got_f[index], ".6g"), expected=format(exp_f[index], ".6g"),
        )
    y, e = _as_real(yours), _as_real(expected)
    if e is not None:
        if y is None:
            return _t("Your output is {kind} {value}; it should be a number.", kind=_type_name(yours), value=_short_repr(yours))
        if math.isclose(y, e, rel_tol=1e-5, abs_tol=1e-6):
            return None
        if y > e:
            return _t("Your output {given} is too large.", given=format(y, "g"))
        return _t("Your output {given} is too small.", given=format(y, "g"))
    return None if yours == expected else _t("Your output {value} is not right.", value=_short_repr(yours))

