"""Writing the search index: an SQLite database with an FTS5 table over the documents of
:mod:`r2pkg.search.documents`, made once per build (``search.sqlite`` in the build folder).

Tables: ``docs`` (one row per document: IRI, kind, label, alternative labels, text, year, evidence
passage with its source and offsets), ``fts`` (FTS5, external content ``docs``, columns ``label``,
``alt``, ``text``, tokenised by :data:`r2pkg.search.text.TOKENIZER`) and ``meta`` (build id,
document count, format version).
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pyoxigraph as ox

from .documents import Document, documents
from .text import TOKENIZER

FORMAT = 1
SCHEMA = f"""
CREATE TABLE docs (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, label TEXT NOT NULL,
                   alt TEXT NOT NULL, text TEXT NOT NULL, year INTEGER, passage TEXT, source TEXT,
                   start INTEGER, "end" INTEGER);
CREATE INDEX docs_kind ON docs(kind);
CREATE INDEX docs_year ON docs(year);
CREATE VIRTUAL TABLE fts USING fts5(label, alt, text, content='docs', content_rowid='id',
                                    tokenize='{TOKENIZER}');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def write(path: Path, store: ox.Store, build_id: str | None = None) -> dict:
    """Index the documents of ``store`` into a new SQLite file at ``path`` (replaced atomically);
    returns ``{"documents", "bytes", "seconds"}``."""
    t0 = time.perf_counter()
    docs = documents(store)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.executescript(SCHEMA)
        con.executemany('INSERT INTO docs (id, iri, kind, label, alt, text, year, passage, source, start, "end") '
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (_row(i, d) for i, d in enumerate(docs, 1)))
        con.execute("INSERT INTO fts (rowid, label, alt, text) SELECT id, label, alt, text FROM docs")
        con.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        con.executemany("INSERT INTO meta VALUES (?, ?)", [("format", str(FORMAT)), ("build_id", build_id or ""),
                                                           ("documents", str(len(docs)))])
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
    os.replace(tmp, path)
    return {"documents": len(docs), "bytes": path.stat().st_size, "seconds": round(time.perf_counter() - t0, 3)}


def _row(i: int, d: Document) -> tuple:
    ev = d.evidence or (None, None, None, None)
    return (i, d.iri, d.kind, d.label, d.alt, d.text, d.year, *ev)
