"""Files the package writes: never half-written, never left behind on failure.

:func:`write_atomically` is the one way the package writes a file a user keeps (a checkpoint or
model file, label images, a training history, a grading report, a chapter's result file).

Serves: the course's runtime (checkpoints and results kept safe), used from chapter 04 on and by the command line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["write_atomically"]


def write_atomically(path: str | os.PathLike, write: Callable[[str], Any]) -> Path:
    """Call ``write(temporary_path)``, flush the file to disk and rename it over ``path``.

    The temporary file lies in ``path``'s folder, so the rename is atomic: ``path`` holds either
    its old content or the whole new one, never a part. On any failure (Ctrl-C included) the
    temporary file is removed and ``path`` is untouched. The file is made readable by others
    (``0o644``), as a file written by ``open`` would be.

    Serves: the course's runtime (checkpoints and results kept safe), used from chapter 04 on and by the command line.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; what we write is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
