"""Keep code-cell outputs out of the translations: they stay the English edition's.

myst-nb renders every output of a code cell inside a ``container`` with the class ``cell_output``
(``nb_element="cell_code_output"``). Outputs of MIME type ``text/markdown`` (result tables, say)
become paragraphs and tables there, which Sphinx's gettext builder would extract into the message
catalogs and the ``language`` build would replace. This transform marks every text element
inside an output as not translatable, before Sphinx's ``Locale`` transform (priority 20) and the
gettext builder look at the document. Figure captions and image alt text, which myst-nb takes
from the cell's metadata (``mystnb.figure.caption``, ``mystnb.image.alt``), are prose written
for the reader and stay translatable.

One kind of output is prose too: an exercise prompt that a cell shows with ``quiz.show("NN.id")``
(``unet_course.quiz.show``: the question's id and kind, its prompt and options, as Markdown). The
outputs of a cell whose source calls ``quiz.show(`` stay translatable, so their messages are in
the catalogs, the Korean book shows the prompt in Korean, and ``scripts/make_korean.py`` rebuilds
the Korean notebooks' stored prompt (and ``unet_course/questions/_ko_prompts.py``, what
``quiz.show`` prints under ``UNET_COURSE_LANG=ko``) from the same messages.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform

KEEP_TRANSLATABLE = (nodes.caption, nodes.legend, nodes.image)
# A code cell whose outputs are an exercise prompt (prose to translate), found in its source.
PROMPT_CALL = "quiz.show("


def is_output(node: nodes.Node) -> bool:
    """True for the container myst-nb makes around one code cell's outputs."""
    return isinstance(node, nodes.container) and (
        node.get("nb_element") == "cell_code_output" or "cell_output" in node.get("classes", [])
    )


class UntranslatedOutputs(SphinxTransform):
    """Set ``translatable = False`` on every text element inside a code cell's outputs."""

    default_priority = 10  # before sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs: Any) -> None:
        for output in self.document.findall(is_output):
            if shows_prompt(output):
                continue
            for node in output.findall(nodes.TextElement):
                if isinstance(node, KEEP_TRANSLATABLE) or any(
                    isinstance(parent, KEEP_TRANSLATABLE) for parent in _ancestors(node, output)
                ):
                    continue
                node["translatable"] = False


def shows_prompt(output: nodes.Node) -> bool:
    """True when ``output`` belongs to a code cell whose source calls ``quiz.show(``: myst-nb puts
    the cell's source (``nb_element="cell_code_source"``) and its outputs in one cell container."""
    cell = output.parent
    if cell is None:
        return False
    for child in cell.children:
        if isinstance(child, nodes.container) and child.get("nb_element") == "cell_code_source":
            if any(PROMPT_CALL in block.astext() for block in child.findall(nodes.literal_block)):
                return True
    return False


def _ancestors(node: nodes.Node, stop: nodes.Node) -> list[nodes.Node]:
    found = []
    parent = node.parent
    while parent is not None and parent is not stop:
        found.append(parent)
        parent = parent.parent
    return found


def setup(app: Any) -> dict:
    app.add_transform(UntranslatedOutputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
