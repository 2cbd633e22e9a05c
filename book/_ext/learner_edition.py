"""The book's side of the learner's edition, and numbers per chapter.

1. **Downloads.** Every chapter's download button serves the learner's notebook: after the
   build, ``_sources/notebooks/NN_name.ipynb`` (where the button points) is replaced by the
   ``make student`` transformation of the chapter (``scripts/make_student.py``), and the full
   notebook, with solutions, is written beside it as ``NN_name.with-solutions.ipynb``; the
   download menu lists both, labelled.
2. **Launch buttons.** Binder and Colab open the committed learner's edition
   (``learner/NN_name.ipynb``) instead of the full notebook.
3. **Numbers per chapter.** Exercises, figures, tables and code blocks are numbered per chapter
   from the notebook's two-digit prefix (Exercise 10.1, 10.2, ...) instead of one count over
   the whole book. Pages without a chapter number (the preface, the appendices in ``book/``)
   number theirs from 1 with the prefix given in ``course_number_prefixes`` (e.g. ``A`` for
   the performance appendix: A.1, A.2), or without a prefix.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from typing import Any

CHAPTER = re.compile(r"^notebooks/(\d{2})_[\w-]+$")
FULL_SUFFIX = ".with-solutions.ipynb"


def _make_student(srcdir: Path) -> Any:
    spec = importlib.util.spec_from_file_location("make_student", srcdir / "scripts" / "make_student.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_chapter(app: Any, docname: str) -> bool:
    return bool(CHAPTER.match(docname)) and str(app.env.doc2path(docname)).endswith(".ipynb")


# --- 3. numbers per chapter -------------------------------------------------------------------

def chapter_numbers(app: Any, env: Any) -> list[str]:
    """Renumber ``env.toc_fignumbers`` per chapter (runs after Sphinx assigned book-wide numbers)."""
    prefixes: dict[str, str] = app.config.course_number_prefixes or {}
    for docname, by_type in env.toc_fignumbers.items():
        match = CHAPTER.match(docname)
        prefix: tuple = (int(match.group(1)),) if match else ((prefixes[docname],) if docname in prefixes else ())
        for figtype, numbers in by_type.items():
            ordered = sorted(numbers, key=lambda key: numbers[key])  # Sphinx numbered in document order
            by_type[figtype] = {key: prefix + (index,) for index, key in enumerate(ordered, start=1)}
    return []


# --- 2. launch buttons and the download menu --------------------------------------------------

def learner_buttons(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Point Binder and Colab at ``learner/``; label the downloads and add the full notebook."""
    if doctree is None or not _is_chapter(app, pagename):
        return
    stem = pagename.split("/", 1)[1]
    learner_dir = app.config.course_learner_dir.strip("/")
    full_path, learner_path = f"{pagename}.ipynb", f"{learner_dir}/{stem}.ipynb"
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            for button in group.get("buttons", []):
                if "url" in button and full_path in button["url"]:
                    button["url"] = button["url"].replace(full_path, learner_path)
                    button["tooltip"] = f"{button.get('tooltip', 'Launch')}: the learner's notebook (no solutions)"
        if group.get("label") == "download-buttons":
            buttons = group.get("buttons", [])
            for index, button in enumerate(list(buttons)):
                if button.get("label") == "download-source-button" and button.get("url", "").endswith(f"{stem}.ipynb"):
                    button["text"] = ".ipynb (learner's edition)"
                    button["tooltip"] = "Download the learner's notebook: the exercises without solutions"
                    buttons.insert(index + 1, {
                        "type": "link",
                        "url": button["url"][: -len(".ipynb")] + FULL_SUFFIX,
                        "text": ".ipynb with solutions",
                        "tooltip": "Download the full notebook, with every solution",
                        "icon": "fas fa-key",
                        "label": "download-full-notebook-button",
                    })
                    break


# --- 1. the downloads themselves --------------------------------------------------------------

def learner_downloads(app: Any, exception: Exception | None) -> None:
    """Write the learner's notebook where the download button points, the full one beside it."""
    if exception is not None or app.builder.format != "html":
        return
    make_student = _make_student(Path(app.srcdir))
    import nbformat

    sources = Path(app.outdir) / "_sources"
    for docname in sorted(app.env.found_docs):
        if not _is_chapter(app, docname):
            continue
        source = Path(app.env.doc2path(docname))
        target = sources / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target.with_name(target.stem + FULL_SUFFIX))
        nbformat.write(make_student.learner_edition_of(source), target)


def setup(app: Any) -> dict:
    app.add_config_value("course_learner_dir", "learner", "html")
    app.add_config_value("course_number_prefixes", {}, "env")
    app.connect("env-get-updated", chapter_numbers, priority=900)
    app.connect("html-page-context", learner_buttons, priority=900)
    app.connect("build-finished", learner_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
