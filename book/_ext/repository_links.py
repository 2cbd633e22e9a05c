"""The book's repository button and its Binder and Colab launch buttons, for a real repository only.

One setting decides them: the environment variable ``UNET_COURSE_REPOSITORY`` at build time.

- Unset or empty (the default): the pages have no repository button and no Binder or Colab
  button, and nothing links to a repository; the download buttons stay.
- ``https://github.com/OWNER/NAME``: the repository button opens it, and Binder and Colab open
  each chapter's learner's notebook there (``learner/NN_name.ipynb``, book/_ext/learner_edition.py),
  on the branch ``repository.branch`` of ``_config.yml``, through the providers of its
  ``launch_buttons`` block.

Jupyter Book turns ``_config.yml``'s ``repository``, ``html`` and ``launch_buttons`` blocks into
sphinx-book-theme's ``html_theme_options`` (``repository_url``, ``use_repository_button``,
``launch_buttons``); on ``config-inited``, before the theme reads them, this extension rewrites
those keys from the setting. Both editions follow it: the English book (``jupyter-book build``)
and the Korean one (``scripts/build_book.py``) load this extension from the same ``_config.yml``.
A value that is not a GitHub repository URL stops the build with a message (Binder's ``gh``
provider and Colab open GitHub repositories only).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

SETTING = "UNET_COURSE_REPOSITORY"
GITHUB_REPOSITORY = re.compile(r"^https://github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/([A-Za-z0-9._-]+?)(?:\.git)?/?$")
# the launch providers of sphinx-book-theme; each opens the page's notebook in the repository
LAUNCH_PROVIDERS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url", "thebe")
# the theme's buttons that link into the repository
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button", "use_source_button")


def repository_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The repository the book links to: ``https://github.com/OWNER/NAME``, or None when unset.

    Reads ``UNET_COURSE_REPOSITORY`` from ``environ`` (default ``os.environ``); surrounding
    spaces, a trailing ``/`` and ``.git`` are dropped. Raises ``ValueError`` saying what a valid
    value looks like when the value is set but is not a GitHub repository URL.
    """
    value = (os.environ if environ is None else environ).get(SETTING, "").strip()
    if not value:
        return None
    match = GITHUB_REPOSITORY.match(value)
    if match is None:
        raise ValueError(
            f"{SETTING}={value!r} is not a GitHub repository URL: give https://github.com/OWNER/NAME "
            "(the repository that holds this course, with learner/ committed), or leave it unset "
            "for a book without repository, Binder and Colab buttons"
        )
    return f"https://github.com/{match.group(1)}/{match.group(2)}"


def repository_theme_options(options: Mapping[str, Any], repository: str | None) -> dict[str, Any]:
    """A copy of ``html_theme_options`` whose repository keys follow ``repository``.

    With ``repository=None``: ``repository_url`` empty, every repository button off, and the
    launch providers removed from ``launch_buttons`` (its other keys, such as
    ``notebook_interface``, are kept). With a URL: ``repository_url`` set to it and the
    repository button on; the launch providers stay as configured. Other keys are untouched.
    """
    updated = dict(options)
    launch = dict(updated.get("launch_buttons") or {})
    if repository is None:
        updated["repository_url"] = ""
        for button in REPOSITORY_BUTTONS:
            updated[button] = False
        updated["launch_buttons"] = {key: value for key, value in launch.items() if key not in LAUNCH_PROVIDERS}
    else:
        updated["repository_url"] = repository
        updated["use_repository_button"] = True
        updated["launch_buttons"] = launch
    return updated


def apply_repository_setting(app: Any, config: Any) -> None:
    """``config-inited``: rewrite the repository keys of ``config.html_theme_options``."""
    try:
        repository = repository_from_environment()
    except ValueError as error:
        from sphinx.errors import ConfigError

        raise ConfigError(str(error)) from None
    config.html_theme_options = repository_theme_options(config.html_theme_options or {}, repository)


def setup(app: Any) -> dict:
    # before the default priority (500): the theme's own config-inited handlers see the result
    app.connect("config-inited", apply_repository_setting, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
