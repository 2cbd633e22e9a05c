"""``python -m unet_course grade NOTEBOOKS... --out DIR``: the command a study group's leader runs.

Every check of the input comes first (the paths, ``--names``, ``--lang``, ``--timeout``,
``--workers``, the kernel, report files already in ``--out``): bad input stops with exit status 2
before any notebook runs. Then the notebooks run (a progress bar over them), the report is written,
and a summary of counts is printed; the exit status is 0 once the report is written, whatever the
notebooks' verdicts.

Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .notebooks import GradeInputError, NotebookGrade, find_notebooks, learner_names
from .report import refuse_replacing, write_report
from .run import grade_notebooks
from .words import STATUSES, VERDICTS

LANGUAGE_VARIABLE = "UNET_COURSE_LANG"


def report_language(given: str | None) -> str:
    """The report's language: ``given`` (``--lang``), else ``UNET_COURSE_LANG``, else ``en``.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    if given is not None:
        lang, where = given, "--lang"
    else:
        lang, where = os.environ.get(LANGUAGE_VARIABLE, "").strip().lower() or "en", LANGUAGE_VARIABLE
    if lang not in ("en", "ko"):
        raise GradeInputError(f"{where} is {lang!r}; the report is written in en or ko (pass --lang en or --lang ko)")
    return lang


def summary(grades: Sequence[NotebookGrade]) -> str:
    """Counts of the notebooks by status and of the exercises by verdict, two lines.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    statuses = Counter(g.status for g in grades)
    verdicts = Counter(v for g in grades for v in g.verdicts.values())
    return (f"{len(grades)} notebook(s): " + ", ".join(f"{statuses[s]} {s}" for s in STATUSES) + "\n"
            f"{sum(verdicts.values())} exercise check(s): " + ", ".join(f"{verdicts[v]} {v}" for v in VERDICTS))


def grade_command(args: argparse.Namespace) -> int:
    """The ``grade`` subcommand: check the input, run the notebooks, write the report, print a summary.

    :func:`~unet_course.grading.run.grade_notebooks` checks ``--timeout``, ``--workers`` and the kernel
    before it runs anything.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    lang = report_language(args.lang)
    notebooks = find_notebooks(args.notebooks)
    learners = learner_names(notebooks, args.names)
    out = Path(args.out)
    refuse_replacing(out, args.overwrite)
    grades = grade_notebooks(notebooks, learners, timeout=args.timeout, workers=args.workers, kernel=args.kernel,
                             progress=not args.quiet)
    written = write_report(grades, out, lang)
    print(summary(grades))
    print("wrote " + " and ".join(str(p) for p in written))
    return 0
