"""Fixtures of the browser tests: the built book served on 127.0.0.1, and headless Chromium.

The browser is the system's Chromium (Debian's ``chromium``; ``make browser-deps`` installs it
with a Korean font), driven by Playwright's Python package; Playwright never downloads a browser
here. The tests skip, with the reason, only where no browser can be had (Playwright or Chromium
missing) outside CI; in CI (``CI`` set) that is a failure, because ``make test-browser`` installs
both first.

``pytest tests`` (``make test``) collects this folder too. Its browser tests then skip with a
pointer to ``make test-browser`` unless this folder is named on the command line (or
``UNET_COURSE_BROWSER_TESTS=1``), so a CI run drives the browser once. The checks of the built
HTML that need no browser (``test_book_html.py``) run either way.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book_site import Visit, built_html, in_ci, visit  # noqa: E402

HERE = Path(__file__).resolve().parent

# The flags for root in a container: no sandbox, no GPU, nothing that phones home. The
# host-resolver rule leaves only 127.0.0.1 resolvable, so a request to another host fails here
# instead of leaving the machine (the tests still record and report it).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
VIEWPORT = {"width": 1280, "height": 900}


def _browser_suite_selected(config: pytest.Config) -> bool:
    if os.environ.get("UNET_COURSE_BROWSER_TESTS", "").strip() not in ("", "0"):
        return True
    base = Path(config.invocation_params.dir)
    for arg in config.args:
        path = (base / arg.split("::", 1)[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _browser_suite_selected(config):
        return
    skip = pytest.mark.skip(reason="the browser tests run in `make test-browser` (pytest tests/browser)")
    for item in items:
        if Path(str(item.fspath)).parent == HERE and "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


def no_browser(reason: str) -> None:
    """Skip where no browser can be had; fail in CI, where the set-up must have installed one."""
    if in_ci():
        pytest.fail(f"{reason} (CI runs `make test-browser`, which installs it)")
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves _build/html without logging; answers /favicon.ico, which the book does not have
    and Chromium asks for on its own, with 204 No Content rather than a 404 in the console."""

    def do_GET(self) -> None:
        if self.path == "/favicon.ico" and not Path(self.translate_path(self.path)).is_file():
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """The built book served over HTTP on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(built_html()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def chromium_path() -> str | None:
    """``UNET_COURSE_CHROMIUM`` if set, else the first Chromium or Chrome on PATH."""
    explicit = os.environ.get("UNET_COURSE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    return None


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium context with a fresh profile (its own ``--user-data-dir``)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        no_browser("Playwright is not installed: `make browser-deps` (pip install -r tests/browser/requirements.txt)")
    executable = chromium_path()
    if executable is None:
        no_browser("no Chromium on this machine: `make browser-deps` installs Debian's chromium")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
            locale="en-US",
        )
        try:
            yield context
        finally:
            context.close()


class _Visits(dict):
    def __init__(self, context: Any, base: str) -> None:
        super().__init__()
        self.context, self.base = context, base

    def __missing__(self, page: str) -> Visit:
        self[page] = visit(self.context, self.base, page)
        return self[page]


@pytest.fixture(scope="session")
def visits(browser: Any, site: str) -> dict[str, Visit]:
    """Each page loaded once per session, whichever tests ask about it (a dict filled lazily)."""
    return _Visits(browser, site)
