"""The metrics' one input converter: tensors or arrays in, checked NumPy arrays out."""

from __future__ import annotations

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def as_numpy(
    x: ArrayLike,
    name: str,
    *,
    ndim: int | None = None,
    what: str = "map",
    ndim_hint: str = "",
    integer: str | None = None,
    nonempty: bool = False,
) -> np.ndarray:
    """``x`` as a NumPy array (a tensor detached and moved to the CPU), checked as asked.

    Args:
        x: array or tensor.
        name: the argument's name, for the error messages.
        ndim: required number of dimensions (``ValueError`` naming ``what`` and the shape if not).
        what: what a right input is, e.g. ``"label map"``.
        ndim_hint: appended to the dimension message (what to do instead).
        integer: if given, bool or integer dtypes are required; the ``TypeError`` reads
            ``"{name} must hold {integer}"`` with the dtype found (``integer`` says what to do).
        nonempty: raise ``ValueError`` on an empty array.

    Serves: every metric of :mod:`unet_course.metrics` (chapters 04, 06, 08, 09).
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D {what} (H, W), got shape {x.shape}{ndim_hint}")
    if nonempty and x.size == 0:
        raise ValueError(f"{name} is empty")
    if integer is not None and not (x.dtype == bool or np.issubdtype(x.dtype, np.integer)):
        head, _, tail = integer.partition(";")
        raise TypeError(f"{name} must {head.strip()}, got dtype {x.dtype}" + (f";{tail}" if tail else ""))
    return x


def check_connectivity(connectivity: int) -> int:
    """``connectivity`` if it is 4 or 8, else a ``ValueError`` that says so.

    Every function of :mod:`unet_course.metrics` (and :func:`unet_course.weightmap.touching_pairs`)
    names pixel adjacency by the number of neighbours in 2-D: 4 (edges) or 8 (edges and corners).
    SciPy and scikit-image call the same two 1 and 2; those are refused here rather than guessed.

    Serves: every metric of :mod:`unet_course.metrics` (chapters 04, 06, 08, 09).
    """
    if isinstance(connectivity, bool) or connectivity not in (4, 8):
        hint = (f"; scikit-image's connectivity={connectivity} is {4 if connectivity == 1 else 8} here"
                if connectivity in (1, 2) and not isinstance(connectivity, bool) else "")
        raise ValueError(f"connectivity must be 4 (edge neighbours) or 8 (edge and corner neighbours), "
                         f"got {connectivity!r}{hint}")
    return int(connectivity)
