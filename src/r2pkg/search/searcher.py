"""Searching the index of :mod:`r2pkg.search.index`: ranked (BM25, labels weigh most), faceted by
kind and year, with highlighted snippets. The file is opened read-only (``mode=ro``, immutable:
a build never changes), one connection per thread.

>>> s = Searcher("/nonexistent/search.sqlite")  # doctest: +SKIP
>>> s.search("Simonovic").hits[0].iri  # doctest: +SKIP
'https://w3id.org/r2pkg/id/person/ivan-simonovic'
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from ..errors import BadSearch, SearchUnavailable
from .documents import KIND_NAMES
from .index import FORMAT
from .text import fts_query

MAX_QUERY_CHARS = 200
MAX_LIMIT = 100
WEIGHTS = (10.0, 6.0, 1.0)  # BM25 weights of label, alt, text
_OPEN, _CLOSE = "\x02", "\x03"  # highlight markers inside snippets (never in the data)
SNIPPET_TOKENS = 24


@dataclass(frozen=True)
class Hit:
    iri: str
    kind: str
    label: str
    year: int | None
    score: float  # higher is better
    snippet: list[tuple[str, bool]]  # (text, highlighted)
    evidence: dict | None  # {"passage", "source", "start", "end"}

    def as_dict(self) -> dict:
        return {"iri": self.iri, "kind": self.kind, "label": self.label, "year": self.year,
                "score": round(self.score, 4),
                "snippet": [{"text": t, "match": m} for t, m in self.snippet], "evidence": self.evidence}


@dataclass(frozen=True)
class Results:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # "kind"/"year" -> value -> count


def check(q: str | None, kinds: list[str] | None = None, years: list[str] | None = None) -> tuple[str, str, list[str], list[int]]:
    """Validate a request: (text, FTS5 query, kinds, years).

    Raises:
        BadSearch: empty or too long text, an unknown kind, a year that is not a number.
    """
    text = (q or "").strip()
    if not text:
        raise BadSearch("give the text to search for in parameter 'q'", reason="empty-query")
    if len(text) > MAX_QUERY_CHARS:
        raise BadSearch(f"the search text has {len(text)} characters; at most {MAX_QUERY_CHARS} are allowed",
                        reason="query-too-long", max_chars=MAX_QUERY_CHARS)
    match = fts_query(text)
    if not match:
        raise BadSearch("the search text has no letters or digits to look for", reason="no-words")
    bad = [k for k in kinds or [] if k not in KIND_NAMES]
    if bad:
        raise BadSearch(f"unknown kind {bad[0]!r}; kinds are {', '.join(KIND_NAMES)}", reason="bad-facet",
                        facet="kind", kinds=list(KIND_NAMES))
    ys = []
    for y in years or []:
        if not (y.isascii() and y.isdigit() and len(y) == 4):
            raise BadSearch(f"year must be four digits, got {y!r}", reason="bad-facet", facet="year")
        ys.append(int(y))
    return text, match, list(kinds or []), ys


def snippet_segments(s: str) -> list[tuple[str, bool]]:
    """Split an FTS5 snippet with markers into (text, highlighted) segments."""
    out: list[tuple[str, bool]] = []
    for i, part in enumerate(s.split(_OPEN)):
        if i == 0:
            if part:
                out.append((part, False))
            continue
        hit, _, rest = part.partition(_CLOSE)
        if hit:
            out.append((hit, True))
        if rest:
            out.append((rest, False))
    return out


class Searcher:
    """Read-only access to one build's index file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _con(self) -> sqlite3.Connection:
        """This thread's connection to the index (each thread opens its own, read-only).

        Raises:
            SearchUnavailable: no index file, or one in another format than :data:`index.FORMAT`.
        """
        con = getattr(self._local, "con", None)
        if con is None:
            if not self.path.is_file():
                raise SearchUnavailable("this build has no search index; rebuild with `r2pkg build`")
            uri = "file:" + quote(str(self.path.resolve())) + "?mode=ro&immutable=1"
            con = sqlite3.connect(uri, uri=True)
            found = dict(con.execute("SELECT key, value FROM meta")).get("format")
            if found != str(FORMAT):
                con.close()
                raise SearchUnavailable(f"this build's search index has format {found}, not {FORMAT}; "
                                        "rebuild with `r2pkg build`")
            self._local.con = con
        return con

    def search(self, q: str | None, *, kinds: list[str] | None = None, years: list[str] | None = None,
               limit: int = 20, offset: int = 0) -> Results:
        """Ranked hits for ``q`` (every word must occur; the last may be a prefix), filtered by
        ``kinds`` and ``years``, with facet counts (each facet counted under the other's filter).

        Raises:
            BadSearch: see :func:`check`; also a limit or offset out of range.
        """
        text, match, ks, ys = check(q, kinds, years)
        if not (1 <= limit <= MAX_LIMIT) or offset < 0:
            raise BadSearch(f"limit must be 1-{MAX_LIMIT} and offset at least 0", reason="bad-page")
        con = self._con()
        kind_sql, kind_args = _in("d.kind", ks)
        year_sql, year_args = _in("d.year", ys)
        base = "FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ?"
        rows = con.execute(
            "SELECT d.iri, d.kind, d.label, d.year, d.passage, d.source, d.start, d.\"end\", "
            f"snippet(fts, -1, '{_OPEN}', '{_CLOSE}', '…', {SNIPPET_TOKENS}), bm25(fts, ?, ?, ?) AS score "
            f"{base}{kind_sql}{year_sql} ORDER BY score, d.iri LIMIT ? OFFSET ?",
            (*WEIGHTS, match, *kind_args, *year_args, limit, offset)).fetchall()
        total = con.execute(f"SELECT count(*) {base}{kind_sql}{year_sql}", (match, *kind_args, *year_args)).fetchone()[0]
        kind_counts = con.execute(f"SELECT d.kind, count(*) {base}{year_sql} GROUP BY d.kind ORDER BY 2 DESC, 1",
                                  (match, *year_args)).fetchall()
        year_counts = con.execute(f"SELECT d.year, count(*) {base}{kind_sql} AND d.year IS NOT NULL "
                                  "GROUP BY d.year ORDER BY 1", (match, *kind_args)).fetchall()
        hits = [Hit(r[0], r[1], r[2], r[3], -r[9], snippet_segments(r[8]),
                    {"passage": r[4], "source": r[5], "start": r[6], "end": r[7]} if r[4] else None)
                for r in rows]
        return Results(text, total, hits, {"kind": {k: n for k, n in kind_counts},
                                           "year": {str(y): n for y, n in year_counts}})

    def scores(self, q: str) -> dict[str, float]:
        """Every matching IRI with its relevance (higher is better), for the SPARQL functions;
        memoised per text."""
        return _scores(self, q)


@lru_cache(maxsize=256)
def _scores(searcher: Searcher, q: str) -> dict[str, float]:
    _text, match, _k, _y = check(q)
    rows = searcher._con().execute(
        "SELECT d.iri, bm25(fts, ?, ?, ?) FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ?",
        (*WEIGHTS, match))
    return {iri: -score for iri, score in rows}


def _in(column: str, values: list) -> tuple[str, list]:
    if not values:
        return "", []
    return f" AND {column} IN ({', '.join('?' * len(values))})", list(values)
