"""Graphs between pyoxigraph and rdflib, and their serialisation in the formats of
:mod:`r2pkg.formats` (pyoxigraph writers with the project prefixes; JSON-LD compacted by rdflib
with the r2pkg context, see :mod:`r2pkg.linked.jsonld`)."""
from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..formats import BY_NAME, Format
from ..namespaces import PREFIXES

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# The RDF representations a resource is offered in (formats as data, from the shared table).
RESOURCE_FORMATS: tuple[Format, ...] = tuple(BY_NAME[n] for n in ("turtle", "jsonld", "ntriples", "rdfxml"))
BY_EXTENSION = {f.extension: f for f in RESOURCE_FORMATS}


def parse_ntriples(body: bytes) -> list[ox.Triple]:
    return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))


def to_rdflib_term(t: object) -> Node:
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        if t.datatype.value == _XSD_STRING:  # RDF 1.1: simple literals are xsd:string
            return Literal(t.value)
        return Literal(t.value, datatype=URIRef(t.datatype.value))
    raise TypeError(f"unsupported term {t!r}")


def to_ox_term(t: Node) -> object:
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        if t.datatype is not None:
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)))
        return ox.Literal(str(t))
    raise TypeError(f"unsupported term {t!r}")


def to_rdflib(triples: Iterable[ox.Triple]) -> Graph:
    g = Graph(bind_namespaces="none")
    for p, ns in PREFIXES.items():
        g.bind(p, ns)
    for t in triples:
        g.add((to_rdflib_term(t.subject), to_rdflib_term(t.predicate), to_rdflib_term(t.object)))
    return g


def to_ox(graph: Graph) -> list[ox.Triple]:
    return [ox.Triple(to_ox_term(s), to_ox_term(p), to_ox_term(o)) for s, p, o in graph]


def sorted_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Triples in a stable order (subject, predicate, object), for reproducible output."""
    return sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def serialize(triples: Iterable[ox.Triple], fmt: Format) -> bytes:
    """Serialise with pyoxigraph (not JSON-LD: use :func:`r2pkg.linked.jsonld.dumps`)."""
    prefixes = PREFIXES if fmt.rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG,
                                              ox.RdfFormat.RDF_XML) else None
    return ox.serialize(sorted_triples(triples), format=fmt.rdf_format, prefixes=prefixes) or b""
