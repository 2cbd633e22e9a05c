"""List the figures of notebooks that have no alt text or caption, or give one a description.

    python scripts/figure_alt.py notebooks/*.ipynb                       # list; exit 1 if any
    python scripts/figure_alt.py notebooks/01_x.ipynb --cell ID --alt "Three panels: ..."
    python scripts/figure_alt.py notebooks/01_x.ipynb --cell ID --caption "The image and ..."

A code cell whose outputs hold an image (a Matplotlib figure, a PNG) is a figure. myst-nb takes
its description from the cell's metadata: ``mystnb.image.alt`` becomes the ``alt`` of every
image the cell outputs; ``mystnb.figure.caption`` wraps each of the cell's display outputs in a
figure with that caption. The book's tests (tests/browser/test_book_html.py) require one of the
two for every image. ``--cell`` takes the cell's id (the listing prints it) or its index.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def has_image(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and any(
        mime in out.get("data", {}) for out in cell.get("outputs", []) for mime in IMAGE_TYPES
    )


def description(cell: nbformat.NotebookNode) -> str:
    """The cell's alt text or caption ('' if it has neither)."""
    meta = cell.get("metadata", {}).get("mystnb", {})
    return str(meta.get("image", {}).get("alt", "") or meta.get("figure", {}).get("caption", "")).strip()


def undescribed(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    return [(i, c) for i, c in enumerate(nb.cells) if has_image(c) and not description(c)]


def find_cell(nb: nbformat.NotebookNode, key: str) -> nbformat.NotebookNode:
    for cell in nb.cells:
        if cell.get("id") == key:
            return cell
    if key.isdigit() and int(key) < len(nb.cells):
        return nb.cells[int(key)]
    raise SystemExit(f"no cell with id or index {key!r}; list the figures first to see their ids")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--cell", help="id (or index) of the cell to describe")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--alt", help="alt text for the cell's images: what the figure shows")
    what.add_argument("--caption", help="a caption shown under the cell's figure")
    args = parser.parse_args(argv)

    if args.cell is not None:
        if len(args.notebooks) != 1 or not (args.alt or args.caption):
            parser.error("--cell takes one notebook and --alt or --caption (non-empty)")
        path = args.notebooks[0]
        nb = nbformat.read(path, as_version=4)
        cell = find_cell(nb, args.cell)
        if not has_image(cell):
            raise SystemExit(f"{path}: cell {args.cell} has no image output (run the notebook first?)")
        mystnb = cell.metadata.setdefault("mystnb", {})
        if args.alt:
            mystnb.setdefault("image", {})["alt"] = args.alt.strip()
        else:
            mystnb.setdefault("figure", {})["caption"] = args.caption.strip()
        nbformat.write(nb, path)
        print(f"{path}: cell {args.cell} described")
        return 0

    missing = 0
    for path in args.notebooks:
        for index, cell in undescribed(nbformat.read(path, as_version=4)):
            missing += 1
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            print(f"{path} cell {index} id={cell.get('id', '-')}: {first[:70]}")
    print(f"{missing} figure(s) without alt text or caption")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
