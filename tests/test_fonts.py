"""Hangul renders in matplotlib figures once ``use_korean_font()`` ran: no missing-glyph warning."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from unet_course import fonts  # noqa: E402

HANGUL = "수축 경로와 확장 경로"


def draw_korean_figure() -> list[str]:
    """Draw a figure with Hangul in a title, labels, a legend and a text; return the warnings."""
    fig, ax = plt.subplots(figsize=(3, 2))
    try:
        ax.plot(np.arange(-3, 4), np.arange(-3, 4) ** 2, label="가중치 맵 (weight map)")
        ax.set_title(HANGUL)
        ax.set_xlabel("거리 d₁ + d₂, σ = 5, −1")
        ax.set_ylabel("손실")
        ax.legend()
        ax.text(0, 4, "접촉하는 세포")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        return [str(w.message) for w in caught]
    finally:
        plt.close(fig)


def test_without_the_font_hangul_is_missing():
    # the check below can fail: DejaVu Sans alone has no Hangul
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        messages = draw_korean_figure()
    assert any("missing from font" in m for m in messages)


def test_use_korean_font_renders_hangul_without_warnings():
    with matplotlib.rc_context():
        assert fonts.use_korean_font() == "NanumGothic"
        fonts.use_korean_font()  # idempotent
        messages = draw_korean_figure()
        assert not [m for m in messages if "missing from font" in m or "Glyph" in m], messages
        # Hangul comes from NanumGothic, Latin text stays in DejaVu Sans
        prop = font_manager.FontProperties(family=matplotlib.rcParams["font.family"])
        paths = [str(p) for p in font_manager.fontManager._find_fonts_by_props(prop)]
        assert "DejaVuSans" in paths[0] and "NanumGothic.ttf" in paths[1]
    assert matplotlib.rcParams["font.family"] != ["DejaVu Sans", "NanumGothic"]  # rc_context restored it


def test_font_files_are_the_packaged_ones():
    files = fonts.korean_font_files()
    assert files[0].name == "NanumGothic.ttf" and all(f.is_file() for f in files)
    assert "koreanize_matplotlib" in str(files[0])
    assert font_manager.get_font(str(files[0])).get_char_index(ord("수")) != 0


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="pip install koreanize-matplotlib==0.1.1"):
        fonts.korean_font_files()
