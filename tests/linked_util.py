"""Helpers shared by the linked-data tests (test_linked_*.py)."""
from __future__ import annotations

import json
import warnings

from rdflib import BNode, Graph
from rdflib.compare import isomorphic

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def parse_jsonld(text: str | bytes, context: dict | None = None) -> Graph:
    """Parse JSON-LD; a ``@context`` given by URL is replaced by ``context`` (nothing is fetched)."""
    doc = json.loads(text)
    if isinstance(doc.get("@context"), str):
        assert context is not None, "a context URL needs the served context"
        doc["@context"] = context["@context"]
    g = Graph()
    with warnings.catch_warnings():  # rdflib's JSON-LD parser uses the deprecated ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        g.parse(data=json.dumps(doc), format="json-ld")
    return g


def same_graph(a: Graph, b: Graph) -> bool:
    if any(isinstance(t, BNode) for triple in a for t in triple):
        return isomorphic(a, b)
    return set(a) == set(b)
