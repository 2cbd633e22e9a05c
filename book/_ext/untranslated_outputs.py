"""Keep code-cell outputs out of the translations: they stay the English edition's.

myst-nb renders every output of a code cell inside a ``container`` with the class ``cell_output``
(``nb_element="cell_code_output"``). Outputs of MIME type ``text/markdown`` (result tables, say)
become paragraphs and tables there, which Sphinx's gettext builder would extract into the message
catalogs and the ``language`` build would replace. This transform marks every text element
inside an output as not translatable, before Sphinx's ``Locale`` transform (priority 20) and the
gettext builder look at the document. Figure captions and image alt text, which myst-nb takes
from the cell's metadata (``mystnb.figure.caption``, ``mystnb.image.alt``), are prose written
for the reader and stay translatable.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform

KEEP_TRANSLATABLE = (nodes.caption, nodes.legend, nodes.image)


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
            for node in output.findall(nodes.TextElement):
                if isinstance(node, KEEP_TRANSLATABLE) or any(
                    isinstance(parent, KEEP_TRANSLATABLE) for parent in _ancestors(node, output)
                ):
                    continue
                node["translatable"] = False


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
