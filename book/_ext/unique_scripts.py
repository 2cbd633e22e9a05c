"""Drop repeated inline <script> blocks from every page (a Sphinx 7.4 bug, until Sphinx 8).

An extension that calls ``app.add_js_file(None, body=...)`` after the builder started (as
sphinx-thebe and sphinx-togglebutton do) gets its script registered twice: once as
``_JavaScript(None)`` and once, in ``prepare_writing``, as ``_JavaScript('')``; the two do not
compare equal, so each page carries the block twice. sphinx-thebe's block declares
``const THEBE_JS_URL``, and the second declaration is a SyntaxError in the browser console.
"""

from __future__ import annotations

from typing import Any


def _unique_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        key = (getattr(js, "filename", js) or "", getattr(js, "priority", 0),
               tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app: Any) -> dict:
    app.connect("html-page-context", _unique_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
