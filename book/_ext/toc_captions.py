"""Translate the part captions of the table of contents (``_toc.yml``) in a translated book.

sphinx-external-toc inserts the toctrees of ``_toc.yml`` into the root page with a transform
(priority 100) that runs after Sphinx's ``Locale`` transform (20), so their captions ("Segmentation
and FCN", "U-Net", ...) stay in English although the gettext builder extracts them into the root
page's catalog and the catalog translates them. This transform runs right after the insertion and
looks each caption up in the same catalog, the way ``Locale`` does for every other message.
"""

from __future__ import annotations

from os import path
from typing import Any

from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain


class TranslateTocCaptions(SphinxTransform):
    default_priority = 101  # after sphinx_external_toc.events.InsertToctrees (100)

    def apply(self, **kwargs: Any) -> None:
        if not self.config.language or self.config.language == "en":
            return
        toctrees = [node for node in self.document.findall(addnodes.toctree) if node.get("caption")]
        if not toctrees:
            return
        dirs = [path.join(self.env.srcdir, directory) for directory in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if not has_catalog:
            return
        for toctree in toctrees:
            translated = catalog.gettext(toctree["caption"])
            if translated:
                toctree["caption"] = translated


def setup(app: Any) -> dict:
    app.add_transform(TranslateTocCaptions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
