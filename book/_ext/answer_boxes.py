"""Answer boxes in the book's pages: every exercise answered and checked where it is read.

1. **A box after each exercise.** An exercise (sphinx-exercise's ``{exercise}``) is followed by its
   gated solution and then the check cell ``assert quiz.check("NN.id", answer)``; the ids of the
   check cells after an exercise (before the next one) are its questions. After the exercise (and
   after the ``quiz.show`` cells right below it) the HTML page gets a form for each question: a
   text field for a number or a formula, radio buttons for a choice or true/false, or, for an
   answer that is code, a note with the learner's notebook (download; Binder and Colab when
   ``UNET_COURSE_REPOSITORY`` names the repository, ``book/_ext/repository_links.py``).
   ``book/_assets/answer-boxes.js`` checks the answer in the browser, with the verdict, message
   and hint of ``quiz.check``, in the page's language, and keeps the progress in localStorage.
2. **The data.** At the end of the build the question bank is exported
   (``book/_ext/answer_export.py``) into ``_static/answer-data.js`` with the list of every
   chapter's exercises (for the progress page, ``book/progress.md``).
3. **One prompt.** The output of a cell that calls ``quiz.show(`` (the prompt again, and the
   options that the box now shows) is left out of the HTML pages. It stays in the doctree for the
   gettext builder: the Korean prompts of ``unet_course/questions/_ko_prompts.py`` come from it.
4. **Predict, then see.** A code cell tagged ``reveal-after:NN.id`` gets a marker; the script
   folds the cell's output until question ``NN.id`` is answered (or the reader chooses to see it).

Nothing of the right answer is written into a page: it is only in the data file.
"""

from __future__ import annotations

import html
import posixpath
import re
import sys
from pathlib import Path
from typing import Any

from docutils import nodes

sys.path.insert(0, str(Path(__file__).resolve().parent))
import answer_export  # noqa: E402

CHECK_CALL = re.compile(r"""quiz\.check\(\s*["'](\d{2}\.[\w-]+)["']""")
PROMPT_CALL = "quiz.show("
REVEAL_TAG = "reveal-after:"
CHAPTER = re.compile(r"^notebooks/(\d{2})_[\w-]+$")
DATA_FILE = "answer-data.js"

_EXPORT: dict | None = None


def bank_export() -> dict:
    """The exported bank, once per process (loading the bank imports torch)."""
    global _EXPORT
    if _EXPORT is None:
        _EXPORT = answer_export.export_bank()
    return _EXPORT


# --- the exercises of a document and their questions ------------------------------------------

def _is_exercise(node: nodes.Node) -> bool:
    return type(node).__name__ in ("exercise_node", "exercise_enumerable_node")


