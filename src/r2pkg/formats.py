"""Result formats as data: names, media types and pyoxigraph writers, in one table."""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    kind: str  # "results" (SELECT/ASK) or "graph" (CONSTRUCT/DESCRIBE)
    extension: str
    results_format: ox.QueryResultsFormat | None = None
    rdf_format: ox.RdfFormat | None = None
    aliases: tuple[str, ...] = ()


FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "results", "srj", ox.QueryResultsFormat.JSON,
           aliases=("application/json", "sparql-results+json")),
    Format("xml", "application/sparql-results+xml", "results", "srx", ox.QueryResultsFormat.XML,
           aliases=("application/xml", "text/xml", "sparql-results+xml")),
    Format("csv", "text/csv", "results", "csv", ox.QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "results", "tsv", ox.QueryResultsFormat.TSV),
    Format("turtle", "text/turtle", "graph", "ttl", rdf_format=ox.RdfFormat.TURTLE,
           aliases=("application/x-turtle", "application/turtle", "ttl")),
    Format("ntriples", "application/n-triples", "graph", "nt", rdf_format=ox.RdfFormat.N_TRIPLES,
           aliases=("nt", "n-triples", "text/plain")),
    Format("jsonld", "application/ld+json", "graph", "jsonld", rdf_format=ox.RdfFormat.JSON_LD,
           aliases=("json-ld", "application/x-json+ld")),
    Format("rdfxml", "application/rdf+xml", "graph", "rdf", rdf_format=ox.RdfFormat.RDF_XML,
           aliases=("xml-rdf", "rdf", "rdf+xml", "rdf/xml")),
    Format("trig", "application/trig", "graph", "trig", rdf_format=ox.RdfFormat.TRIG),
    Format("nquads", "application/n-quads", "graph", "nq", rdf_format=ox.RdfFormat.N_QUADS,
           aliases=("nq", "n-quads")),
)
BY_NAME = {f.name: f for f in FORMATS}
DEFAULTS = {"results": BY_NAME["json"], "graph": BY_NAME["turtle"]}


def lookup(name_or_type: str, kind: str | None = None) -> Format | None:
    """Find a format by name, alias or media type (optionally of one kind)."""
    key = name_or_type.strip().lower()
    for f in FORMATS:
        if kind and f.kind != kind:
            continue
        if key in (f.name, f.media_type, f.extension, *f.aliases):
            return f
    return None


def for_kind(kind: str) -> list[Format]:
    return [f for f in FORMATS if f.kind == kind]
