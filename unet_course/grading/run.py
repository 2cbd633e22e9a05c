"""Run each course notebook in a fresh kernel and read the verdict of every exercise check.

Each notebook runs top to bottom as "Run All" would (nbclient, kernel ``python3`` by default),
stopping at the first cell that raises; its kernel's working folder is a temporary folder holding a
copy of the notebook, removed afterwards, so nothing is written beside the learner's files and the
files themselves are only read. ``UNET_COURSE_GRADE_RECORD`` names a file in that temporary folder:
``quiz.check`` appends each verdict to it (:mod:`unet_course.quiz.bank`). The time limit counts
for the whole notebook, the kernel's start included. ``workers`` notebooks run at a time.

A verdict is the last one a check of that id recorded; otherwise ``error`` when the notebook
stopped in that exercise's check cell or in its answer cell (tagged ``student-answer``), else
``not reached``. The exercises are the bank's questions of the notebook's chapter
(``quiz.questions(chapter)``), in the order the notebook checks them, and any other id it checked.

The notebooks run the learners' code with the rights of whoever grades: grade notebooks you
would run yourself.

Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ..quiz.bank import RECORD_VARIABLE, questions
from .notebooks import CourseNotebook, GradeInputError, NotebookGrade, exercise_at, read_course_notebook
from .words import RECORDED, Reason


def check_kernel(kernel: str) -> None:
    """Stop before any work when nbclient is missing or no Jupyter kernel is named ``kernel``.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as error:
        raise GradeInputError(f"grading runs notebooks with nbclient and ipykernel ({error}); "
                              "install them: pip install 'unet-course[book]'") from None
    try:  # looks the kernel up without starting it
        NotebookClient(nbformat.v4.new_notebook(), kernel_name=kernel).create_kernel_manager().kernel_spec
    except KeyError:  # jupyter_client's NoSuchKernel
        raise GradeInputError(f"there is no Jupyter kernel named {kernel!r}; 'jupyter kernelspec list' lists them "
                              "(pass one with --kernel)") from None


def read_records(path: Path) -> dict[str, str]:
    """The verdicts a kernel recorded: question id -> verdict (the last of each id), in first-check order.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    verdicts: dict[str, str] = {}
    if not path.exists():
        return verdicts
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            verdicts[entry["id"]] = RECORDED[entry["verdict"]]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a kernel that died while writing it
    return verdicts


def combine(course: CourseNotebook, recorded: dict[str, str], failed_cell: int | None) -> dict[str, str]:
    """Every exercise's verdict from what was recorded and where the notebook stopped (module docstring).

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    expected = {q.id for q in questions(course.chapter)}
    order = list(dict.fromkeys([qid for _, qid in course.checks if qid in expected] + sorted(expected)))
    order += [qid for qid in recorded if qid not in expected]
    stopped_in = exercise_at(course, failed_cell) if failed_cell is not None else None
    return {qid: recorded.get(qid) or ("error" if qid == stopped_in else "not reached") for qid in order}


async def _execute(path: Path, course: CourseNotebook, timeout: float,
                   kernel: str) -> tuple[dict[str, str], Reason | None, int | None]:
    """Run one notebook; (recorded verdicts, the reason it stopped or ``None``, the cell it stopped in)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    deadline = time.monotonic() + timeout
    current: dict[str, int | None] = {"cell": None}

    def on_cell_start(cell: object, cell_index: int) -> None:
        current["cell"] = cell_index

    with tempfile.TemporaryDirectory(prefix="unet-course-grade-") as tmp:
        work, record = Path(tmp) / "work", Path(tmp) / "verdicts.jsonl"
        work.mkdir()
        shutil.copyfile(path, work / path.name)
        client = NotebookClient(
            course.notebook, kernel_name=kernel, timeout=math.ceil(timeout),
            startup_timeout=math.ceil(min(60.0, timeout)),
            timeout_func=lambda cell: max(deadline - time.monotonic(), 0.01),  # what is left of the notebook's limit
            resources={"metadata": {"path": str(work)}}, on_cell_start=on_cell_start)
        failure: Reason | None = None
        cell = lambda: (current["cell"] or 0) + 1  # noqa: E731 - 1-based, as a reader counts cells
        try:
            # the kernel's own stderr carries only its start-up notices; a death is reported below
            await client.async_execute(env={**os.environ, RECORD_VARIABLE: str(record)},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except CellTimeoutError:
            failure = Reason("timeout", {"seconds": timeout, "cell": cell()})
        except DeadKernelError:
            failure = Reason("dead", {"cell": cell()})
        except CellExecutionError as error:
            evalue = (str(error.evalue).strip().splitlines() or [""])[0]
            failure = Reason("raised", {"cell": cell(), "error": f"{error.ename}: {evalue}"[:300]})
        except Exception as error:  # noqa: BLE001 - a kernel that does not start, a time limit spent starting it
            failure = Reason("kernel", {"error": f"{type(error).__name__}: {error}"[:300]})
            current["cell"] = None
        recorded = read_records(record)
    if failure is None and course.checks and not recorded:
        failure = Reason("silent", {"kernel": kernel})
    return recorded, failure, current["cell"] if failure is not None and failure.key != "silent" else None


def grade_notebooks(paths: Sequence[Path], learners: Sequence[str], *, timeout: float = 300.0, workers: int = 1,
                    kernel: str = "python3", progress: bool = True) -> list[NotebookGrade]:
    """Grade every notebook: run the course notebooks (``workers`` at a time, ``timeout`` seconds
    each) and read their verdicts; the others are reported as not the course's, without running.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    from tqdm.auto import tqdm

    if not 0 < timeout < math.inf:
        raise GradeInputError(f"--timeout must be a number of seconds > 0, got {timeout}")
    if workers < 1:
        raise GradeInputError(f"--workers must be at least 1, got {workers}")
    check_kernel(kernel)
    bank = questions()
    chapters, ids = {q.chapter for q in bank}, {q.id for q in bank}
    read = [read_course_notebook(path, chapters, ids) for path in paths]
    grades = [NotebookGrade(path, learner, None, "not a course notebook", item) if isinstance(item, Reason)
              else NotebookGrade(path, learner, item.chapter, "ran")
              for path, learner, item in zip(paths, learners, read)]
    runs = [(grade, course) for grade, course in zip(grades, read) if isinstance(course, CourseNotebook)]

    async def run_all() -> None:
        slots = asyncio.Semaphore(workers)
        with tqdm(total=len(runs), desc="grade", unit="notebook", disable=not progress) as bar:
            async def one(grade: NotebookGrade, course: CourseNotebook) -> None:
                async with slots:
                    recorded, failure, cell = await _execute(grade.path, course, timeout, kernel)
                grade.verdicts = combine(course, recorded, cell)
                if failure is not None:
                    grade.status, grade.reason = "failed", failure
                bar.update(1)

            await asyncio.gather(*(one(grade, course) for grade, course in runs))

    if runs:
        asyncio.run(run_all())
    return grades
