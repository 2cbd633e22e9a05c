"""The Korean notebooks (notebooks/ko/, learner/ko/): the English code, Korean Markdown.

- every English chapter has its Korean notebook and Korean learner's notebook, and no Korean one
  lacks its English chapter;
- the code cells are the English ones, cell by cell (the Korean notebook only adds the first
  cell, which sets ``UNET_COURSE_LANG=ko``), and so are the stored outputs, with the quiz's
  verdicts put into Korean and the exercise prompts of ``quiz.show`` cells the Korean ones that
  ``quiz.show`` prints under ``UNET_COURSE_LANG=ko``;
- the committed files are current: regenerating them from the English notebooks and the catalogs
  (``locales/ko/``) gives them back, byte for byte;
- the Korean learner's edition holds no solution (the checks of ``tests/test_student_edition.py``);
- scripts/make_korean.py rebuilds Markdown correctly (small cases, and every chapter against a
  filled copy of the catalogs);
- every block of every chapter is translated (``test_every_block_is_translated``: it fails while
  a catalog has untranslated messages or a changed English paragraph has no message yet, naming
  the chapter and the paragraph).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from babel.messages.pofile import read_po, write_po

from unet_course import quiz
from unet_course.questions import _ko_prompts

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KOREAN = NOTEBOOKS / "ko"
LEARNER = ROOT / "learner"
LEARNER_KO = LEARNER / "ko"
LOCALES = ROOT / "locales"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


make_korean = _load("make_korean")
make_student = _load("make_student")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_student_edition import assert_no_solution  # noqa: E402  (the learner's edition's own check)

ENGLISH = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def built():
    """The Korean notebooks as make_korean builds them now, with their counts."""
    return make_korean.build(NOTEBOOKS, LOCALES)


def _code(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code" and make_korean.LANG_TAG not in c.metadata.get("tags", [])]


# --- the files --------------------------------------------------------------------------------

@pytest.mark.parametrize("folder", [KOREAN, LEARNER_KO], ids=["notebooks-ko", "learner-ko"])
def test_every_chapter_has_its_korean_notebook(folder):
    english = {p.name for p in ENGLISH}
    korean = {p.name for p in folder.glob("*.ipynb")}
    rel = folder.relative_to(ROOT)
    assert english - korean == set(), f"{rel}/ lacks {sorted(english - korean)}: run `make student` and commit {rel}/"
    assert korean - english == set(), f"{rel}/ holds {sorted(korean - english)}, which notebooks/ no longer has: run `make student`"


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_korean_code_is_the_english_code(path):
    english = nbformat.read(path, as_version=4)
    korean = nbformat.read(KOREAN / path.name, as_version=4)
    first = korean.cells[0]
    assert first.cell_type == "code" and make_korean.LANG_TAG in first.metadata.get("tags", []), (
        f"notebooks/ko/{path.name}: the first cell must set UNET_COURSE_LANG (tagged {make_korean.LANG_TAG})"
    )
    assert 'os.environ["UNET_COURSE_LANG"] = "ko"' in first.source
    assert sum(make_korean.LANG_TAG in c.metadata.get("tags", []) for c in korean.cells) == 1
    ours, theirs = _code(korean), _code(english)
    assert len(ours) == len(theirs), f"notebooks/ko/{path.name} has {len(ours)} code cells, the English {len(theirs)}"
    for i, (k, e) in enumerate(zip(ours, theirs)):
        assert k.source == e.source, f"notebooks/ko/{path.name}: code cell {i} differs from the English one"
        assert k.metadata == e.metadata, f"notebooks/ko/{path.name}: code cell {i} has other tags or metadata"
        expected = json.loads(json.dumps(e.outputs))
        for output in expected:
            if output.get("output_type") == "stream":
                output["text"] = quiz.localize_feedback(output["text"], "ko")
            prompt = output.get("data", {}).get("text/markdown")
            if make_korean.SHOW_CALL.search(e.source) and prompt is not None:
                assert prompt in _ko_prompts.PROMPTS, (
                    f"notebooks/{path.name}: code cell {i} shows a prompt that has no Korean version in "
                    "unet_course/questions/_ko_prompts.py: translate it in locales/ko and run `make student`"
                )
                output["data"]["text/markdown"] = _ko_prompts.PROMPTS[prompt]
                assert HANGUL.search(k.outputs[expected.index(output)]["data"]["text/markdown"]), (
                    f"notebooks/ko/{path.name}: the prompt shown by code cell {i} is not Korean"
                )
        assert json.loads(json.dumps(k.outputs)) == expected, f"notebooks/ko/{path.name}: outputs of code cell {i} differ"
    kinds = [c.cell_type for c in korean.cells[1:]]
    assert kinds == [c.cell_type for c in english.cells], f"notebooks/ko/{path.name}: the cells are not the English ones, in order"


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_korean_learner_code_is_the_english_learner_code(path):
    english = make_student.learner_edition_of(path)
    korean = nbformat.read(LEARNER_KO / path.name, as_version=4)
    ours, theirs = _code(korean), _code(english)
    assert len(ours) == len(theirs), f"learner/ko/{path.name} has {len(ours)} code cells, learner/ {len(theirs)}"
    korean_comment = make_student.ANSWER_COMMENTS["ko"]
    for i, (k, e) in enumerate(zip(ours, theirs)):
        assert k.source.replace(korean_comment, make_student.ANSWER_COMMENT) == e.source, (
            f"learner/ko/{path.name}: code cell {i} differs from the English learner's edition"
        )


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_committed_korean_notebook_is_current(path, built):
    committed = KOREAN / path.name
    assert committed.is_file(), f"notebooks/ko/{path.name} is missing: run `make korean` and commit notebooks/ko/"
    expected = json.loads(nbformat.writes(built[path.name][0]))
    assert json.loads(committed.read_text(encoding="utf-8")) == expected, (
        f"notebooks/ko/{path.name} is stale (notebooks/{path.name} or locales/ko changed since): "
        "run `make student` (it runs `make korean`) and commit notebooks/ko/ and learner/ko/"
    )


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_committed_korean_learner_edition_is_current(path, built):
    committed = LEARNER_KO / path.name
    assert committed.is_file(), f"learner/ko/{path.name} is missing: run `make student` and commit learner/ko/"
    korean = built[path.name][0]
    link = make_student.full_notebook_link(KOREAN / path.name, "ko")
    expected = json.loads(nbformat.writes(make_student.student_notebook(korean, link)))
    assert json.loads(committed.read_text(encoding="utf-8")) == expected, (
        f"learner/ko/{path.name} is stale: run `make student` and commit notebooks/ko/ and learner/ko/"
    )


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_korean_learner_edition_has_no_solution(path):
    teacher = nbformat.read(KOREAN / path.name, as_version=4)
    student = nbformat.read(LEARNER_KO / path.name, as_version=4)
    assert_no_solution(teacher, student)
    note = next(c for c in student.cells if make_student.NOTE_TAG in c.metadata.get("tags", []))
    assert "학습용" in note.source and f"notebooks/ko/{path.name}" in note.source
    assert student.cells[0].metadata.get("tags", [])[:1] == [make_korean.LANG_TAG], "the language cell stays first"


# --- every block translated (fails until the catalogs are complete and current) --------------

def test_every_block_is_translated(built):
    """THE CATALOG CHECK: 0 blocks left in English. It fails while a translator has not filled a
    message (untranslated or fuzzy), and when an English paragraph changed after the catalogs
    were extracted (re-extract them, then translate the new message)."""
    problems = []
    for name, (_, counts, _) in built.items():
        problems += [f"{name}: untranslated: {m[:120]!r}" for m in counts.untranslated]
        problems += [f"{name}: no message in the catalog (changed English?): {m[:120]!r}" for m in counts.missing]
    assert not problems, f"{len(problems)} blocks left in English:\n" + "\n".join(problems[:40])


# --- the rebuilding of Markdown -----------------------------------------------------------------

def _catalog(tmp_path: Path, messages: dict[str, str]):
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="ko")
    for key, value in messages.items():
        catalog.add(key, value)
    path = tmp_path / "c.po"
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return make_korean.Catalog(path)


def test_markdown_keeps_structure(tmp_path):
    catalog = _catalog(tmp_path, {
        "Title (제목)": "제목",
        "A paragraph that runs over two lines.": "두 줄에 걸친 문단.",
        "first item": "첫 항목",
        "second item, wrapped onto a second line": "둘째 항목",
        "Quoted text.": "인용문.",
        "Where the note differs": "노트가 다른 점",
        "Inside the box.": "상자 안.",
        "Compute it.": "계산하십시오.",
        "cell a": "칸 가",
        "cell b": "칸 나",
        "Kept": "",
        "See [the preface](../book/preface.md).": "[머리말](../book/preface.md)을 보십시오.",
    })
    source = (
        "(sec-label)=\n## Title (제목)\n\nA paragraph that runs\nover two lines.\n\n- first item\n"
        "- second item, wrapped\n  onto a second line\n\n> Quoted text.\n\n"
        "```{admonition} Where the note differs\n:class: note\n\nInside the box.\n```\n\n"
        "```{exercise}\n:label: ex-99\n\nCompute it.\n```\n\n| cell a | cell b |\n|---|---|\n\nKept\n\nNot in the catalog.\n\n"
        "```python\nprint('code stays')\n```\n\n$$\nx^2\n$$\n\nSee [the preface](../book/preface.md)."
    )
    counts = make_korean.Counts()
    result = make_korean.relink(make_korean.translate_markdown(source, catalog, counts))
    assert result.startswith("(sec-label)=\n## 제목\n\n두 줄에 걸친 문단.\n\n- 첫 항목\n- 둘째 항목\n\n> 인용문.\n\n")
    assert "```{admonition} 노트가 다른 점\n:class: note\n\n상자 안.\n```" in result
    assert "```{exercise}\n:label: ex-99\n\n계산하십시오.\n```" in result
    assert "| 칸 가 | 칸 나 |\n|---|---|" in result
    assert "\n\nKept\n\nNot in the catalog.\n\n```python\nprint('code stays')\n```\n\n$$\nx^2\n$$" in result
    assert result.endswith("[머리말](../../book/preface.md)을 보십시오.")
    assert counts.untranslated == ["Kept"]
    assert counts.missing == ["Not in the catalog.", "x^2"]
    assert counts.translated == 11


def test_filled_catalogs_translate_every_block(tmp_path):
    """Against a copy of the catalogs with every message filled (msgstr = a marker + msgid), every
    block of every chapter is found and replaced, and the code stays the English code."""
    filled = tmp_path / "locales"
    for po in LOCALES.rglob("*.po"):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if message.id:
                message.string = "한 " + (message.id if isinstance(message.id, str) else message.id[0])
                message.flags.discard("fuzzy")
        target = filled / po.relative_to(LOCALES)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_po(handle, catalog)
    result = make_korean.build(NOTEBOOKS, filled)
    untranslated = {name: len(counts.untranslated) for name, (_, counts, _) in result.items() if counts.untranslated}
    assert not untranslated, f"a filled catalog still leaves blocks untranslated: {untranslated}"
    for name, (nb, counts, _) in result.items():
        assert counts.translated > 20, f"{name}: only {counts.translated} blocks matched a message"
        english = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert [c.source for c in _code(nb)] == [c.source for c in _code(english)]
        # every Markdown cell with text changes (the solution gates hold none); a cell whose only
        # block has no message yet (an English paragraph newer than the catalog) may not
        markdown = [c.source for c in nb.cells if c.cell_type == "markdown" and make_student._gate(c) is None]
        untouched = [m for m in markdown if "한 " not in m]
        assert len(untouched) <= len(counts.missing), f"{name}: Markdown cells left untouched: {untouched[:2]}"


def test_relink_only_links_that_leave_the_folder():
    assert make_korean.relink("[a](../book/x.md) [b](02_x.ipynb) <img src=\"../book/_assets/f.png\">") == (
        "[a](../../book/x.md) [b](02_x.ipynb) <img src=\"../../book/_assets/f.png\">"
    )


def test_output_verdicts_are_korean():
    text = "[02.compose-rule] Correct.\nYour formula agrees with the reference on all 25 samples.\n"
    assert quiz.localize_feedback(text, "ko") == (
        "[02.compose-rule] 정답입니다.\n여러분의 식이 표본 25개 모두에서 참조 식과 일치합니다.\n"
    )


def _structure(source: str, md) -> list[tuple]:
    """The block structure of a Markdown cell: token types and tags, directive names (not their
    titles), recursing into directive bodies; the text itself left out."""
    shape = []
    for token in md.parse(source):
        if token.type == "inline":
            continue
        if token.type in make_korean.FENCE_TYPES:
            directive = make_korean._directive(token.info)
            name = directive[0] if directive else token.info
            shape.append((token.type, name))
            if directive and name not in make_korean.LITERAL_DIRECTIVES:
                body = token.content.split("\n")
                shape += _structure("\n".join(body[make_korean._body_start(body):]), md)
            continue
        shape.append((token.type, token.tag))
    return shape


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_korean_markdown_has_the_english_structure(path):
    """Headings, lists, quotes, tables, math, directives and their nesting are the English ones:
    a translation cannot turn a paragraph into a list or break a fence."""
    md = make_korean.parser()
    english = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    korean = [c for c in nbformat.read(KOREAN / path.name, as_version=4).cells if c.cell_type == "markdown"]
    for i, (e, k) in enumerate(zip(english, korean)):
        assert _structure(k.source, md) == _structure(e.source, md), (
            f"notebooks/ko/{path.name}: Markdown cell {i} is built differently from the English one:\n{k.source[:300]}"
        )
