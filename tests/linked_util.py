"""Helpers shared by the linked-data tests (test_linked_*.py)."""
from __future__ import annotations

import json
import warnings

import pyoxigraph as ox
from rdflib import BNode, Graph

from r2pkg.linked.rdfio import to_ox

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


def _canonical(triples) -> set[str]:
    """The triples (pyoxigraph's) with blank nodes relabelled by RDFC-1.0, as N-Triples lines."""
    ds = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in ds}


def canonical_triples(data: str | bytes, fmt: ox.RdfFormat, base: str | None = None) -> set[str]:
    """``data`` parsed by pyoxigraph, canonical as ``_canonical``: two documents hold the same graph
    when these sets are equal (a context given by URL is not fetched, so only documents with their
    context inline parse)."""
    return _canonical(ox.parse(data, format=fmt, base_iri=base))


def same_graph(a: Graph, b: Graph) -> bool:
    """Equal triple sets; isomorphic (canonical blank node labels) when there are blank nodes."""
    if any(isinstance(t, BNode) for g in (a, b) for triple in g for t in triple):
        return len(a) == len(b) and _canonical(to_ox(a)) == _canonical(to_ox(b))
    return set(a) == set(b)
