"""A link on every page to the same page in the book's other language.

The English book is built into ``_build/html/`` and the Korean one into ``_build/html/ko/``
(``make book``); both come from the same sources, so a page ``notebooks/06_overlap_tile`` exists
in both. ``course_editions`` maps each language to its folder relative to the English book's root
(``{"en": "", "ko": "ko"}``); the page of the language being built links to the page of the same
name in every other edition, by a relative link that works from ``file://`` as from a web server.
The link sits at the top of the article (``nav.language-switch``) and the page's head announces
the alternates (``<link rel="alternate" hreflang=...>``).
"""

from __future__ import annotations

import html
from typing import Any

LABELS = {"en": "English", "ko": "한국어"}
TOOLTIPS = {"en": "Read this page in English", "ko": "이 페이지를 한국어로 읽기"}


def edition_href(pagename: str, here: str, there: str, editions: dict[str, str]) -> str:
    """Relative URL from page ``pagename`` of edition ``here`` to the same page of ``there``.

    >>> edition_href("notebooks/06_overlap_tile", "en", "ko", {"en": "", "ko": "ko"})
    '../ko/notebooks/06_overlap_tile.html'
    >>> edition_href("notebooks/06_overlap_tile", "ko", "en", {"en": "", "ko": "ko"})
    '../../notebooks/06_overlap_tile.html'
    """
    for language in (here, there):
        if language not in editions:
            raise ValueError(f"course_editions has no folder for language {language!r}: {editions!r}")
    here_dir, there_dir = editions[here].strip("/"), editions[there].strip("/")
    depth = pagename.count("/") + (here_dir.count("/") + 1 if here_dir else 0)
    return "../" * depth + (f"{there_dir}/" if there_dir else "") + f"{pagename}.html"


def add_switch(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    editions: dict[str, str] = app.config.course_editions or {}
    here = app.config.language or "en"
    if doctree is None or here not in editions or "body" not in context:
        return  # search, genindex: pages without a counterpart body
    links, alternates = [], []
    for there in editions:
        if there == here:
            continue
        href = html.escape(edition_href(pagename, here, there, editions))
        label = LABELS.get(there, there)
        links.append(
            f'<a class="language-switch-link" href="{href}" hreflang="{there}" lang="{there}" '
            f'title="{html.escape(TOOLTIPS.get(there, label))}">'
            f'<i class="fas fa-language" aria-hidden="true"></i> {html.escape(label)}</a>'
        )
        alternates.append(f'<link rel="alternate" hreflang="{there}" href="{href}" />')
    if links:
        context["body"] = (
            f'<nav class="language-switch" aria-label="Language">{" ".join(links)}</nav>\n' + context["body"]
        )
        context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(alternates)


def setup(app: Any) -> dict:
    app.add_config_value("course_editions", {}, "html")
    app.connect("html-page-context", add_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
