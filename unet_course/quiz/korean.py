"""Korean grammar for the quiz's messages: particles chosen by the word before them, and ordinals.

A Korean particle has two forms, one after a final consonant (받침) and one after a vowel:
은/는, 이/가, 을/를, 과/와, 으로/로 (로 also after ㄹ), 이어야/여야. The Korean templates of
:mod:`the package's catalog <unet_course.quiz.catalog>` name the particle after a field as a format spec,
``{value:을}``, and :func:`format_korean` writes the form that fits the value: ``3을``, ``2를``,
``텐서(tensor)를``. How the end of a value is read:

- a Hangul syllable: ``(code - 0xAC00) % 28`` is its final consonant (0: none, 8: ㄹ);
- a digit: its Korean reading, 영 일 이 삼 사 오 육 칠 팔 구 (a final 0 is read 영, 십, 백, 천
  or 만: always a consonant);
- Latin letters: one letter by its name (엘, 알 end in ㄹ; 엠, 엔 in a consonant; the others in a
  vowel); a word as a Korean loanword reads it: a final ``m``, ``n``, ``ng`` (or ``me``, ``ne``)
  ends in a consonant (``None`` 논, ``nan`` 난), a final ``l`` or ``le`` in ㄹ (``bool`` 불,
  ``tuple`` 튜플), ``p`` after a vowel in ㅂ (``map`` 맵); everything else in a vowel (``int`` 인트,
  ``float`` 플로트, ``Tensor`` 텐서, ``True`` 트루), and :data:`LATIN_READINGS` holds the few code
  words this rule misreads (``type`` 타입);
- closing quotes, brackets and dots are not read: ``'05.crop-same'`` ends in ``same``, ``(4, 6)``
  in ``6``; a Hangul word glossed in parentheses is read without the gloss (``텐서(tensor)``).

A value whose end cannot be read (a symbol, an empty string) gets both forms, ``을(를)``.

Serves: the exercises of every chapter (chapters 01-11), in Korean.
"""

from __future__ import annotations

import re
import string
from typing import Any

VOWEL, RIEUL, CONSONANT = "vowel", "ㄹ", "consonant"

# particle (either form) -> (after a consonant, after a vowel or ㄹ-for-으로, when unknown)
_PARTICLES: dict[str, tuple[str, str, str]] = {}
for _forms in (("은", "는", "은(는)"), ("이", "가", "이(가)"), ("을", "를", "을(를)"), ("과", "와", "과(와)"),
               ("으로", "로", "(으)로"), ("이어야", "여야", "(이)어야")):
    _PARTICLES[_forms[0]] = _PARTICLES[_forms[1]] = _forms

_DIGIT_ENDS = {"0": CONSONANT, "1": RIEUL, "2": VOWEL, "3": CONSONANT, "4": VOWEL, "5": VOWEL,
               "6": CONSONANT, "7": RIEUL, "8": RIEUL, "9": VOWEL}
#: Code words that the loanword rule of :func:`final_sound` reads wrongly, and how they end.
LATIN_READINGS = {"type": CONSONANT, "nonetype": CONSONANT}
_NOT_READ = "'\"`.,;:!?…) ]}"
_OPENING = {")": "(", "]": "[", "}": "{"}
_NATIVE_ORDINALS = ("첫", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열",
                    "열한", "열두", "열세", "열네", "열다섯", "열여섯", "열일곱", "열여덟", "열아홉", "스무")


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


def _latin_word_end(word: str) -> str:
    """How a Latin word (or one letter) ends when read in Korean: VOWEL, RIEUL or CONSONANT."""
    word = word.lower()
    if word in LATIN_READINGS:
        return LATIN_READINGS[word]
    if len(word) == 1:
        return RIEUL if word in "lr" else CONSONANT if word in "mn" else VOWEL
    if word.endswith(("l", "le")):
        return RIEUL
    if word.endswith(("m", "n", "ng", "me", "ne")):
        return CONSONANT
    if word.endswith("p") and word[-2] in "aeiouy":
        return CONSONANT
    return VOWEL


