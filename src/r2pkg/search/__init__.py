"""Full-text search over the build: an SQLite FTS5 index made at build time, queried by the web
pages, the JSON API and the SPARQL functions of :mod:`r2pkg.search.functions`.

- :mod:`.text`: how text and typed queries are folded (case, diacritics, quotes, dashes);
- :mod:`.documents`: what is indexed (labels, alternative labels, passages, quotations), and its kind;
- :mod:`.index`: writing the index file into a build folder;
- :mod:`.searcher`: ranked, faceted, highlighted search over that file (read-only).

>>> from r2pkg.search.text import fold
>>> fold("Ivan Šimonović, Côte d’Ivoire")
"ivan simonovic, cote d'ivoire"
"""
from __future__ import annotations

INDEX_FILE = "search.sqlite"
