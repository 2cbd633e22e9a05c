"""Give each notebook a first cell that installs the course package where it is missing.

    python scripts/add_colab_cell.py notebooks/*.ipynb          # insert or update the cell
    python scripts/add_colab_cell.py --check notebooks/*.ipynb  # exit 1 if a notebook lacks it

On Colab or Binder the notebook runs without the package; the cell installs it from the
course's repository when one is named: ``UNET_COURSE_REPOSITORY`` (the one setting that also gives
the book its repository, Binder and Colab buttons: book/_ext/repository_links.py) on the branch
``repository.branch`` of ``_config.yml``. With no repository named, the cell stops with a message
that says how to install the package from a copy of the course. Where the package is
installed (``make lab``, ``make test``, the book build) the import succeeds and the cell does
nothing, so nbval and the book's execution are unaffected. The cell is tagged ``colab-install``
(how this script finds it again) and ``remove-cell`` (the HTML book leaves it out); it goes
just before the first code cell, which prints ``runtime.banner()``.

Running the script twice changes nothing the second time; a notebook is rewritten only when
its cell is missing or differs from the current template.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TAG = "colab-install"
TAGS = [TAG, "remove-cell"]


def _repository_links():
    """book/_ext/repository_links.py, the module that reads the repository setting."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("repository_links", ROOT / "book" / "_ext" / "repository_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def repository(config: Path = ROOT / "_config.yml") -> tuple[str | None, str]:
    """(url, branch) of the course repository: the url from ``UNET_COURSE_REPOSITORY`` (None when
    it is unset), the branch from ``repository.branch`` of _config.yml (default ``main``)."""
    try:
        url = _repository_links().repository_from_environment()
    except ValueError as error:
        raise SystemExit(str(error)) from None
    block = re.search(r"^repository:\s*\n((?:[ \t]+.*\n?)+)", config.read_text(), re.M)
    branch = re.search(r"^\s+branch:\s*[\"']?([^\"'\s]+)", block.group(1), re.M) if block else None
    return url, branch.group(1) if branch else "main"


def cell_source(url: str | None, branch: str) -> str:
    if url is None:
        return (
            "# Colab and Binder: the course package must be installed (here it is, and this cell does nothing).\n"
            "try:\n"
            "    import unet_course\n"
            "except ImportError:\n"
            "    raise ImportError(\n"
            "        \"this notebook needs the course package unet_course: in a copy of the course, run \"\n"
            "        \"'pip install -e .' (see its README) and restart the kernel, or open the notebooks with 'make lab'\"\n"
            "    ) from None\n"
        )
    return (
        "# Colab and Binder: install the course package if it is missing (here it does nothing).\n"
        "try:\n"
        "    import unet_course\n"
        "except ImportError:\n"
        f'    %pip install --quiet "unet-course @ git+{url}@{branch}"\n'
        "    import importlib\n"
        "    importlib.invalidate_caches()\n"
        "    import unet_course\n"
    )


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def update(nb: nbformat.NotebookNode, source: str) -> bool:
    """Insert or refresh the install cell in ``nb``; True if ``nb`` changed."""
    existing = [i for i, c in enumerate(nb.cells) if TAG in _tags(c)]
    if len(existing) > 1:
        for i in reversed(existing[1:]):
            del nb.cells[i]
    if existing:
        cell = nb.cells[existing[0]]
        tags = _tags(cell)
        changed = len(existing) > 1 or cell.source != source or any(t not in tags for t in TAGS)
        cell.source = source
        cell.metadata["tags"] = tags + [t for t in TAGS if t not in tags]
        return changed
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(TAGS)})
    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
        cell["id"] = TAG
    else:
        cell.pop("id", None)
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(first_code, cell)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook needs the cell")
    args = parser.parse_args(argv)
    source = cell_source(*repository())
    stale = []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if update(nb, source):
            stale.append(path)
            if not args.check:
                nbformat.write(nb, path)
        print(f"{path}: {'needs the install cell' if args.check and path in stale else 'updated' if path in stale else 'up to date'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
