"""scripts/build_book.py: the settings each edition of the book is built with (no build here)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HANGUL = re.compile("[\uac00-\ud7a3]")


def _build_book():
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "scripts" / "build_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_korean_book_has_the_korean_title():
    """The page titles and the sidebar title of the Korean book (html_title; sphinx-book-theme shows
    it where there is no logo) are Korean, in the preface catalog's words for the course's title."""
    overrides = _build_book().sphinx_overrides("ko")
    assert overrides["language"] == "ko"
    title = overrides["html_title"]
    assert overrides["project"] == title and HANGUL.search(title), overrides
    preface = (ROOT / "locales" / "ko" / "LC_MESSAGES" / "book" / "preface.po").read_text(encoding="utf-8")
    words = "FCN에서 오버랩-타일 전략까지"
    assert words in title, f"{title!r} does not use the preface's words for the course's title ({words!r})"
    assert words in preface, "the preface catalog translates the course's title in other words now: follow it"


def test_the_english_book_keeps_the_config_title():
    overrides = _build_book().sphinx_overrides("en")
    assert "html_title" not in overrides and "project" not in overrides
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert not HANGUL.search(config["title"])
    assert config.get("logo", "") == "", "with a logo the sidebar shows it, not html_title: give the Korean book its own"
