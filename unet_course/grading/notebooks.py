"""Which notebooks to grade, whose they are, which chapter each is, and where its checks are.

- Notebooks: files ending ``.ipynb``, or folders searched with their subfolders (hidden folders
  such as ``.ipynb_checkpoints`` skipped). A path that does not exist, a file that is not
  ``.ipynb`` and a folder without notebooks are errors before any work.
- Learners (``--names``): ``file`` names each learner by the file name without ``.ipynb``
  (``alice.ipynb`` -> alice); ``folder`` by the notebook's folder (``alice/05_unet_architecture.ipynb``
  -> alice; the path from the folder the notebooks share where two folders have one name);
  ``auto`` (default) is ``folder`` when two of the notebooks share a file name, or when every file
  name starts with a chapter number (``05_...``, the course's names) and no folder holds two
  notebooks of one chapter; else ``file``.
- A course notebook carries the learner's edition's mark (metadata ``unet_course_edition``, written
  by ``scripts/make_student.py``) or calls ``quiz.check`` with ids of the bank. Its chapter is the one
  its file name starts with (``NN_``) unless its checks name another chapter only; then the chapter
  most of its checks name.

Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .words import Reason

EDITION_KEY = "unet_course_edition"  # scripts/make_student.py marks the learner's edition with it
ANSWER_TAGS = ("student-answer", "solution")  # the answer cells of the learner's and the full edition
CHECK_CALL = re.compile(r"""\bcheck\(\s*(?:id\s*=\s*)?["'](\d{2}\.[a-z0-9][a-z0-9_-]*)["']""")
CHAPTER_PREFIX = re.compile(r"^(\d{2})[_-]")
NAME_MODES = ("auto", "file", "folder")


class GradeInputError(ValueError):
    """Bad input to ``grade`` (a missing path, no notebooks, a report file in the way): exit status 2.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """


@dataclass
class NotebookGrade:
    """One notebook's result: its learner, chapter (``None`` when not a course notebook), status
    (one of ``words.STATUSES``), the reason when it did not run through, and ``verdicts``: question id
    -> one of ``words.VERDICTS``, in the order of the notebook's checks (then the bank's ids).

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """

    path: Path
    learner: str
    chapter: int | None
    status: str
    reason: Reason | None = None
    verdicts: dict[str, str] = field(default_factory=dict)


@dataclass
class CourseNotebook:
    """A course notebook read for grading: its chapter, every check call ``(cell index, id)`` in
    cell order (0-based over all cells), and the indices of its answer cells.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """

    notebook: Any
    chapter: int
    checks: list[tuple[int, str]]
    answer_cells: set[int]


def find_notebooks(paths: Sequence[str | Path]) -> list[Path]:
    """The notebooks given: files ``*.ipynb`` as they are, folders searched (subfolders too, hidden
    ones skipped), each file once, in the order given (a folder's sorted).

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    if not paths:
        raise GradeInputError("give at least one notebook (.ipynb) or folder of notebooks")
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise GradeInputError(f"no such file or folder: {', '.join(map(repr, missing))}")
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            inside = sorted(p for p in given.rglob("*.ipynb")
                            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(given).parts))
            if not inside:
                raise GradeInputError(f"{str(given)!r} holds no notebook (*.ipynb), in its subfolders neither")
            found += inside
        elif given.suffix != ".ipynb":
            raise GradeInputError(f"{str(given)!r} is not a notebook (.ipynb); give notebooks or folders of them")
        else:
            found.append(given)
    seen: set[Path] = set()
    unique = []
    for path in found:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique


def learner_names(notebooks: Sequence[Path], mode: str = "auto") -> list[str]:
    """The learner of each notebook, by ``mode`` (see the module docstring): ``file``, ``folder`` or ``auto``.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    if mode not in NAME_MODES:
        raise GradeInputError(f"--names must be one of {', '.join(NAME_MODES)}, got {mode!r}")
    counts = Counter(p.name for p in notebooks)
    shared = sorted(name for name, n in counts.items() if n > 1)
    if mode == "file" and shared:
        raise GradeInputError(f"--names file: several notebooks are named {shared[0]!r}, so the file name names no "
                              "learner; use --names folder (alice/NAME.ipynb -> alice)")
    prefixes = [CHAPTER_PREFIX.match(p.name) for p in notebooks]
    per_folder = {(p.resolve().parent, m.group(1)) for p, m in zip(notebooks, prefixes) if m}
    course_names = all(prefixes) and len(per_folder) == len(notebooks)  # chapter names, one of each per folder
    if mode == "file" or (mode == "auto" and not shared and not course_names):
        return [p.stem for p in notebooks]
    folders = [p.resolve().parent for p in notebooks]
    names = [f.name for f in folders]
    if len(set(zip(names, (p.name for p in notebooks)))) < len(notebooks):  # two folders of one name
        common = Path(os.path.commonpath(folders))
        names = [f.relative_to(common).as_posix() if f != common else f.name for f in folders]
    return names


def check_calls(notebook: Any) -> list[tuple[int, str]]:
    """Every ``quiz.check("NN.name", ...)`` of the notebook's code cells: ``(cell index, id)`` in order.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    return [(index, qid) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for qid in CHECK_CALL.findall(cell.source)]


def read_course_notebook(path: Path, chapters: set[int], bank_ids: set[str]) -> CourseNotebook | Reason:
    """The notebook at ``path`` read for grading, or the :class:`Reason` it is not a course
    notebook (unreadable, unmarked and without checks, or of no chapter in ``chapters``).

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
        checks = check_calls(notebook)
    except Exception as error:  # noqa: BLE001 - any unreadable file is reported, not raised
        return Reason("unreadable", {"error": f"{type(error).__name__}: {error}"})
    named = Counter(int(qid[:2]) for _, qid in checks if qid in bank_ids)
    if EDITION_KEY not in notebook.metadata and not named:
        return Reason("unmarked")
    prefix = CHAPTER_PREFIX.match(path.name)
    chapter = int(prefix.group(1)) if prefix else None
    if chapter not in chapters or (named and chapter not in named):
        chapter = named.most_common(1)[0][0] if named else None
    if chapter is None:
        return Reason("chapter")
    answers = {i for i, cell in enumerate(notebook.cells)
               if set(cell.get("metadata", {}).get("tags", [])) & set(ANSWER_TAGS)}
    return CourseNotebook(notebook, chapter, checks, answers)


def exercise_at(course: CourseNotebook, cell: int) -> str | None:
    """The exercise a failure in cell ``cell`` belongs to: the check in that cell, or the next
    check when ``cell`` is an answer cell before it with no other check between; else ``None``
    (a failure outside the exercises).

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    for index, qid in course.checks:
        if index == cell:
            return qid
        if index > cell:
            return qid if cell in course.answer_cells else None
    return None
