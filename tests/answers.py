"""What the tests compare between an app over the embedded store and one over another store: the
answer of a request parsed to comparable values, the requests compared (``CASES``), and the
comparison itself. Used by test_remote (Oxigraph server) and test_virtuoso."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

REPO = Path(__file__).resolve().parents[1]


def results(resp):
    """A 200 answer as ("graph", sorted triples), ("rows", rows) or ("boolean", value)."""
    assert resp.status_code == 200, resp.data[:300]
    ct = resp.headers["Content-Type"].split(";")[0]
    if ct in ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"):
        fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
               "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/ld+json": ox.RdfFormat.JSON_LD}[ct]
        return ("graph", sorted(str(q.triple) for q in ox.parse(resp.data, format=fmt,
                                                                 base_iri="http://localhost/")))
    if ct == "text/csv":
        import csv
        import io

        return ("rows", list(csv.reader(io.StringIO(resp.data.decode("utf-8")))))
    fmt = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
           "application/sparql-results+xml": ox.QueryResultsFormat.XML,
           "text/tab-separated-values": ox.QueryResultsFormat.TSV}[ct]
    parsed = ox.parse_query_results(resp.data, fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return ("boolean", bool(parsed))
    return ("rows", [[str(s[v]) if s[v] is not None else None for v in parsed.variables] for s in parsed])


CASES = [
    ("/sparql", {"query": "SELECT ?iso WHERE { ?s <https://w3id.org/r2pkg/ontology#iso3> ?iso } ORDER BY ?iso LIMIT 7"}, {}),
    ("/sparql", {"query": "ASK { ?s <https://w3id.org/r2pkg/ontology#challenges> ?o }"}, {}),
    ("/sparql", {"query": "CONSTRUCT WHERE { <https://w3id.org/r2pkg/id/state/CHL> ?p ?o }"}, {"Accept": "application/n-triples"}),
    ("/sparql", {"query": "DESCRIBE <https://w3id.org/r2pkg/id/state/NLD>"}, {"Accept": "text/turtle"}),
    ("/sparql", {"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"}, {"Accept": "application/n-triples"}),
    ("/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                 "default-graph-uri": "https://w3id.org/r2pkg/graph/dialogue-2017/stances"}, {}),
    ("/sparql", {"query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
                 "named-graph-uri": "https://w3id.org/r2pkg/graph/dialogue-2017/vote"}, {}),
    ("/sparql", {"query": "SELECT ?q WHERE { ?q a <https://schema.org/Quotation> } ORDER BY ?q", "format": "csv"}, {}),
    ("/sparql", {"query": "SELECT ?q WHERE { ?q a <https://schema.org/Quotation> } ORDER BY ?q"},
     {"Accept": "application/sparql-results+xml"}),
] + [(f"/api/queries/{p.stem}", {}, {}) for p in sorted((REPO / "queries").glob("cq*.rq"))] + [
    ("/api/queries/cq14-provenance-of-a-fact", {"subject": "https://w3id.org/r2pkg/id/state/CRI",
                                                 "target": "https://w3id.org/r2pkg/id/mechanism/iiim"}, {}),
]


def assert_answers_alike(app, other, path, params, headers, normalise=lambda r: r):
    """``other`` (an app over a remote store) answers ``path`` as the embedded ``app`` does:
    same rows (after ``normalise``, for what SPARQL leaves undefined), same Content-Type."""
    a = app.test_client().get(path, query_string=params, headers=headers)
    b = other.test_client().get(path, query_string=params, headers=headers)
    ra, rb = normalise(results(a)), normalise(results(b))
    assert rb == ra
    assert ra[1], "a comparison of empty results proves nothing"
    assert a.headers["Content-Type"] == b.headers["Content-Type"]
