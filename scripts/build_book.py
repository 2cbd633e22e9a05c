"""Build one language edition of the HTML book without executing any notebook.

    python scripts/build_book.py ko            # the Korean book -> _build/html/ko/
    python scripts/build_book.py en            # the English book -> _build/html/ (no execution)

``make book`` first builds the English book with ``jupyter-book build`` (which executes the
notebooks into the jupyter cache, ``_build/.jupyter_cache``), then runs this script for Korean:
the same sources, ``_config.yml`` and ``_toc.yml``, with ``language = "ko"``, the catalogs of
``locales/ko`` and the Korean title (``TITLES``: the page titles and the sidebar). Every notebook
whose code the cache holds takes its outputs from the cache (the English book's outputs, byte for
byte); a notebook the cache does not hold (the English build was
skipped or failed) keeps the outputs stored in the ``.ipynb``, and the script says which. It never
starts a kernel: a notebook the cache cannot serve is excluded from execution, and the script
fails if the cache gained a project record during the build (myst-nb would have executed).

Like ``make book``: offline, warnings as errors (``-W -n --keep-going``). The catalogs are copied to
``_build/locales`` before the build, so the compiled ``.mo`` files never land in ``locales/``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"


def toc_notebooks() -> list[Path]:
    """The notebooks of the book, in the order of ``_toc.yml``."""
    import re

    files = re.findall(r"(?:file|root):\s*([\w./-]+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [ROOT / f"{name}.ipynb" for name in files if (ROOT / f"{name}.ipynb").is_file()]


def cached_notebooks(notebooks: list[Path]) -> tuple[list[Path], list[Path]]:
    """Split the notebooks into those the jupyter cache holds (same code) and the rest."""
    if not (CACHE / "global.db").is_file():
        return [], list(notebooks)
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(str(CACHE))
    hit, miss = [], []
    for path in notebooks:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
            hit.append(path)
        except KeyError:
            miss.append(path)
    return hit, miss


def project_records() -> int:
    if not (CACHE / "global.db").is_file():
        return 0
    from jupyter_cache import get_cache

    return len(get_cache(str(CACHE)).list_project_records())


# The book's title in each edition other than English (_config.yml's `title` is the English one):
# the page titles (<title>), the sidebar above the table of contents (sphinx-book-theme shows
# html_title where there is no logo) and `project`. Its words are the preface's title in
# locales/ko/LC_MESSAGES/book/preface.po ("U-Net, FCN에서 오버랩-타일 전략까지").
TITLES = {"ko": "U-Net: FCN에서 오버랩-타일 전략까지 배우는 이미지 분할"}


def sphinx_overrides(language: str) -> dict:
    """The Sphinx settings that this edition sets over ``_config.yml``."""
    overrides: dict = {
        "external_toc_path": (ROOT / "_toc.yml").as_posix(),
        "latex_individualpages": False,
        "nitpicky": True,
        "language": language,
        # never execute: the cache serves what it holds, the rest keeps its stored outputs
        "nb_execution_mode": "cache",
        "nb_execution_cache_path": str(CACHE),
    }
    if language in TITLES:
        overrides["html_title"] = overrides["project"] = TITLES[language]
    return overrides


def build(language: str) -> int:
    if language not in ("en", "ko"):
        raise SystemExit(f"build_book.py: language must be 'en' or 'ko', not {language!r}")
    import myst_nb.sphinx_ext
    from jupyter_book.sphinx import build_sphinx

    outdir = BUILD / "html" if language == "en" else BUILD / "html" / language
    doctrees = BUILD / (".doctrees" if language == "en" else f".doctrees-{language}")
    # myst-nb writes executed notebooks and output images to <outdir>/../jupyter_execute; for
    # _build/html/ko that would be inside the English site, so give each edition its own folder
    if language != "en":
        myst_nb.sphinx_ext.OUTPUT_FOLDER = f"../jupyter_execute-{language}"
    overrides = sphinx_overrides(language)
    hit, miss = cached_notebooks(toc_notebooks())
    if miss:
        overrides["nb_execution_excludepatterns"] = [p.relative_to(ROOT).as_posix() for p in miss]
    print(f"build_book.py ({language}): outputs from the jupyter cache: {len(hit)} notebooks; "
          f"stored in the .ipynb: {len(miss)}" + (f" ({', '.join(p.stem for p in miss)})" if miss else ""))
    if language != "en":
        catalogs = BUILD / "locales"
        source = ROOT / "locales" / language
        if not source.is_dir():
            raise SystemExit(f"build_book.py: no catalogs at {source.relative_to(ROOT)}; `make translations` makes them")
        shutil.rmtree(catalogs / language, ignore_errors=True)
        shutil.copytree(source, catalogs / language, ignore=shutil.ignore_patterns("*.mo"))
        overrides["locale_dirs"] = [str(catalogs)]

    records = project_records()
    start = time.perf_counter()
    result = build_sphinx(
        ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"), confoverrides=overrides,
        doctreedir=doctrees, builder="html", warningiserror=True, keep_going=True,
    )
    seconds = time.perf_counter() - start
    if project_records() != records:
        print("build_book.py: a notebook was executed during the build; it should have come from the cache",
              file=sys.stderr)
        return 1
    if result:
        print(f"build_book.py ({language}): the build failed (see the warnings above)", file=sys.stderr)
        return 1
    print(f"build_book.py ({language}): built in {seconds:.0f} s: file://{outdir / 'index.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("language", choices=["en", "ko"])
    return build(parser.parse_args(argv).language)


if __name__ == "__main__":
    sys.exit(main())
