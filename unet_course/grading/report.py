"""The grading report: ``grades.csv`` (one row per notebook and exercise) and ``grades.html``
(per chapter, a table learner x exercise with each notebook's status and the totals per exercise).

``grades.csv`` is UTF-8 with the columns learner, notebook, chapter (``05``), question, verdict
(one of ``right``, ``not yet``, ``not answered``, ``error``, ``not reached``) and status (``ran``,
``failed: REASON`` or ``not a course notebook: REASON``); a notebook with no exercise (not the
course's) has one row with the question and verdict empty. ``grades.html`` is one self-contained
file (inline CSS, no script, every text escaped) in the words of ``--lang``; a total below half of
the chapter's notebooks is set in bold red, the ideas the group missed. Both files are written
atomically.

Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path

from ..quiz.bank import get
from ..quiz.catalog import translate
from .notebooks import GradeInputError, NotebookGrade
from .words import VERDICTS, WORDS, status_text

REPORT_FILES = ("grades.csv", "grades.html")
CSV_COLUMNS = ("learner", "notebook", "chapter", "question", "verdict", "status")

_STYLE = """
body { font-family: system-ui, "Noto Sans KR", "Apple SD Gothic Neo", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 2em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
thead th { background: #eee; } tfoot th, tfoot td { background: #f6f6f6; }
.v-right { background: #d9f2d9; } .v-not-yet { background: #fde2c8; } .v-not-answered { background: #eee; color: #555; }
.v-error { background: #f8c9c9; } .v-not-reached { background: #fff; color: #888; font-style: italic; }
.failed { color: #a00; } .missed { color: #b00; font-weight: bold; } .legend span { padding: 0 0.3em; }
""".strip()


def csv_text(grades: Sequence[NotebookGrade]) -> str:
    """The CSV report as text (see the module docstring for its columns).

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in grades:
        chapter, status = (f"{g.chapter:02d}" if g.chapter is not None else ""), status_text(g.status, g.reason)
        for qid, verdict in g.verdicts.items() or [("", "")]:
            writer.writerow([g.learner, str(g.path), chapter, qid, verdict, status])
    return buffer.getvalue()


def _prompt(qid: str, lang: str) -> str:
    """The question's prompt for a header's tooltip (with ``ko``, the package catalog's Korean)."""
    try:
        question = get(qid)
    except KeyError:
        return ""
    text = translate(question.prompt, "prompt") if lang == "ko" else question.prompt
    return " ".join(text.split())[:200]


def html_text(grades: Sequence[NotebookGrade], lang: str = "en") -> str:
    """The HTML report as text, in ``lang`` (``en`` or ``ko``): see the module docstring.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    words, e = WORDS[lang], html.escape
    ran = sum(g.status == "ran" for g in grades)
    failed = sum(g.status == "failed" for g in grades)
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">',
             f"<title>{e(words['title'])}</title>",
             f"<style>\n{_STYLE}\n</style>\n</head>\n<body>\n<h1>{e(words['title'])}</h1>",
             "<p>" + e(words["summary"].format(count=len(grades), ran=ran, failed=failed,
                                                other=len(grades) - ran - failed)) + "</p>",
             '<ul class="legend">\n' + "\n".join(f'<li><span class="v-{v.replace(" ", "-")}">{e(words[v])}</span>: '
                                                f'{e(words["legend " + v])}</li>' for v in VERDICTS) + "\n</ul>",
             "<p>" + e(words["missed"]).replace("{example}", '<span class="missed">n / N</span>') + "</p>"]
    rows = sorted(grades, key=lambda g: (g.learner, str(g.path)))
    for chapter in sorted({g.chapter for g in grades if g.chapter is not None}):
        mine = [g for g in rows if g.chapter == chapter]
        ids = list(dict.fromkeys(qid for g in mine for qid in g.verdicts))
        parts.append(f"<h2>{e(words['chapter'].format(chapter=chapter))}</h2>\n<table>\n<thead><tr>"
                     f"<th>{e(words['learner'])}</th><th>{e(words['notebook'])}</th><th>{e(words['status'])}</th>"
                     + "".join(f'<th title="{e(_prompt(qid, lang))}">{e(qid)}</th>' for qid in ids)
                     + f"<th>{e(words['row total'])}</th></tr></thead>\n<tbody>")
        for g in mine:
            cells = "".join(_verdict_cell(g.verdicts.get(qid, "not reached"), words) for qid in ids)
            right = sum(v == "right" for v in g.verdicts.values())
            status = '<td class="failed">' if g.status == "failed" else "<td>"
            parts.append(f"<tr><td>{e(g.learner)}</td><td>{e(str(g.path))}</td>{status}"
                         f"{e(status_text(g.status, g.reason, lang))}</td>{cells}"
                         f"<td>{right} / {len(g.verdicts)}</td></tr>")
        totals = [sum(g.verdicts.get(qid) == "right" for g in mine) for qid in ids]
        parts.append(f"</tbody>\n<tfoot><tr><th colspan=\"3\">{e(words['totals'].format(count=len(mine)))}</th>"
                     + "".join(('<td class="missed">' if 2 * t < len(mine) else "<td>") + f"{t} / {len(mine)}</td>"
                               for t in totals) + "<td></td></tr></tfoot>\n</table>")
    others = [g for g in rows if g.chapter is None]
    if others:
        parts.append(f"<h2>{e(words['others'])}</h2>\n<table>\n<thead><tr><th>{e(words['learner'])}</th>"
                     f"<th>{e(words['notebook'])}</th><th>{e(words['status'])}</th></tr></thead>\n<tbody>")
        parts += [f"<tr><td>{e(g.learner)}</td><td>{e(str(g.path))}</td><td>{e(status_text(g.status, g.reason, lang))}"
                  "</td></tr>" for g in others]
        parts.append("</tbody>\n</table>")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _verdict_cell(verdict: str, words: dict[str, str]) -> str:
    return f'<td class="v-{verdict.replace(" ", "-")}">{html.escape(words[verdict])}</td>'


def refuse_replacing(out: Path, overwrite: bool) -> None:
    """Stop before any work when ``out`` is a file, or holds report files and ``overwrite`` is false.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    if out.exists() and not out.is_dir():
        raise GradeInputError(f"--out {str(out)!r} is a file; give a folder for grades.csv and grades.html")
    there = [name for name in REPORT_FILES if (out / name).exists()]
    if there and not overwrite:
        raise GradeInputError(f"--out {str(out)!r} already holds {' and '.join(there)}; pass --overwrite to replace "
                              "them, or choose another --out folder")


def write_report(grades: Sequence[NotebookGrade], out: Path, lang: str = "en") -> list[Path]:
    """Write ``grades.csv`` and ``grades.html`` into ``out`` (created), each atomically; return their paths.

    Serves: the exercises of every chapter (chapters 01-11), graded for a study group (README).
    """
    from ..files import write_atomically

    out.mkdir(parents=True, exist_ok=True)
    texts = {"grades.csv": csv_text(grades), "grades.html": html_text(grades, lang)}
    paths = []
    for name, text in texts.items():
        write_atomically(out / name, lambda tmp, text=text: Path(tmp).write_text(text, encoding="utf-8"))
        paths.append(out / name)
    return paths