def _enclosed_start(text: str) -> int | None:
    """The index of the bracket that opens the group ``text`` ends with, or ``None``."""
    closing = text[-1]
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == closing:
            depth += 1
        elif text[i] == _OPENING[closing]:
            depth -= 1
            if depth == 0:
                return i
    return None


def final_sound(text: str) -> str | None:
    """How ``text`` ends when read aloud in Korean: ``"vowel"``, ``"ㄹ"`` (a final ㄹ), ``"consonant"``
    (another final consonant), or ``None`` when its end cannot be read (see the module's rules).

    Serves: the exercises of every chapter (chapters 01-11), in Korean.
    """
    text = text.rstrip()
    while text:
        last = text[-1]
        if last in _OPENING:
            start = _enclosed_start(text)
            if start is not None:
                before = text[:start].rstrip()
                # a gloss: 텐서(tensor) is read 텐서; a bare group, (4, 6), by what it holds
                text = before if before and _is_hangul(before[-1]) else text[start + 1:-1]
                continue
        if last in _NOT_READ:
            text = text[:-1].rstrip()
            continue
        break
    if not text:
        return None
    last = text[-1]
    if _is_hangul(last):
        final = (ord(last) - 0xAC00) % 28
        return VOWEL if final == 0 else RIEUL if final == 8 else CONSONANT
    if last in _DIGIT_ENDS:
        return _DIGIT_ENDS[last]
    if last.isascii() and last.isalpha():
        word = re.search(r"[A-Za-z]+$", text).group(0)
        return _latin_word_end(word)
    return None


def with_particle(text: str, particle: str) -> str:
    """``text`` followed by the form of ``particle`` (either form, e.g. ``"을"`` or ``"를"``) that
    fits how ``text`` ends: ``with_particle("3", "을") == "3을"``, ``with_particle("2", "을") ==
    "2를"``; both forms, ``"을(를)"``, when the end cannot be read. A ``ValueError`` names the
    particles it knows.

    Serves: the exercises of every chapter (chapters 01-11), in Korean.
    """
    if particle not in _PARTICLES:
        raise ValueError(f"unknown Korean particle {particle!r}; known: {', '.join(sorted(_PARTICLES))}")
    after_consonant, after_vowel, unknown = _PARTICLES[particle]
    sound = final_sound(text)
    if sound is None:
        return text + unknown
    if sound == RIEUL and after_consonant == "으로":
        return text + after_vowel
    return text + (after_vowel if sound == VOWEL else after_consonant)


def korean_ordinal(index: int) -> str:
    """The ``index``-th item (0-based) as Korean counts it: ``0`` -> ``"첫 번째"``, ``1`` -> ``"두
    번째"``, ..., ``19`` -> ``"스무 번째"``, then ``"21번째"``.

    Serves: the exercises of every chapter (chapters 01-11), in Korean.
    """
    if index < 0:
        raise ValueError(f"an ordinal counts from index 0, got {index}")
    if index < len(_NATIVE_ORDINALS):
        return f"{_NATIVE_ORDINALS[index]} 번째"
    return f"{index + 1}번째"


class _KoreanFormatter(string.Formatter):
    """``str.format`` whose format spec may name a particle: ``{value:을}``."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in _PARTICLES:
            return with_particle(format(value), format_spec)
        return super().format_field(value, format_spec)


_FORMATTER = _KoreanFormatter()


def format_korean(template: str, **fields: Any) -> str:
    """``template.format(**fields)``, where a field written ``{name:을}`` is followed by the form
    of the particle that fits its value (see :func:`with_particle`).

    Serves: the exercises of every chapter (chapters 01-11), in Korean.
    """
    return _FORMATTER.format(template, **fields)
