"""The search index inside SPARQL: custom functions for pyoxigraph, evaluated in the query
workers (which open the index lazily, read-only).

- ``search:score(?resource, "text")``: the relevance (``xsd:double``, higher is better) of
  ``?resource`` for ``text`` (folded as in :mod:`r2pkg.search.text`: "Simonovic" finds
  "Šimonović"); an error (unbound, a FILTER false) when it does not match;
- ``search:matches(?resource, "text")``: ``true`` or ``false``.

with ``PREFIX search: <https://w3id.org/r2pkg/search#>``. The first call with a text runs the
full-text query once; later calls with the same text are look-ups. Example::

    PREFIX search: <https://w3id.org/r2pkg/search#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?s ?label ?score WHERE {
      ?s rdfs:label ?label .
      BIND(search:score(?s, "Simonovic") AS ?score) FILTER(BOUND(?score))
    } ORDER BY DESC(?score)
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from ..errors import R2pkgError
from .searcher import Searcher

NAMESPACE = "https://w3id.org/r2pkg/search#"
SCORE = NAMESPACE + "score"
MATCHES = NAMESPACE + "matches"


def functions(index: Path | str) -> dict[ox.NamedNode, Callable]:
    """The custom functions over the index file ``index`` (opened on first use)."""
    searcher = Searcher(index)

    def scores(text: object) -> dict[str, float] | None:
        if not isinstance(text, ox.Literal):
            return None
        try:
            return searcher.scores(text.value)
        except (R2pkgError, sqlite3.Error):  # an empty text, no (readable) index: an evaluation
            return None                          # error, as SPARQL has it, not the whole query's

    def score(resource: object, text: object) -> ox.Literal | None:
        found = scores(text)
        if found is None or not isinstance(resource, ox.NamedNode) or resource.value not in found:
            return None
        return ox.Literal(repr(round(found[resource.value], 6)), datatype=ox.NamedNode(_DOUBLE))

    def matches(resource: object, text: object) -> ox.Literal | None:
        found = scores(text)
        if found is None:
            return None
        return ox.Literal(isinstance(resource, ox.NamedNode) and resource.value in found)

    return {ox.NamedNode(SCORE): score, ox.NamedNode(MATCHES): matches}


_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
