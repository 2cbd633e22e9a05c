"""Hangul in matplotlib figures, offline: the NanumGothic font of ``koreanize-matplotlib``.

matplotlib's default font, DejaVu Sans, has no Hangul: a title like "수축 경로" renders as
boxes with a "Glyph ... missing from font(s) DejaVu Sans" warning. :func:`use_korean_font`
registers the NanumGothic files that the ``koreanize-matplotlib`` wheel ships and puts them
*behind* DejaVu Sans in the font fallback chain, so Latin text, digits, the minus sign and
Greek letters keep the course's usual look and only Hangul comes from NanumGothic.

Keep Hangul out of mathtext: in a string with ``$...$`` the whole string goes through
mathtext, whose fonts have no Hangul. Write the Korean in a separate text element, or use
Unicode (σ, w₀) instead of ``$\\sigma$``.

The package's font files are read from its folder; the package itself is never imported (its
module changes rcParams on import and uses ``distutils``, which Python 3.12 removed).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib
from matplotlib import font_manager

FONT_PACKAGE = "koreanize_matplotlib"
FONT_FAMILY = "NanumGothic"


def korean_font_files() -> list[Path]:
    """The NanumGothic ``.ttf`` files shipped by ``koreanize-matplotlib`` (regular first).

    Raises ``ModuleNotFoundError`` saying what to install when the package is missing.

    Serves: Korean labels in every chapter's figures (appendix: the Korean edition).
    """
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "Korean text in figures needs the NanumGothic font of koreanize-matplotlib: "
            "pip install koreanize-matplotlib==0.1.1 (it is in the course's requirements.txt)"
        )
    folders = [Path(p) / "fonts" for p in spec.submodule_search_locations]
    files = sorted((f for d in folders if d.is_dir() for f in d.glob("NanumGothic*.ttf")), key=lambda f: (f.stem != "NanumGothic", f.name))
    if not files:
        raise FileNotFoundError(f"no NanumGothic*.ttf in {', '.join(map(str, folders))}; reinstall koreanize-matplotlib")
    return files


def use_korean_font() -> str:
    """Make matplotlib draw Hangul: register NanumGothic and make it DejaVu Sans's fallback.

    Idempotent; safe to call in every notebook. Sets ``font.family`` to
    ``["DejaVu Sans", "NanumGothic"]``: matplotlib's per-glyph fallback walks that list (a
    generic name like ``"sans-serif"`` would resolve to one font only, without fallback).
    Returns the family name, ``"NanumGothic"``.

    Serves: Korean labels in every chapter's figures (appendix: the Korean edition).
    """
    registered = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in korean_font_files():
        if str(path) not in registered:
            font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", FONT_FAMILY]
    return FONT_FAMILY
