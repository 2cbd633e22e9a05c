"""Search for the Korean book: Korean words are found inside the words that carry particles.

Sphinx 7.4 has no search language ``ko``; it falls back to English, whose index holds each
whitespace-separated word whole. Korean attaches particles and endings to the noun (오버랩을,
오버랩이, 오버랩과), so a page that writes only 오버랩을 has no entry 오버랩, and the search page
tries a partial match only when the query is not an entry anywhere in the book: one page with the
bare word hides every other page from a search for it.

``SearchKorean`` indexes every Hangul word together with each of its prefixes of two syllables
or more (오버랩을 → 오버, 오버랩, 오버랩을), so a search for a noun finds every page that uses it
with any particle. Words without Hangul (the English terms in parentheses, code names) are
indexed as the English book indexes them: lower-cased, Porter-stemmed, English stop words left
out, and the search page stems the query the same way (an English stemmer that leaves Hangul
words alone).
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.search.en import SearchEnglish

HANGUL = re.compile("[\uac00-\ud7a3]")
MIN_PREFIX = 2  # syllables; one-syllable prefixes (오, 타) would match almost every page


def hangul_prefixes(word: str) -> list[str]:
    """The word and its prefixes of at least ``MIN_PREFIX`` characters, longest first.

    >>> hangul_prefixes("오버랩을")
    ['오버랩을', '오버랩', '오버']
    """
    return [word[:end] for end in range(len(word), MIN_PREFIX - 1, -1)]


class SearchKorean(SearchEnglish):
    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = SearchEnglish.js_stemmer_code.replace(
        "var Stemmer = function", "var EnglishStemmer = function", 1
    ) + """
/**
 * Korean book: Hangul words are indexed unstemmed (with their prefixes), the rest as in English.
 */
var Stemmer = function() {
  var english = new EnglishStemmer();
  this.stemWord = function(w) {
    return /[\\uac00-\\ud7a3]/.test(w) ? w : english.stemWord(w);
  }
}
"""

    def split(self, input: str) -> list[str]:
        words: list[str] = []
        for word in self._word_re.findall(input):
            words.extend(hangul_prefixes(word) if HANGUL.search(word) else [word])
        return words

    def stem(self, word: str) -> str:
        return word if HANGUL.search(word) else super().stem(word)


if "var EnglishStemmer = function" not in SearchKorean.js_stemmer_code:  # Sphinx renamed it
    raise ImportError("korean_search: sphinx.search.en.SearchEnglish.js_stemmer_code no longer defines "
                      "'var Stemmer = function'; update the Korean stemmer wrapper for this Sphinx")


def setup(app: Any) -> dict:
    app.add_search_language(SearchKorean)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
