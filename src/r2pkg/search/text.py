"""Folding text and typed queries the same way, so that "Simonovic" finds "Šimonović" and
"Cote d'Ivoire" (straight quote) finds "Côte d’Ivoire" (curly quote).

The index itself is tokenised by FTS5's ``unicode61`` tokenizer with ``remove_diacritics 2``,
which also splits at apostrophes and dashes; a typed query is folded and split here into the same
tokens, and each token is quoted, so no FTS5 syntax of the user's reaches the engine.

>>> tokens("Côte d'Ivoire")
['cote', 'd', 'ivoire']
>>> fts_query("Simonovic")
'"simonovic"*'
>>> fts_query('Côte d’Ivoire')
'"cote" "d" "ivoire"*'
>>> fts_query("  ...  ")
''
"""
from __future__ import annotations

import re
import unicodedata

# typographic quotes and dashes as typed. Letters that NFKD does not decompose (ø, đ, ł, ß, æ, œ)
# stay as they are: the index's tokenizer keeps them too, and a typed word must fold to its tokens.
_LETTERS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
                          "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})
_WORD = re.compile(r"\w+", re.UNICODE)
TOKENIZER = "unicode61 remove_diacritics 2"  # the index's FTS5 tokenizer (see module docstring)


def fold(text: str) -> str:
    """Lower case, without diacritics, with straight quotes and plain hyphens."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    """The words of ``text``, folded; punctuation (apostrophes, dashes) separates words."""
    return [t.replace("_", " ").strip() for t in _WORD.findall(fold(text)) if t.strip("_")]


def fts_query(text: str) -> str:
    """An FTS5 query matching documents with every word of ``text`` (the last one as a prefix,
    for search-as-you-type); empty when ``text`` has no words. Each word is a quoted string."""
    words = [w for t in tokens(text) for w in t.split()]
    if not words:
        return ""
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)