def _is_code_cell(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and node.get("nb_element") == "cell_code"


def _cell_source(cell: nodes.Node) -> str:
    for child in cell.children:
        if isinstance(child, nodes.container) and child.get("nb_element") == "cell_code_source":
            return "\n".join(block.astext() for block in child.findall(nodes.literal_block))
    return ""


def _in_solution(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if type(parent).__name__ == "solution_node":
            return True
        parent = parent.parent
    return False


def exercises_of(doctree: nodes.Node) -> list[tuple[nodes.Node, list[str]]]:
    """Each exercise of the document with the question ids of the check cells after it."""
    found: list[tuple[nodes.Node, list[str]]] = []
    gated = False  # between {solution-start} and {solution-end} (a read doctree)
    for node in doctree.findall(nodes.Element):
        name = type(node).__name__
        if name == "solution_start_node":
            gated = True
        elif name == "solution_end_node":
            gated = False
        elif _is_exercise(node):
            found.append((node, []))
        elif _is_code_cell(node) and found and not gated and not _in_solution(node):
            for qid in CHECK_CALL.findall(_cell_source(node)):
                if qid not in found[-1][1]:
                    found[-1][1].append(qid)
    return [(exercise, qids) for exercise, qids in found if qids]


def _exercise_id(exercise: nodes.Node) -> str:
    ids = exercise.get("ids") or []
    return ids[0] if ids else exercise.get("label", "")


# --- the HTML of a box ------------------------------------------------------------------------

def _inline(text: str) -> str:
    """A prompt's Markdown as inline HTML: escaped, `code` as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _launch_links(app: Any, docname: str, lang: str) -> list[tuple[str, str]]:
    """(text, URL) of the learner's notebook: the download, and Binder and Colab with a repository."""
    ui = answer_export.UI
    stem = docname.split("/", 1)[1]
    links = [(ui["download"][lang], posixpath.relpath(f"_sources/{docname}.ipynb", posixpath.dirname(docname)))]
    import repository_links

    repository = repository_links.repository_from_environment()
    if repository:
        options = app.config.html_theme_options or {}
        branch = options.get("repository_branch") or "main"
        launch = options.get("launch_buttons") or {}
        folder = app.config.course_learner_dir.strip('/') + ("/ko" if lang == "ko" else "")  # learner/ko: the Korean edition
        learner = f"{folder}/{stem}.ipynb"
        owner_name = repository.removeprefix("https://github.com/")
        if launch.get("binderhub_url"):
            interface = "lab/tree" if launch.get("notebook_interface") == "jupyterlab" else "tree"
            links.append((ui["binder"][lang],
                          f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{owner_name}/{branch}?urlpath={interface}/{learner}"))
        if launch.get("colab_url"):
            links.append((ui["colab"][lang], f"{launch['colab_url'].rstrip('/')}/github/{owner_name}/blob/{branch}/{learner}"))
    return links


def _field_id(qid: str) -> str:
    return "answer-" + re.sub(r"[^a-z0-9-]", "-", qid.lower())


def question_form(question: dict, lang: str, with_prompt: bool) -> str:
    """The form of one question (a number, a formula, a choice, true or false)."""
    ui = answer_export.UI
    qid, kind, fid = question["id"], question["kind"], _field_id(question["id"])
    parts = [f'<form class="answer-item" data-qid="{html.escape(qid)}" data-kind="{kind}" novalidate>']
    if with_prompt:
        parts.append(f'<p class="answer-prompt" id="{fid}-prompt">{_inline(question["prompt"][lang])}</p>')
    parts.append('<p class="answer-state" aria-live="off"></p>')
    described = f"{fid}-help {fid}-feedback"
    if kind in ("number", "formula"):
        helptext = ui["number_help"][lang] if kind == "number" else answer_export.UI["formula_help"][lang].format(
            params=", ".join(question["params"]))
        mode = ' inputmode="decimal"' if kind == "number" else ""
        labelled = f' aria-labelledby="{fid}-label{" " + fid + "-prompt" if with_prompt else ""}"'
        parts.append(
            f'<label class="answer-label" id="{fid}-label" for="{fid}">{ui["your_answer"][lang]}</label>'
            f'<div class="answer-row"><input type="text" class="answer-input" id="{fid}" name="{fid}"{mode}{labelled}'
            f' autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="{described}">'
            f'<button type="submit" class="answer-check" disabled>{ui["check"][lang]}</button></div>'
            f'<p class="answer-help" id="{fid}-help">{html.escape(helptext)}</p>'
        )
    else:
        if kind == "choice":
            options = [(str(i), f'<span class="answer-index">{i}</span> {_inline(text)}')
                       for i, text in enumerate(question["options"][lang])]
        else:
            options = [("true", ui["true"][lang]), ("false", ui["false"][lang])]
        legend = ui["your_answer"][lang]
        parts.append(f'<fieldset class="answer-choices" aria-describedby="{fid}-feedback"><legend>{legend}</legend>')
        for value, label in options:
            parts.append(f'<div class="answer-option"><input type="radio" name="{fid}" id="{fid}-{value}" value="{value}">'
                         f'<label for="{fid}-{value}">{label}</label></div>')
        parts.append(f'</fieldset><div class="answer-row"><button type="submit" class="answer-check" disabled>{ui["check"][lang]}</button></div>')
    parts.append(f'<div class="answer-feedback" id="{fid}-feedback" role="status" aria-live="polite"></div></form>')
    return "".join(parts)


def code_note(app: Any, docname: str, lang: str) -> str:
    """The note of an exercise answered with code: where to answer it."""
    links = " · ".join(f'<a href="{html.escape(url)}"{" download" if url.startswith(".") or url.startswith("_") else ""}>'
                       f"{html.escape(text)}</a>" for text, url in _launch_links(app, docname, lang))
    return f'<div class="answer-code"><p>{html.escape(answer_export.UI["code_answer"][lang])}</p><p>{links}</p></div>'


def box_html(app: Any, docname: str, exercise_id: str, qids: list[str], lang: str) -> str:
    questions = bank_export()["questions"]
    known = [questions[q] for q in qids if q in questions]
    answerable = [q for q in known if q["kind"] != "code"]
    parts = [f'<div class="answer-box" role="group" aria-label="{html.escape(answer_export.UI["your_answer"][lang])}"'
             f' data-exercise="{html.escape(exercise_id)}">']
    parts += [question_form(q, lang, with_prompt=len(answerable) > 1) for q in answerable]
    if len(answerable) < len(known):
        parts.append(code_note(app, docname, lang))
    parts.append("</div>")
    return "".join(parts)


# --- the doctree of an HTML page --------------------------------------------------------------

def _language(app: Any) -> str:
    return "ko" if (app.config.language or "en").startswith("ko") else "en"


def add_boxes(app: Any, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: the boxes, the prompts shown once, the folded outputs (HTML only)."""
    if app.builder.format != "html":
        return
    lang = _language(app)
    for exercise, qids in exercises_of(doctree):
        parent = exercise.parent
        index = parent.index(exercise)
        while index + 1 < len(parent.children) and _is_code_cell(parent.children[index + 1]) \
                and PROMPT_CALL in _cell_source(parent.children[index + 1]):
            index += 1
        parent.insert(index + 1, nodes.raw("", box_html(app, docname, _exercise_id(exercise), qids, lang), format="html"))
    for cell in list(doctree.findall(_is_code_cell)):
        if PROMPT_CALL in _cell_source(cell):
            for output in [c for c in cell.children if isinstance(c, nodes.container) and c.get("nb_element") == "cell_code_output"]:
                cell.remove(output)
        tags = (cell.get("cell_metadata") or {}).get("tags") or []
        for tag in tags:
            if tag.startswith(REVEAL_TAG):
                qid = tag[len(REVEAL_TAG):]
                cell.insert(0, nodes.raw("", f'<span class="reveal-marker" data-reveal-after="{html.escape(qid)}" hidden></span>',
                                         format="html"))


# --- the data file ----------------------------------------------------------------------------

def chapters(app: Any) -> list[dict]:
    """Every chapter with exercises, in the order of the book: its page, title and exercises."""
    env = app.env
    listed = []
    for docname in sorted(d for d in env.found_docs if CHAPTER.match(d)):
        doctree = env.get_doctree(docname)
        numbers = env.toc_fignumbers.get(docname, {}).get("exercise", {})
        exercises = []
        for exercise, qids in exercises_of(doctree):
            label = _exercise_id(exercise)
            number = numbers.get(label)
            exercises.append({"label": label, "number": ".".join(map(str, number)) if number else "", "questions": qids})
        if exercises:
            title = env.titles[docname].astext() if docname in env.titles else docname
            listed.append({"page": docname, "title": title, "exercises": exercises})
    return listed


def write_data(app: Any, exception: Exception | None) -> None:
    """``build-finished``: ``_static/answer-data.js``, the bank and the chapters' exercises."""
    if exception is not None or app.builder.format != "html":
        return
    data = dict(bank_export(), chapters=chapters(app), language=_language(app))
    target = Path(app.outdir) / "_static" / DATA_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(answer_export.as_script(data), encoding="utf-8")


def setup(app: Any) -> dict:
    if "course_learner_dir" not in app.config.values:
        app.add_config_value("course_learner_dir", "learner", "html")
    app.add_js_file(DATA_FILE, defer="defer")
    app.add_js_file("answer-boxes.js", defer="defer")
    app.add_css_file("answer-boxes.css")
    app.connect("doctree-resolved", add_boxes)
    app.connect("build-finished", write_data)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
