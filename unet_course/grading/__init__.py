"""Grade a study group's notebooks: ``python -m unet_course grade NOTEBOOKS... --out DIR``.

Each learner's notebook runs in a fresh kernel, in a temporary copy (the learners' files are only
read); every exercise check it runs (``quiz.check``) records its verdict, and the report says,
per learner and exercise, right / not yet / not answered / error / not reached, with each
notebook's status and the totals per exercise.

- :mod:`.notebooks`: finding the notebooks, naming their learners, their chapter and checks.
- :mod:`.run`: running them (nbclient) and reading the verdicts.
- :mod:`.report`: ``grades.csv`` and ``grades.html``; :mod:`.words`: their English and Korean words.
- :mod:`.command`: the ``grade`` subcommand (its options live in :mod:`unet_course.cli`).

Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
"""

from __future__ import annotations

from .command import grade_command, report_language, summary
from .notebooks import GradeInputError, NotebookGrade, find_notebooks, learner_names, read_course_notebook
from .report import csv_text, html_text, write_report
from .run import grade_notebooks
from .words import VERDICTS

__all__ = [
    "GradeInputError",
    "NotebookGrade",
    "VERDICTS",
    "csv_text",
    "find_notebooks",
    "grade_command",
    "grade_notebooks",
    "html_text",
    "learner_names",
    "read_course_notebook",
    "report_language",
    "summary",
    "write_report",
]
